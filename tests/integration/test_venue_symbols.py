"""A streaming venue that follows several symbols delivers every liquidation of every symbol exactly once.

ccxt keeps one liquidation cache per exchange instance for all symbols; a watch returns only the first message
of a burst and the rest wait in that cache. Found in issue 13: each symbol's loop read the shared cache
through one shared read position and kept only its own symbol, so a burst on BTC and ETH together lost the
events of whichever loop woke second (ETH got 0 of 150).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.models import MarketEvent
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes import binanceusdm, bybit, okx
from tests.fakes.cluster import FakeVenues, fake_venues
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import one_venue_config

SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT")
BURST = 150  # liquidations per symbol, pushed together
BASE_PRICE = {"BTC/USDT:USDT": 70_000, "ETH/USDT:USDT": 3_000}
TOPICS = {
    "binanceusdm": ("btcusdt@forceOrder", "ethusdt@forceOrder"),
    "bybit": ("allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"),
    "okx": ("liquidation-orders:SWAP",),
}


def raw(venue: str, symbol: str, k: int, ts: int) -> dict[str, Any]:
    """One long liquidation of ``symbol`` at a price of its own (so no two events are twins)."""
    price = str(BASE_PRICE[symbol] + k)
    coin = symbol.split("/")[0]
    if venue == "binanceusdm":
        return binanceusdm.force_order("SELL", "0.1", price, ts=ts, symbol=f"{coin}USDT")
    if venue == "bybit":
        return bybit.all_liquidation("Buy", "0.1", price, ts=ts, symbol=f"{coin}USDT")
    return okx.liquidation_order("sell", "long", "10", price, ts=ts, inst_id=f"{coin}-USDT-SWAP")


def multi_symbol_config(f: FakeVenues, venue: str) -> Config:
    config = one_venue_config(f, venue)
    # The per-symbol subscriptions (market-wide feeds are tests/integration/test_market_wide.py's).
    venues = {**config.venues, venue: replace(config.venues[venue], symbols=SYMBOLS, market_wide=False)}
    return replace(config, venues=venues)


async def deliver_bursts(venue: str, seen: list[LiquidationEvent]) -> None:
    """Push the bursts; ``seen`` collects every liquidation the source emits."""
    async with fake_venues(venue) as f:
        engine = live_engine(multi_symbol_config(f, venue), SimClock(START_MS))

        def collect(event: MarketEvent) -> None:
            if isinstance(event, LiquidationEvent):
                seen.append(event)

        engine.taps.append(collect)
        engine.start()
        try:
            fake = f[venue]
            for topic in TOPICS[venue]:
                await fake.wait_subscribed(topic, timeout=10)
            await asyncio.sleep(0.3)  # both symbols' loops are waiting on their watch
            now = engine.clock.now_ms()
            # Interleaved, as a cascade on both markets arrives: BTC, ETH, BTC, ETH, ...
            messages = [raw(venue, s, k, now - 5_000 + k) for k in range(BURST) for s in SYMBOLS]
            await fake.push_liquidations(*messages)
            with contextlib.suppress(AssertionError):  # what did arrive is checked by the test
                await fake.wait_until(lambda: len(seen) >= BURST * len(SYMBOLS), timeout=10)
            await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
        finally:
            await engine.stop()


@pytest.mark.parametrize("venue", ["binanceusdm", "bybit", "okx"])
def test_a_burst_on_several_symbols_is_delivered_whole_and_once(venue: str) -> None:
    seen: list[LiquidationEvent] = []
    asyncio.run(asyncio.wait_for(deliver_bursts(venue, seen), 60))
    per_symbol = Counter(e.symbol for e in seen)
    assert per_symbol == dict.fromkeys(SYMBOLS, BURST), per_symbol
    twice = [key for key, n in Counter((e.symbol, e.price) for e in seen).items() if n > 1]
    assert not twice, twice
    for symbol in SYMBOLS:
        prices = sorted(e.price for e in seen if e.symbol == symbol)
        assert prices == [float(BASE_PRICE[symbol] + k) for k in range(BURST)], symbol
