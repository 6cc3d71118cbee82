"""Liquidation history on disk: a restart keeps the 1h/4h/24h windows whole, a backfill after a gap counts
each event once, retention and the size bound hold, and the simulated market has its own file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config, HistorySettings
from cockpit.engine.engine import Engine
from cockpit.models import Backfill
from cockpit.sources.clock import ManualClock
from cockpit.storage.history import LiquidationHistory, history_path

T0 = 1_770_000_000_000
HOUR = 3_600_000
NO_CANDLES = Candles.from_arrays(np.zeros(0, np.int64), [], [], [], [])


def liqs(n: int, start_ms: int, step_ms: int, venue: str = "binance") -> list[LiquidationEvent]:
    return [
        LiquidationEvent(
            start_ms + i * step_ms,
            venue,
            "BTC/USDT:USDT",
            "long" if i % 3 else "short",
            1000.0 + i,
            70_000.0 + i,
        )
        for i in range(n)
    ]


def engine(path: Path, clock: ManualClock) -> Engine:
    e = Engine(Config(), [], clock, symbol="BTC/USDT:USDT", kind="live", history=LiquidationHistory(path))
    e.restore_history()  # what start() does before the sources run
    return e


def windows(e: Engine) -> dict[str, tuple[float, int]]:
    w = e.snapshot().liquidations.windows
    return {k: (round(v.total_usd, 6), v.count) for k, v in w.items()}


def test_restart_keeps_the_windows_whole(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    events = liqs(300, T0 - 20 * HOUR, 4 * 60_000)  # a whole day, every 4 minutes
    clock = ManualClock(T0)
    first = engine(db, clock)
    for ev in events:
        first.emit(ev)
    first.drain()
    before = windows(first)
    assert first.history is not None
    first.history.close()
    # A restart ten minutes later, nothing happened meanwhile: the same windows as a run that never stopped.
    clock.advance(10 * 60_000)
    never_stopped = windows(first)
    second = engine(db, clock)
    assert windows(second) == never_stopped
    assert before["24h"][1] == 300 and never_stopped["24h"][1] == 300
    assert never_stopped["1h"][1] == sum(1 for e in events if e.ts_ms > clock.ms - HOUR)


def test_backfill_after_a_gap_counts_each_event_once(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    events = liqs(40, T0 - 2 * HOUR, 60_000)
    clock = ManualClock(T0)
    first = engine(db, clock)
    for ev in events[:20]:  # the stream delivered the first 20, then the process stopped
        first.emit(ev)
    first.drain()
    assert first.history is not None and first.history.load(0, T0)[-1] == events[19]
    first.history.close()
    second = engine(db, clock)
    # The REST backfill after the gap overlaps what is stored (10..39), and the stream repeats one.
    second.emit(Backfill("binance", "BTC/USDT:USDT", NO_CANDLES, tuple(events[10:])))
    second.emit(events[25])
    second.drain()
    got = windows(second)
    assert got["24h"] == (round(sum(e.notional_usd for e in events), 6), 40)
    assert second.history is not None and second.history.load(0, T0) == tuple(events)


def test_retention_and_size_bound(tmp_path: Path) -> None:
    h = LiquidationHistory(tmp_path / "h.db", HistorySettings(retention_days=1, max_mb=1))
    h.add(liqs(100, T0 - 3 * 24 * HOUR, HOUR))  # three days, one an hour
    assert h.prune(T0) > 0
    assert min(e.ts_ms for e in h.load(0, T0)) >= T0 - 24 * HOUR
    h.add(liqs(40_000, T0 - HOUR, 1, venue="okx"))  # enough to pass 1 MB
    h.prune(T0)
    assert h.size_bytes() <= 1024 * 1024
    kept = h.load(0, T0)
    assert 0 < len(kept) < 40_000 and kept[-1].ts_ms == T0  # the oldest go first


def test_demo_history_lives_in_its_own_file() -> None:
    s = HistorySettings()
    assert history_path(s, demo=True) != history_path(s) and history_path(s).name == "history.db"


def test_a_broken_history_is_reported_and_the_windows_go_on(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    e = engine(tmp_path / "h.db", clock)
    assert e.history is not None
    e.history.close()  # as if the disk went away
    for ev in liqs(3, T0 - 60_000, 1000):
        e.emit(ev)
    snap = e.snapshot()
    assert snap.liquidations.windows["1h"].count == 3
    assert snap.history_error is not None and "h.db" in snap.history_error and e.history is None


def test_an_engine_restart_does_not_load_the_stored_day_twice(tmp_path: Path) -> None:
    """The app restarts a failed engine by running ``snapshots()`` again: the stored day must go into the
    windows once (issue 14: $294.4K shown for $147.2K stored)."""
    import asyncio

    db = tmp_path / "h.db"
    store = LiquidationHistory(db)
    events = liqs(50, T0 - 5 * HOUR, 60_000)
    store.add(events)
    store.close()
    e = Engine(
        Config(), [], ManualClock(T0), symbol="BTC/USDT:USDT", kind="live", history=LiquidationHistory(db)
    )

    async def run_twice() -> None:
        for _ in range(2):
            e.start()
            await e.stop()

    asyncio.run(run_twice())
    assert windows(e)["24h"] == (round(sum(x.notional_usd for x in events), 6), 50)


def test_a_restarted_simulator_does_not_replay_its_opening() -> None:
    import asyncio

    from cockpit.sources.clock import SimClock
    from cockpit.sources.demo.market import OPENING_MS
    from cockpit.sources.demo.source import DemoSource

    clock = SimClock(OPENING_MS, 1.0)
    demo = DemoSource(7, clock)
    e = Engine(Config(), [demo], clock, symbol="BTC/USDT:USDT", kind="demo")

    async def run(times: int) -> None:
        for _ in range(times):
            e.start()
            await asyncio.sleep(0.05)
            await e.stop()
            e.drain()

    asyncio.run(run(1))
    once = windows(e)["24h"]
    asyncio.run(run(1))
    assert windows(e)["24h"][1] == once[1]
