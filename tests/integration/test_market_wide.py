"""Market-wide liquidations (issue 18): every venue's fake lists the recorded linear perpetuals with each
venue's contract size per coin, and liquidations on all of them reach the engine from all five venues,
through the all-market streams (binance ``!forceOrder@arr``, okx SWAP without an instrument), Bybit's
per-symbol topics for its most active perpetuals, Gate's all-contract history and HTX's per-contract round
of polls.

The totals by venue (the engine's 1h window) and by coin (the base currency, summed here from the events
the engine ingested: the engine has no by-coin view yet) must equal the hand-computed sums of
contracts x contract size x price.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

import pytest

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.windows import LiquidationWindows
from cockpit.models import MarketEvent
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes import binanceusdm, bybit, gate, htx, okx
from tests.fakes.cluster import FakeVenues, fake_venues
from tests.fakes.perpetuals import Perpetual, perpetuals
from tests.integration.test_live_venues import START_MS, fake_config

VENUE = {"binanceusdm": "Binance", "bybit": "Bybit", "okx": "OKX", "gate": "Gate", "htx": "HTX"}


def contracts(k: int) -> int:
    """The contracts liquidated on the k-th coin: a different count per coin (so a swap of contract sizes
    between coins would show)."""
    return 3 + k


def expected(venue: str, p: Perpetual, n: int) -> float:
    """Notional USD of ``n`` contracts of ``p`` at its price on ``venue``: contracts x size x price."""
    size = {"okx": p.okx_ct_val, "gate": p.gate_multiplier, "htx": p.htx_size}.get(venue, "1")
    return n * float(size) * p.price


async def push_everywhere(f: FakeVenues, now_ms: int) -> dict[tuple[str, str], float]:
    """A long liquidation of every coin on every venue; returns (venue name, coin) -> its notional."""
    sums: dict[tuple[str, str], float] = defaultdict(float)
    t = now_ms - 20_000
    pushes: dict[str, list[Any]] = defaultdict(list)
    for k, p in enumerate(perpetuals().values()):
        n, price, ts = contracts(k), f"{p.price:g}", t + 10 * k
        pushes["binanceusdm"].append(binanceusdm.force_order("SELL", str(n), price, ts, f"{p.coin}USDT"))
        pushes["bybit"].append(bybit.all_liquidation("Buy", str(n), price, ts + 1, f"{p.coin}USDT"))
        pushes["okx"].append(
            okx.liquidation_order("sell", "long", str(n), price, ts + 2, f"{p.coin}-USDT-SWAP")
        )
        pushes["gate"].append(gate.liq_order(n, price, ts_s=ts // 1000, contract=f"{p.coin}_USDT"))
        pushes["htx"].append(htx.liquidation_order("sell", "long", n, price, ts + 3, f"{p.coin}-USDT"))
        for venue in VENUE:
            sums[VENUE[venue], p.coin] += expected(venue, p, n)
    for venue, messages in pushes.items():
        if venue in ("gate", "htx"):  # into the REST history and out on the all-market stream: once each
            await f[venue].push_prints(*messages)
        else:
            await f[venue].push_liquidations(*messages)
    return sums


async def subscribed(f: FakeVenues) -> None:
    """Streams deliver only to subscribers: the all-market topics, and every coin's Bybit topic."""
    await f.binanceusdm.wait_subscribed(binanceusdm.ALL_MARKET, timeout=10)
    await f.okx.wait_subscribed("liquidation-orders:SWAP", timeout=10)
    for coin in perpetuals():
        await f.bybit.wait_subscribed(f"allLiquidation.{coin}USDT", timeout=10)


def test_liquidations_on_every_coin_of_all_five_venues_add_up_by_venue_and_by_coin() -> None:
    seen: list[LiquidationEvent] = []

    async def scenario() -> tuple[dict[tuple[str, str], float], dict[str, float], dict[str, str]]:
        async with fake_venues() as f:
            engine = live_engine(fake_config(f), SimClock(START_MS))

            def collect(event: MarketEvent) -> None:
                if isinstance(event, LiquidationEvent):
                    seen.append(event)

            engine.taps.append(collect)
            engine.start()
            try:
                await subscribed(f)
                await asyncio.sleep(0.3)
                sums = await push_everywhere(f, engine.clock.now_ms())
                with contextlib.suppress(AssertionError):  # what arrived is checked below
                    await f.gate.wait_until(lambda: len(seen) >= len(sums), timeout=20)
                await asyncio.sleep(1.5)  # a repeat (an overlapping poll) would arrive by now
                now = engine.clock.now_ms()
                # The engine's windows over what it was given (its queue drains on its own schedule).
                windows = LiquidationWindows()
                windows.ingest(seen)
                by_venue = {v: sum(ls) for v, ls in windows.totals(3600, now).by_venue.items()}
                notes = {s.name: s.coverage_note for s in engine.state.health.statuses(now)}
            finally:
                await engine.stop()
            return sums, by_venue, notes

    sums, by_venue, notes = asyncio.run(asyncio.wait_for(scenario(), 90))
    by_coin_expected: dict[str, float] = defaultdict(float)
    for (_, coin), usd in sums.items():
        by_coin_expected[coin] += usd
    by_coin: dict[str, float] = defaultdict(float)
    found: dict[tuple[str, str], float] = defaultdict(float)
    for e in seen:
        coin = e.symbol.split("/")[0]
        by_coin[coin] += e.notional_usd
        found[e.venue, coin] += e.notional_usd
    assert len(seen) == len(sums) == 5 * len(perpetuals())
    assert found == pytest.approx(dict(sums), rel=1e-9)
    assert by_coin == pytest.approx(dict(by_coin_expected), rel=1e-9)
    for name in VENUE.values():
        want = sum(usd for (v, _), usd in sums.items() if v == name)
        assert by_venue[name] == pytest.approx(want, rel=1e-9), name
    assert notes["binanceusdm"].startswith("all USDT/USDC perpetuals") and "top 100" in notes["bybit"]
