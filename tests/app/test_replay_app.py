"""A recorded simulated cascade replays at 10x in the cockpit with the REPLAY badge; the keys control it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cockpit.config import Config
from cockpit.recording.format import read_recording
from cockpit.sources.demo.market import DEFAULT_SEED
from cockpit.wiring import record_demo, replay_app


def test_recorded_cascade_replays_at_10x_with_badge_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "cascade.jsonl.gz"
    record_demo(Config(), DEFAULT_SEED, 3600, path)
    app = replay_app(Config(), read_recording(path), 10.0, 60.0)

    async def run() -> tuple[str, str, str, float, float, bool]:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.5)
            first = str(app.query_one("StatusBar").render())
            liq = str(app.query_one("#liquidations").render())
            await pilot.press("space")
            await pilot.pause(0.3)
            assert app.engine is not None and app.engine.replay is not None
            paused_at = app.engine.replay.info().position_s
            await pilot.press("full_stop")
            await pilot.press("right_square_bracket")
            await pilot.pause(0.5)
            info = app.engine.replay.info()
            status = str(app.query_one("StatusBar").render())
            return first, liq, status, paused_at, info.position_s, info.paused

    first, liq, status, paused_at, after_seek, paused = asyncio.run(run())
    assert "REPLAY 0:01:" in first and "10x" in first and "SIMULATED" in first
    assert "1h" in liq
    assert paused and after_seek == pytest.approx(paused_at + 60)  # positions are float seconds
    assert "paused" in status and "REPLAY" in status


def test_status_bar_says_when_recording_or_history_stopped() -> None:
    from dataclasses import replace

    from cockpit.ui.app import CockpitApp
    from cockpit.ui.messages import SnapshotReady
    from cockpit.wiring import demo_snapshot

    snap = replace(
        demo_snapshot(Config(), DEFAULT_SEED), record_error="OSError: disk full", history_error="h.db: locked"
    )

    async def run() -> str:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(160, 40)) as pilot:
            app.post_message(SnapshotReady(snap))
            await pilot.pause()
            return str(app.query_one("StatusBar").render())

    status = asyncio.run(run())
    # Both stores count as errors; the line shows the first, the sources screen (S) shows both.
    assert "2 error" in status and "history error: h.db: locked" in status
