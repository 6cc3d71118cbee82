"""What every source is to the engine: a coroutine that pushes market events through ``Emit`` until it is
cancelled. Sources depend on this module and the models, never on the engine that runs them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cockpit.models import MarketEvent, ReplayInfo

Emit = Callable[[MarketEvent], None]


class Source(Protocol):
    """Something that produces market events until cancelled."""

    name: str
    cadence_s: float  # how often it normally delivers; stale after a few of these without data
    simulated: bool
    sampled: bool  # publishes a sample of liquidations, so totals including it are lower bounds
    # A source that delivers liquidations also names the venues on its prints and the instruments it
    # follows, and emits ``Covered`` for the time it watched (engine code reads these with defaults).
    venues: tuple[str, ...]
    symbols: tuple[str, ...]

    async def run(self, emit: Emit) -> None: ...


class ReplayControls(Protocol):
    """What the app can do to a replay (see cockpit.recording.replay.ReplayPlayer)."""

    def info(self) -> ReplayInfo: ...

    def toggle_pause(self) -> None: ...

    def change_speed(self, factor: float) -> None: ...

    def seek_by(self, seconds: float) -> None: ...
