"""Through the real ccxt path: a venue whose ticker streams but whose liquidation feed delivers nothing while
another venue's liquidations pour in goes stale, says which feed, and is trusted again once it delivers.

The silence thresholds are shortened through the config (the defaults are 15 minutes and 300 prints)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from cockpit.config import Config, EngineSettings, LiveSettings, SentimentSettings, VenueSettings
from cockpit.engine.engine import Engine
from cockpit.models import LIQUIDATIONS, TICKER, SourceStatus
from cockpit.reports.snapshot_json import snapshot_to_json
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes import bybit, fixtures, okx
from tests.fakes.cluster import FakeVenues, fake_venues
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import until

PEERS = 20  # OKX prints that must arrive while Bybit delivers none
QUIET_S = 3.0


def two_venue_config(f: FakeVenues) -> Config:
    venues = {
        v: VenueSettings(
            enabled=v in ("bybit", "okx"),
            rest_url=f.rest_url(v) if v in ("bybit", "okx") else "",
            ws_url=f.ws_url(v) if v in ("bybit", "okx") else "",
            timeout_s=1.0,
            backoff_max_s=1.0,
            ws_keepalive_s=0.5,
        )
        for v in ("binanceusdm", "bybit", "okx", "gate", "htx")
    }
    engine = EngineSettings(silent_liquidations_s=QUIET_S, silent_liquidations_peers=PEERS)
    return Config(
        venues=venues,
        engine=engine,
        live=LiveSettings(price_venue="htx"),  # disabled: this is about the liquidation feeds
        sentiment=SentimentSettings(enabled=False),
    )


def bybit_of(engine: Engine) -> SourceStatus:
    return next(s for s in engine.snapshot().sources if s.name == "bybit")


async def traffic(f: FakeVenues, engine: Engine) -> None:
    """OKX liquidations and Bybit tickers, three a second; Bybit's liquidation topic stays silent. Prints are
    stamped on the engine's clock (2024 here): wall-time stamps would be dropped as from the future."""
    k = 0
    while True:
        ts = engine.clock.now_ms() - 1_000
        await f.okx.push_liquidations(okx.liquidation_order("sell", "long", "10", str(70_000 + k), ts=ts))
        await f.bybit.push_tickers(fixtures.bybit_ws_tickers()[0])
        k += 1
        await asyncio.sleep(0.3)


async def scenario() -> dict[str, Any]:
    async with fake_venues("bybit", "okx") as f:
        engine = live_engine(two_venue_config(f), SimClock(START_MS))
        engine.start()
        pushing: asyncio.Task[None] | None = None
        try:
            await f.bybit.wait_subscribed("allLiquidation.BTCUSDT", timeout=10)
            await f.okx.wait_subscribed("liquidation-orders:SWAP", timeout=10)
            up, _ = await until(engine, lambda s: {x.state for x in s.sources} == {"ok"}, 10)
            assert up, [(x.name, x.state) for x in engine.snapshot().sources]
            pushing = asyncio.create_task(traffic(f, engine))
            stale, _ = await until(engine, lambda s: bybit_of(engine).state == "stale", 20)
            result: dict[str, Any] = {"stale": stale, "status": bybit_of(engine)}
            result["json"] = snapshot_to_json(engine.snapshot())["sources"]
            result["okx"] = next(s.state for s in engine.snapshot().sources if s.name == "okx")
            ts = engine.clock.now_ms() - 1_000
            await f.bybit.push_liquidations(bybit.all_liquidation("Buy", "0.1", "70000", ts=ts))
            result["back"], _ = await until(engine, lambda s: bybit_of(engine).state == "ok", 10)
            return result
        finally:
            if pushing is not None:
                pushing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pushing
            await engine.stop()


def test_a_venue_whose_ticker_streams_but_whose_liquidations_are_silent_goes_stale() -> None:
    r = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert r["stale"], r["status"]
    feeds = {f.name: f for f in r["status"].feeds}
    assert feeds[LIQUIDATIONS].state == "stale" and feeds[TICKER].state == "ok"
    assert feeds[LIQUIDATIONS].note and "other venues had" in feeds[LIQUIDATIONS].note
    assert r["okx"] == "ok"
    as_json = next(s for s in r["json"] if s["name"] == "bybit")
    assert as_json["state"] == "stale"
    assert [(x["name"], x["state"]) for x in as_json["feeds"]] == [(LIQUIDATIONS, "stale"), (TICKER, "ok")]
    assert r["back"], "one Bybit liquidation did not make it trusted again"
