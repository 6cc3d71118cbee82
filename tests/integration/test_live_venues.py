"""The cockpit against the project's fake venues on 127.0.0.1, through the real ccxt code path.

A scripted liquidation sequence goes out on all five venues in each venue's own wire format; the app's
snapshot must show exactly the hand-computed 1h totals and long/short split. The fake klines are recorded
2024 candles, so the engine runs on a clock that starts just after them (a live run uses wall time).
"""

from __future__ import annotations

import asyncio
from typing import Any

from cockpit.config import Config, LiveSettings, SentimentSettings, VenueSettings
from cockpit.sources.clock import SimClock
from cockpit.ui.app import CockpitApp
from cockpit.wiring import live_engine
from tests.fakes import binanceusdm, bybit, fixtures, gate, htx, okx
from tests.fakes.cluster import FakeVenues, fake_venues

VENUES = ("binanceusdm", "bybit", "okx", "gate", "htx")
# One minute after the last recorded 1m kline, so the recorded candles count as closed.
START_MS = int(fixtures.binance_klines("1m")[-1][0]) + 120_000
P = "70000"

# (venue, liquidated side, notional USD) worked out by hand from each venue's semantics.
EXPECTED = [
    ("Binance", "long", 0.2 * 70_000),  # order side SELL = a long was liquidated; 1 BTC contracts
    ("Binance", "short", 0.1 * 70_000),
    ("Bybit", "long", 0.5 * 70_000),  # S is the POSITION side: Buy = a long was liquidated
    ("Bybit", "short", 0.3 * 70_000),
    ("OKX", "long", 50 * 0.01 * 70_000),  # posSide long; 0.01 BTC per contract
    ("OKX", "short", 20 * 0.01 * 70_000),
    ("Gate", "long", 3000 * 0.0001 * 70_000),  # signed position size > 0 = long; 0.0001 BTC contracts
    ("Gate", "short", 1000 * 0.0001 * 70_000),  # a partial liquidation: 1000 of a 2500-contract position
    ("HTX", "long", 100 * 0.001 * 70_000),  # position_side long; 0.001 BTC contracts
    ("HTX", "short", 300 * 0.001 * 70_000),
]


def fake_config(f: FakeVenues, **venue_overrides: Any) -> Config:
    venues = {
        v: VenueSettings(
            rest_url=f.rest_url(v),
            ws_url=f.ws_url(v),
            timeout_s=1.0,
            liquidations_poll_s=1.0,
            candles_poll_s=1.0,
            backoff_max_s=1.0,
            **venue_overrides,
        )
        for v in VENUES
    }
    return Config(
        venues=venues,
        live=LiveSettings(price_venue="binanceusdm"),
        sentiment=SentimentSettings(url=f.rest_url("fng") + "/fng/"),
    )


async def push_script(f: FakeVenues, now_ms: int) -> None:
    """Every venue's messages, a few ms apart (HTX ids derive from the time)."""
    t = now_ms - 5_000
    await f.binanceusdm.push_liquidations(
        binanceusdm.force_order("SELL", "0.2", P, ts=t), binanceusdm.force_order("BUY", "0.1", P, ts=t + 1)
    )
    await f.bybit.push_liquidations(
        bybit.all_liquidation("Buy", "0.5", P, ts=t + 2), bybit.all_liquidation("Sell", "0.3", P, ts=t + 3)
    )
    await f.okx.push_liquidations(
        okx.liquidation_order("sell", "long", "50", P, ts=t + 4),
        okx.liquidation_order("buy", "short", "20", P, ts=t + 5),
    )
    # Gate and HTX publish each print in their REST history and on their all-market streams: counted once.
    await f.gate.push_prints(
        gate.liq_order(3000, P, ts_s=t // 1000),
        gate.liq_order(-2500, P, ts_s=t // 1000, order_size=1000, left=200),
    )
    await f.htx.push_prints(
        htx.liquidation_order("sell", "long", 100, P, ts=t + 6),
        htx.liquidation_order("buy", "short", 300, P, ts=t + 7),
    )


async def subscribed(f: FakeVenues) -> None:
    """Streams only deliver to subscribers: wait until each streaming venue has one for liquidations."""
    for name in ("binanceusdm", "bybit", "okx"):
        await f[name].wait_until(lambda v=f[name]: len(v.ws_received()) > 0 and v.live_conns(), timeout=10)


def test_app_shows_hand_computed_totals_across_five_venues() -> None:
    async def scenario() -> tuple[Any, list[str]]:
        async with fake_venues() as f:
            clock = SimClock(START_MS)
            config = fake_config(f)
            engine = live_engine(config, clock)
            app = CockpitApp(config, engine)
            async with app.run_test(size=(120, 40)) as pilot:
                await subscribed(f)
                await asyncio.sleep(0.5)
                await push_script(f, clock.now_ms())
                for _ in range(300):  # up to 30 s on a loaded machine; usually well under one
                    await pilot.pause(0.1)
                    snap = app.snapshot
                    if snap is not None and snap.liquidations.windows["1h"].count >= len(EXPECTED):
                        break
                await pilot.pause(0.3)
                snap = app.snapshot
                text = [str(w.render()) for w in app.query("#liquidations, #status")]
                opened = [s.exchange for s in engine.sources if hasattr(s, "exchange")]
                assert all(ex.session is not None for ex in opened)
            # Quitting cancelled the engine worker: every exchange was closed (HTTP session and sockets).
            for _ in range(50):
                if all(ex.session is None and not ex.clients for ex in opened):
                    break
                await asyncio.sleep(0.05)
            assert len(opened) == 5 and all(ex.session is None and not ex.clients for ex in opened)
            return snap, text

    snap, text = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert snap is not None and snap.source == "live" and snap.simulated is False
    w = snap.liquidations.windows["1h"]
    long_usd = sum(n for _, side, n in EXPECTED if side == "long")
    short_usd = sum(n for _, side, n in EXPECTED if side == "short")
    assert w.count == len(EXPECTED)
    assert abs(w.long_usd - long_usd) < 1e-6 and abs(w.short_usd - short_usd) < 1e-6
    for venue in {v for v, _, _ in EXPECTED}:
        exp_long = sum(n for v, s, n in EXPECTED if v == venue and s == "long")
        exp_short = sum(n for v, s, n in EXPECTED if v == venue and s == "short")
        got = w.by_venue[venue]
        assert abs(got[0] - exp_long) < 1e-6 and abs(got[1] - exp_short) < 1e-6, venue
    assert w.long_share is not None and abs(w.long_share - long_usd / (long_usd + short_usd)) < 1e-12
    # Binance and OKX publish samples: the pane says the totals are lower bounds.
    assert snap.lower_bound and "≥" in text[0]
    # Streams cannot be backfilled: the windows say they only cover the time since start.
    assert snap.liquidations.partial("24h") and "collecting since" in text[0] and "no data" in text[0]
    assert "totals: BTC/USDT:USDT on 5 venues" in text[0]
    assert "SIMULATED" not in text[1]
    states = {s.name: s.state for s in snap.sources}
    assert states == dict.fromkeys([*VENUES, "alternative.me"], "ok"), states
