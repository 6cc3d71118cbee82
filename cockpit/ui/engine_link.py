"""What the app needs of its engine: the in-process ``Engine``, or a daemon's ``DaemonLink`` when the app is
a viewer attached to one. The app never asks which it has."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol

from cockpit.alarms.model import Alarm, AlarmFired, AlarmStatus
from cockpit.models import Snapshot
from cockpit.sources.base import ReplayControls


class AlarmList(Protocol):
    """The alarms as they stand (the list screen, the chart's alarm lines)."""

    def statuses(self) -> Sequence[AlarmStatus]: ...

    def alarms(self) -> Sequence[Alarm]: ...


class AlarmsLink(Protocol):
    """Alarm changes; ``delivers`` says whether the app runs a firing's command and webhook itself (in
    process) or the daemon does (attached)."""

    @property
    def book(self) -> AlarmList: ...

    @property
    def delivers(self) -> bool: ...

    async def add(self, alarm: Alarm) -> Alarm: ...

    async def update(self, alarm: Alarm) -> Alarm: ...

    async def remove(self, alarm_id: int) -> bool: ...

    async def set_muted(self, alarm_id: int, muted: bool) -> Alarm: ...

    async def rearm(self, alarm_id: int) -> Alarm: ...

    async def history(self, rows: int) -> list[AlarmFired]: ...


class EngineLink(Protocol):
    """Snapshots for the app, and the app's wishes for them."""

    @property
    def replay(self) -> ReplayControls | None: ...

    @property
    def alarms(self) -> AlarmsLink: ...

    def snapshots(self) -> AsyncGenerator[Snapshot, None]: ...

    def follow(self, symbol: str) -> None: ...

    def set_chart_timeframe(self, timeframe: str) -> None: ...

    def wake(self) -> None: ...
