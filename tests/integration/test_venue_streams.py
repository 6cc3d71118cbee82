"""Gate's and HTX's all-market liquidation websockets wired into the venue source, against the fakes on
127.0.0.1: prints arrive once with the right side and notional whether the stream, the REST polls or both
deliver them; HTX's polls take over while its stream is down and stop when it is back; Gate's polls (the
complete source) never stop."""

from __future__ import annotations

import asyncio
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.engine.engine import Engine
from cockpit.models import MarketEvent
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes import gate, htx
from tests.fakes import gate_ws as fake_gate_ws
from tests.fakes import htx_ws as fake_htx_ws
from tests.fakes.cluster import fake_venues
from tests.fakes.faults import Fault
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import POLL_S, one_venue_config, state_of, until


def collecting(engine: Engine) -> list[LiquidationEvent]:
    seen: list[LiquidationEvent] = []

    def tap(event: MarketEvent) -> None:
        if isinstance(event, LiquidationEvent):
            seen.append(event)

    engine.taps.append(tap)
    return seen


async def arrived(seen: list[LiquidationEvent], n: int, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if len(seen) >= n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(seen)} of {n} liquidations arrived")


def htx_row(ts: int, k: int, side: str = "sell", position: str = "long") -> dict[str, Any]:
    """Print k: 100 contracts (0.1 BTC) at 70,000 + k, with a venue id (REST only)."""
    row = htx.liquidation_order(side, position, 100, str(70_000 + k), ts=ts)
    row["id"] = str(7_000_000 + k)
    return row


def feed_error(engine: Engine, venue: str) -> str:
    status = next(s for s in engine.snapshot().sources if s.name == venue)
    return status.error or ""


def test_htx_stream_delivers_falls_back_to_polls_and_back_counting_each_print_once() -> None:
    async def scenario() -> dict[str, Any]:
        async with fake_venues("htx") as f:
            engine = live_engine(one_venue_config(f, "htx", stream=True), SimClock(START_MS))
            f.htx.now_ms = engine.clock.now_ms  # the venue's present is the simulated one
            seen = collecting(engine)
            engine.start()
            out: dict[str, Any] = {}
            try:
                await f.htx.wait_subscribed(fake_htx_ws.TOPIC, timeout=10)
                ok, _ = await until(engine, lambda s: state_of("htx")(s) == "ok", 10)
                assert ok, "never became ok"
                source: Any = next(s for s in engine.sources if s.name == "htx")
                # The first round reads each followed contract's history once, then the polls pause.
                await f.htx.wait_until(lambda: not source._poll_needed(), timeout=10)
                calls = len(f.htx.calls("liquidations"))
                now = engine.clock.now_ms()
                await f.htx.push_prints(htx_row(now - 2_000, 0), htx_row(now - 1_500, 1, "buy", "short"))
                await arrived(seen, 2)
                await asyncio.sleep(POLL_S * 4)
                out["polls_while_up"] = len(f.htx.calls("liquidations")) - calls
                out["streamed"] = [(e.side, e.notional_usd) for e in seen]

                # The stream dies and stays refused: the polls take over from where it stopped.
                f.htx.set_fault("ws", Fault.http(503))
                await f.htx.drop_connections()
                down, _ = await until(engine, lambda s: "liquidations stream" in feed_error(engine, "htx"), 5)
                out["down_shown"], out["down_error"] = down, feed_error(engine, "htx")
                out["down_state"] = state_of("htx")(engine.snapshot())
                now = engine.clock.now_ms()
                # Print 2 only in the REST history (the stream is gone); prints 0 and 1 are there too.
                await f.htx.push_prints(htx_row(now - 1_000, 2), stream=False)
                await arrived(seen, 3)
                calls = len(f.htx.calls("liquidations"))
                await asyncio.sleep(POLL_S * 4)  # a repeat of 0 or 1 from the polls would arrive by now
                out["polls_while_down"] = len(f.htx.calls("liquidations")) - calls

                # The stream is back: the polls stop, new prints come from it.
                f.htx.clear_faults("ws")
                await f.htx.wait_subscribed(fake_htx_ws.TOPIC, timeout=10)
                back, _ = await until(engine, lambda s: state_of("htx")(s) == "ok", 10)
                out["back_ok"] = back
                await asyncio.sleep(POLL_S * 2)
                calls = len(f.htx.calls("liquidations"))
                now = engine.clock.now_ms()
                await f.htx.push_prints(htx_row(now - 500, 3))
                await arrived(seen, 4)
                await asyncio.sleep(POLL_S * 4)
                out["polls_after"] = len(f.htx.calls("liquidations")) - calls
                await until(engine, lambda s: s.liquidations.windows["1h"].count >= 4, 5)  # ingested
                totals = engine.state.windows.totals(3600, engine.clock.now_ms())
                out["count"], out["total"] = totals.count, totals.total_usd
                out["seen"] = len(seen)
            finally:
                await engine.stop()
            return out

    r = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert r["streamed"] == [("long", 0.1 * 70_000), ("short", 0.1 * 70_001)]
    assert r["polls_while_up"] == 0
    assert r["down_shown"] and r["down_state"] == "error" and "polling" in r["down_error"]
    assert r["polls_while_down"] > 0
    assert r["back_ok"] and r["polls_after"] == 0
    assert r["seen"] == r["count"] == 4
    assert abs(r["total"] - sum(0.1 * (70_000 + k) for k in range(4))) < 1e-6


def test_gate_stream_brings_prints_early_and_the_polls_complete_them_once() -> None:
    async def scenario() -> dict[str, Any]:
        async with fake_venues("gate") as f:
            engine = live_engine(one_venue_config(f, "gate", stream=True), SimClock(START_MS))
            seen = collecting(engine)
            engine.start()
            out: dict[str, Any] = {}
            try:
                await f.gate.wait_subscribed(fake_gate_ws.ALL, timeout=10)
                ok, _ = await until(engine, lambda s: state_of("gate")(s) == "ok", 10)
                assert ok, "never became ok"
                t = engine.clock.now_ms() // 1000 - 3
                long_row = gate.liq_order(3000, "70000", ts_s=t)  # a long: 3000 x 0.0001 BTC
                partial = gate.liq_order(-2500, "70000", ts_s=t, order_size=1000, left=200)  # a short
                # The stream alone first (REST has not written them yet): they arrive at once.
                f.gate.set_fault("liquidations", Fault.http(503))
                await f.gate.push_ws_liquidations(*(fake_gate_ws.ws_row_of(r) for r in (long_row, partial)))
                await arrived(seen, 2)
                out["streamed"] = [(e.side, round(e.notional_usd, 6)) for e in seen]
                # REST writes them and a twin of the long the sampled stream left out (same second, order
                # and price, another position): the polls bring the twin, not the two again.
                twin = {**long_row, "size": 3500}
                await f.gate.push_liquidations(long_row, partial, twin)
                f.gate.clear_faults("liquidations")
                await arrived(seen, 3)
                calls = len(f.gate.calls("liquidations"))
                await asyncio.sleep(POLL_S * 4)  # a repeat would arrive by now
                out["polls"] = len(f.gate.calls("liquidations")) - calls
                # The stream drops: shown, and the polls (Gate's complete source) carry on.
                f.gate.set_fault("ws", Fault.http(503))
                await f.gate.drop_connections()
                down, _ = await until(
                    engine, lambda s: "liquidations stream" in feed_error(engine, "gate"), 5
                )
                out["down_shown"] = down
                more = gate.liq_order(1000, "70001", ts_s=engine.clock.now_ms() // 1000 - 1)
                await f.gate.push_liquidations(more)
                await arrived(seen, 4)
                await asyncio.sleep(POLL_S * 2)
                await until(engine, lambda s: s.liquidations.windows["1h"].count >= 4, 5)  # ingested
                totals = engine.state.windows.totals(3600, engine.clock.now_ms())
                out["count"], out["total"], out["seen"] = totals.count, totals.total_usd, len(seen)
                out["sampled"] = next(s for s in engine.snapshot().sources if s.name == "gate").sampled
            finally:
                await engine.stop()
            return out

    r = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert r["streamed"] == [("long", 3000 * 0.0001 * 70_000), ("short", 1000 * 0.0001 * 70_000)]
    assert r["polls"] > 0 and r["down_shown"]
    assert r["seen"] == r["count"] == 4
    want = (3000 + 1000 + 3000) * 0.0001 * 70_000 + 1000 * 0.0001 * 70_001
    assert abs(r["total"] - want) < 1e-6
    assert r["sampled"] is False  # the polls complete the sampled stream
