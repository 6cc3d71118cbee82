"""The plausibility check every event passes before it may count (issue 14, items 3 and 4)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import (
    Backfill,
    CandleClosed,
    DerivativesUpdate,
    FearGreedReading,
    PriceTick,
    SentimentUpdate,
)
from cockpit.sources.checks import clean_backfill, problem

NOW = 1_770_000_000_000
DAY = 86_400_000


def liq(ts: int = NOW, usd: float = 1e5, price: float = 70_000.0) -> LiquidationEvent:
    return LiquidationEvent(ts, "Bybit", "BTC/USDT:USDT", "long", usd, price)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (liq(ts=32_503_680_000_000), "ts_ms"),  # year 3000
        (liq(ts=10**19), "ts_ms"),  # beyond int64 milliseconds
        (liq(usd=6.4e16), "notional_usd"),  # quantity 1e12 at 64,000
        (liq(price=1e300), "price"),
        (PriceTick("x", "BTC/USDT:USDT", NOW, -1.0), "price"),
        (PriceTick("x", "BTC/USDT:USDT", NOW, 1e300), "price"),
        (PriceTick("x", "BTC/USDT:USDT", NOW, math.nan), "price"),
        (CandleClosed("x", "BTC/USDT:USDT", NOW, 1.0, 0.5, 2.0, 1.0, 1.0), "high"),  # high < low
        (CandleClosed("x", "BTC/USDT:USDT", NOW, 0.0, 1.0, 0.0, 1.0, 1.0), "open"),  # zero price
        (DerivativesUpdate("x", "BTC/USDT:USDT", NOW, math.inf, None), "funding_rate"),
        (DerivativesUpdate("x", "BTC/USDT:USDT", NOW, 0.0001, -5.0), "open_interest_usd"),
        (SentimentUpdate("x", FearGreedReading(NOW, 500, "Greed"), ()), "0..100"),
    ],
)
def test_absurd_values_are_named(event: object, field: str) -> None:
    why = problem(event, NOW)  # type: ignore[arg-type]
    assert why is not None and field in why


def test_plausible_values_pass() -> None:
    assert problem(liq(usd=98e6), NOW) is None  # the size of the largest prints on record
    assert problem(liq(ts=NOW - 7 * DAY), NOW) is None  # restored from a week of history
    assert problem(PriceTick("x", "s", NOW + 60_000, 0.00001234), NOW) is None  # a clock a minute ahead
    assert problem(CandleClosed("x", "s", NOW, 1.0, 2.0, 0.5, 1.5, 0.0), NOW) is None
    assert problem(SentimentUpdate("x", FearGreedReading(NOW, 0, "Extreme Fear"), ()), NOW) is None


def test_open_interest_caps_one_liquidation() -> None:
    assert problem(liq(usd=5e8), NOW, open_interest_usd=1e8) is not None
    assert problem(liq(usd=5e7), NOW, open_interest_usd=1e8) is None


def test_a_backfill_loses_only_its_bad_rows() -> None:
    ts = NOW - np.arange(5, 0, -1, dtype=np.int64) * 60_000
    highs = [2.0, 2.0, 0.1, 2.0, np.nan]  # row 2 has high < low, row 4 is NaN
    candles = Candles.from_arrays(ts, [1.0] * 5, highs, [0.5] * 5, [1.5] * 5, [1.0] * 5)
    b = Backfill("x", "s", candles, (liq(), liq(usd=1e15)))
    cleaned, dropped, why = clean_backfill(b, NOW)
    assert dropped == 3 and why is not None and "high" in why
    assert list(cleaned.candles_1m.ts_ms) == [ts[0], ts[1], ts[3]]
    assert cleaned.liquidations == (liq(),)
    untouched, none_dropped, no_reason = clean_backfill(Backfill("x", "s", cleaned.candles_1m), NOW)
    assert none_dropped == 0 and no_reason is None and untouched.candles_1m is cleaned.candles_1m


def test_the_engine_drops_what_must_not_count_and_says_so_on_the_source() -> None:
    """One year-3000 print used to move the windows' clock and blind them until restart; 1e12 contracts
    put $6.4e16 in the totals; 10^19 ms crashed the engine; a tick of -1 fired price alarms."""
    from cockpit.alarms.model import price_alarm
    from cockpit.config import Config
    from cockpit.engine.engine import Engine
    from cockpit.sources.clock import ManualClock

    class Bybit:
        name, cadence_s, simulated, sampled = "bybit", 10.0, False, False
        venues, symbols = ("Bybit",), ("BTC/USDT:USDT",)

        async def run(self, emit: object) -> None: ...

    e = Engine(Config(), [Bybit()], ManualClock(NOW), symbol="BTC/USDT:USDT", kind="live")
    e.emit(PriceTick("bybit", "BTC/USDT:USDT", NOW - 1000, 70_000.0))
    e.drain()
    e.alarms.book.upsert(replace(price_alarm(60_000.0, "below"), id=1))
    e.emit(PriceTick("bybit", "BTC/USDT:USDT", NOW - 500, 70_000.0))  # the alarm's first observation
    for bad in (liq(ts=32_503_680_000_000), liq(usd=6.4e16), liq(ts=10**19)):
        e.emit(bad)
    e.emit(PriceTick("bybit", "BTC/USDT:USDT", NOW, -1.0))
    e.emit(liq(usd=2e5))
    e.drain()
    snap = e.snapshot()
    assert snap.liquidations.windows["1h"].total_usd == 2e5 and snap.price == 70_000.0
    assert snap.fired_alarms == ()
    status = next(s for s in snap.sources if s.name == "bybit")
    assert status.rejected == 4 and status.rejected_first is not None and "ts_ms" in status.rejected_first
