"""The engine: every liquidation reaches exactly one snapshot; sources report ok / stale / error."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from cockpit.analytics import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config, EngineSettings
from cockpit.engine.engine import Engine
from cockpit.models import Backfill, PriceTick
from cockpit.sources.base import Emit
from cockpit.sources.clock import ManualClock

T0 = 1_770_000_000_000 // 60_000 * 60_000


def minutes(n: int, start: int = T0 - 7 * 86_400_000) -> Candles:
    rng = np.random.default_rng(1)
    close = 75_000 + np.cumsum(rng.normal(0, 30, n))
    ts = start + np.arange(n) * 60_000
    return Candles.from_arrays(ts, close, close + 20, close - 20, close, np.ones(n))


class BurstSource:
    """5,000 liquidations per simulated second for 10 seconds, in uneven chunks."""

    name = "burst"
    cadence_s = 1.0
    simulated = True
    sampled = False

    def __init__(self, clock: ManualClock, per_second: int = 5_000, seconds: int = 10) -> None:
        self.clock = clock
        self.per_second = per_second
        self.seconds = seconds
        self.sent: list[LiquidationEvent] = []
        self.done = asyncio.Event()

    async def run(self, emit: Emit) -> None:
        rng = np.random.default_rng(3)
        emit(Backfill(self.name, "BTC/USDT:USDT", minutes(7 * 1440)))
        for second in range(self.seconds):
            base = self.clock.now_ms()
            emitted = 0
            while emitted < self.per_second:
                chunk = int(rng.integers(1, 700))
                for k in range(min(chunk, self.per_second - emitted)):
                    e = LiquidationEvent(
                        base + (emitted + k) * 1000 // self.per_second,
                        f"SimEx {'ABC'[(emitted + k) % 3]}",
                        "BTC/USDT:USDT",
                        "long" if (emitted + k) % 4 else "short",
                        float(rng.pareto(1.5) * 1000 + 100),
                        75_000.0,
                    )
                    self.sent.append(e)
                    emit(e)
                emitted += chunk
                await asyncio.sleep(0)  # let the publisher interleave snapshots anywhere
            emit(PriceTick(self.name, "BTC/USDT:USDT", base, 75_000.0 + second))
            self.clock.advance(1000)
            del second
        self.done.set()
        await asyncio.Event().wait()


async def _collect(engine: Engine, source: BurstSource) -> list[LiquidationEvent]:
    got: list[LiquidationEvent] = []
    snaps = engine.snapshots()
    async for snap in snaps:
        got.extend(snap.new_liquidations)
        if source.done.is_set() and engine._queue.empty():
            got.extend(engine.snapshot().new_liquidations)
            break
    await snaps.aclose()
    return got


def test_no_liquidation_dropped_or_duplicated_at_5000_per_second() -> None:
    clock = ManualClock(T0)
    source = BurstSource(clock)
    config = Config(engine=EngineSettings(snapshot_hz=60.0))
    engine = Engine(config, [source], clock, symbol="BTC/USDT:USDT", kind="demo")
    got = asyncio.run(asyncio.wait_for(_collect(engine, source), timeout=120))
    assert len(source.sent) == 50_000
    assert got == source.sent  # same events, same order, each exactly once
    assert engine.state.windows.totals(3600, clock.now_ms()).count == 50_000


def test_snapshot_is_frozen_and_carries_only_new_events() -> None:
    clock = ManualClock(T0)
    engine = Engine(Config(), [], clock, symbol="X", kind="demo")
    engine.emit(Backfill("s", "X", minutes(3000)))
    e1 = LiquidationEvent(T0 - 1000, "SimEx A", "X", "long", 1e6, 75_000.0)
    engine.emit(e1)
    first = engine.snapshot()
    assert first.new_liquidations == (e1,)
    assert engine.snapshot().new_liquidations == ()
    with pytest.raises(AttributeError):
        first.price = 1.0  # type: ignore[misc]
    assert not first.candles.close.flags.writeable


class QuietSource:
    name = "quiet"
    cadence_s = 2.0
    simulated = False
    sampled = False

    async def run(self, emit: Emit) -> None:
        await asyncio.Event().wait()


class FailingSource:
    name = "broken"
    cadence_s = 1.0
    simulated = False
    sampled = False

    async def run(self, emit: Emit) -> None:
        raise ConnectionError("venue refused the connection")


def test_source_states_ok_stale_error() -> None:
    async def scenario() -> dict[str, tuple[Any, str | None]]:
        clock = ManualClock(T0)
        engine = Engine(Config(), [QuietSource(), FailingSource()], clock, symbol="X", kind="live")
        engine.start()
        await asyncio.sleep(0.01)
        engine.emit(PriceTick("quiet", "X", T0, 1.0))
        snap = engine.snapshot()
        states = {s.name: (s.state, s.error) for s in snap.sources}
        clock.advance(5_000)  # 2.5 cadences: still ok
        assert {s.name: s.state for s in engine.snapshot().sources}["quiet"] == "ok"
        clock.advance(2_000)  # 3.5 cadences without data
        states["quiet-later"] = {s.name: (s.state, s.error) for s in engine.snapshot().sources}["quiet"]
        await engine.stop()
        return states

    states = asyncio.run(scenario())
    assert states["quiet"] == ("ok", None)
    assert states["broken"][0] == "error" and "venue refused the connection" in (states["broken"][1] or "")
    assert states["quiet-later"] == ("stale", None)


def test_chart_rsi_is_aligned_with_the_chart_and_causal() -> None:
    from cockpit.analytics import rsi
    from cockpit.analytics.resample import resample

    clock = ManualClock(T0)
    engine = Engine(Config(), [], clock, symbol="X", kind="demo")
    engine.emit(Backfill("s", "X", minutes(3000)))
    snap = engine.snapshot()
    closed = resample(minutes(3000), 3_600_000)
    assert len(snap.chart_rsi) == len(snap.candles)
    expected = rsi(closed.close)
    got = snap.chart_rsi[: len(expected)]
    assert np.allclose(got, expected, equal_nan=True)
    # Bars past the closed ones (the forming bar) carry no value: it would still move.
    assert np.isnan(snap.chart_rsi[len(expected) :]).all()
    assert not snap.chart_rsi.flags.writeable
