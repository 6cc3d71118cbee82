"""Replay keys in the app: pause, speed and seek act on the engine's replay (absent outside a replay)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.text.formatting import replay_badge

if TYPE_CHECKING:
    from cockpit.ui.engine_link import EngineLink


def replay_action(engine: EngineLink | None, op: str, amount: float) -> str | None:
    """Apply a replay key; returns a short notice, or None when nothing is replaying."""
    replay = engine.replay if engine is not None else None
    if replay is None:
        return None
    if op == "pause":
        replay.toggle_pause()
    elif op == "speed":
        replay.change_speed(amount)
    elif op == "seek":
        replay.seek_by(amount)
    assert engine is not None
    engine.wake()
    return replay_badge(replay.info())
