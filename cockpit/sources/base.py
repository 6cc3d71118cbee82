"""What every source is to the engine: a coroutine that pushes market events through ``Emit`` until it is
cancelled. Sources depend on this module and the models, never on the engine that runs them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cockpit.models import MarketEvent, ReplayInfo

Emit = Callable[[MarketEvent], None]


class Source(Protocol):
    """Something that produces market events until cancelled.

    What the engine needs of every source; read-only, so a plain class attribute satisfies it. A source
    that delivers liquidations also has ``sampled`` (it publishes a sample, so totals including it are
    lower bounds), ``venues`` (the names on its prints) and ``symbols`` (what it follows); the engine
    reads those with defaults (False, (), ()), and such a source emits ``Covered`` for the time it watched.
    It may also say what of its venue's market it covers, ``coverage_note`` ("all perpetuals (all-market
    stream)", "top 100 perpetuals by 24 h turnover"), shown with its status.
    """

    @property
    def name(self) -> str: ...

    @property
    def cadence_s(self) -> float:  # how often it normally delivers; stale after a few of these without data
        ...

    @property
    def simulated(self) -> bool: ...

    async def run(self, emit: Emit) -> None: ...


class ReplayControls(Protocol):
    """What the app can do to a replay (see cockpit.recording.replay.ReplayPlayer)."""

    def info(self) -> ReplayInfo: ...

    def toggle_pause(self) -> None: ...

    def change_speed(self, factor: float) -> None: ...

    def seek_by(self, seconds: float) -> None: ...
