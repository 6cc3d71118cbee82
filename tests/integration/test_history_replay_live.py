"""Through the real ccxt path against the fake venues: a live session is recorded and kept in the history;
a restart refills the windows from the history, and the polled venues' overlapping backfill (Gate and HTX
return the same events again) counts each event once; the recording replays to the same windows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cockpit.config import Config
from cockpit.recording.format import read_recording
from cockpit.recording.recorder import attach_recorder
from cockpit.sources.clock import SimClock
from cockpit.storage.history import LiquidationHistory
from cockpit.wiring import live_engine, replay_snapshot
from tests.fakes.cluster import fake_venues
from tests.integration.test_live_venues import EXPECTED, START_MS, fake_config, push_script, subscribed


async def _until_count(engine: Any, n: int) -> Any:
    for _ in range(100):
        snap = engine.snapshot()
        if snap.liquidations.windows["1h"].count >= n:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.5)  # a few more polls: repeats would show up here
    return engine.snapshot()


def test_restart_refills_windows_once_and_recording_replays(tmp_path: Path) -> None:
    db, rec_path = tmp_path / "history.db", tmp_path / "live.jsonl.gz"

    async def scenario() -> tuple[Any, Any]:
        async with fake_venues() as f:
            clock = SimClock(START_MS)
            config = fake_config(f)
            first = live_engine(config, clock, history=LiquidationHistory(db))
            writer = attach_recorder(first, rec_path)
            first.start()
            await subscribed(f)
            await asyncio.sleep(0.5)
            await push_script(f, clock.now_ms())
            before = await _until_count(first, len(EXPECTED))
            await first.stop()
            writer.close()
            assert first.history is not None and first.tap_error is None
            first.history.close()
            # Restart: the windows come back from disk; Gate and HTX are polled again from their backfill
            # start and return the same events, which the history recognises.
            second = live_engine(config, clock, history=LiquidationHistory(db))
            second.start()
            try:
                after = await _until_count(second, len(EXPECTED))
            finally:
                await second.stop()
            return before, after

    before, after = asyncio.run(asyncio.wait_for(scenario(), 90))
    for snap in (before, after):
        w = snap.liquidations.windows["1h"]
        assert w.count == len(EXPECTED)
        assert abs(w.total_usd - sum(n for _, _, n in EXPECTED)) < 1e-6
    assert after.history_error is None
    rec = read_recording(rec_path)
    assert rec.error is None and rec.header.source == "live"
    # The recording holds the normalised events (venue subclasses included): it replays to the same window.
    replayed = replay_snapshot(Config(), rec, (rec.end_ms - rec.header.start_ms) / 1000)
    assert replayed.liquidations.windows["1h"].count == len(EXPECTED)
