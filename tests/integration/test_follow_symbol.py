"""Any instrument on the chart (issue 18 §4), live against the fake venues: following ETH fetches its
candles from the price venue (a loading state until they arrive), the chart and the price are ETH's, BTC's
candles stay cached for the way back, and each instrument keeps its own price."""

from __future__ import annotations

import asyncio
from typing import cast

from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes.cluster import fake_venues
from tests.integration.test_live_venues import START_MS, fake_config

ETH = "ETH/USDT:USDT"
BTC = "BTC/USDT:USDT"


def test_following_another_instrument_backfills_it_and_keeps_the_first() -> None:
    async def scenario() -> dict[str, object]:
        async with fake_venues() as f:
            engine = live_engine(fake_config(f), SimClock(START_MS))
            out: dict[str, object] = {}
            stream = engine.snapshots()
            try:
                async for snap in stream:
                    if snap.symbol == BTC and len(snap.candles.ts_ms) and snap.price is not None:
                        out["btc_price"] = snap.price
                        out["btc_levels"] = snap.analysis is not None
                        out["offered"] = snap.instruments
                        break
                engine.follow(ETH)
                first = engine.snapshot()
                out["switched"] = (first.symbol, first.loading)
                async for snap in stream:
                    if not snap.loading and len(snap.candles.ts_ms) and snap.symbol == ETH:
                        out["eth"] = (snap.price, float(snap.candles.close[-1]), snap.analysis is not None)
                        break
                engine.follow(BTC)
                back = engine.snapshot()
                out["back"] = (back.symbol, back.loading, back.price, len(back.candles.ts_ms))
            finally:
                await stream.aclose()
            return out

    out = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert ETH in out["offered"] and BTC in out["offered"]  # type: ignore[operator]
    assert out["switched"] == (ETH, True)  # at once, and says it is loading
    eth_price, eth_close, levels = cast(tuple[float | None, float, bool], out["eth"])
    # The fake serves ETH at about 3,000 (its BTC candles scaled): nothing of BTC's ~70,000 leaks in.
    assert 1_000 < eth_close < 10_000 and eth_price is not None and 1_000 < eth_price < 10_000
    assert levels == out["btc_levels"]  # levels from ETH's own candles whenever BTC's had them
    symbol, loading, btc_price, bars = cast(tuple[str, bool, float, int], out["back"])
    assert symbol == BTC and loading is False and bars > 0  # cached: no loading on the way back
    assert btc_price == out["btc_price"]


def test_instruments_on_other_screens_are_kept_current() -> None:
    """A daemon's second viewer charts ETH while BTC is followed: ETH's candles, price and funding arrive
    too (``show_also``), and its view is ETH's own; with no other screen left, ETH's feeds stop."""

    async def scenario() -> dict[str, object]:
        async with fake_venues() as f:
            engine = live_engine(fake_config(f), SimClock(START_MS))
            out: dict[str, object] = {}
            moments = engine.moments()
            try:
                await anext(moments)
                engine.show_also(frozenset({BTC, ETH}))
                for _ in range(40):
                    await anext(moments)
                    _, views = engine.views([(BTC, "1h"), (ETH, "1h")])
                    eth = views[(ETH, "1h")]
                    if not eth.loading and eth.price is not None and eth.funding_rate is not None:
                        out["eth"] = (eth.symbol, eth.price, len(eth.candles.ts_ms))
                        out["btc"] = views[(BTC, "1h")].price
                        break
                out["also"] = [getattr(s, "also", None) for s in engine.sources if getattr(s, "also", None)]
                engine.show_also(frozenset({BTC}))
                price_venues = [s for s in engine.sources if getattr(s, "is_price_venue", False)]
                out["after"] = [getattr(s, "also", None) for s in price_venues]
            finally:
                await moments.aclose()
            return out

    out = asyncio.run(asyncio.wait_for(scenario(), 60))
    symbol, eth_price, bars = cast(tuple[str, float, int], out["eth"])
    assert symbol == ETH and 1_000 < eth_price < 10_000 and bars > 0
    assert out["btc"] is not None and float(cast(float, out["btc"])) > 10_000  # BTC stays BTC's
    assert out["also"] == [frozenset({ETH})]  # only the price venue follows other screens
    assert out["after"] == [frozenset()]
