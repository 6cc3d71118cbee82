"""Replaying a recording into the engine: a controllable clock, the player, and the headless snapshot.

The player is a source like any other, so a replay fills the same panes as the session it recorded. Each
recorded source is registered under its own name (the status bar shows what was recorded); the first one
drives the whole stream. Seeking backwards replays from the start into a fresh market state, which keeps
replay deterministic: the state at an instant depends only on the events before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from cockpit.models import ReplayInfo
from cockpit.recording.format import Recording, SourceInfo
from cockpit.sources.base import Emit
from cockpit.sources.clock import SimClock

MIN_SPEED, MAX_SPEED = 0.25, 1000.0


class ReplayClock(SimClock):
    """Market time of a replay: the simulated clock (``speed`` times real time from ``start_ms``) that can
    also pause and jump; ``start_ms`` is rebased to the current position on every change."""

    def __init__(self, start_ms: int, speed: float = 1.0) -> None:
        super().__init__(start_ms, speed)
        self.paused = False

    def now_ms(self) -> int:
        return self.start_ms if self.paused else super().now_ms()

    def seek(self, ms: int) -> None:
        self.start_ms, self._t0 = ms, time.monotonic()

    def set_speed(self, speed: float) -> None:
        self.seek(self.now_ms())  # rebase so the change applies from now on
        self.speed = min(MAX_SPEED, max(MIN_SPEED, speed))

    def set_paused(self, paused: bool) -> None:
        self.seek(self.now_ms())
        self.paused = paused


class ReplayChannel:
    """One recorded source as the engine sees it; only the driving channel runs the player."""

    def __init__(self, info: SourceInfo, drive: Callable[[Emit], Awaitable[None]] | None = None) -> None:
        self.name = info.name
        self.cadence_s = info.cadence_s
        self.simulated = info.simulated
        self.sampled = info.sampled
        self.venues = info.venues
        self.symbols = info.symbols
        self._drive = drive

    async def run(self, emit: Emit) -> None:
        if self._drive is not None:
            await self._drive(emit)
        else:
            await asyncio.Event().wait()  # its events arrive through the driving channel


class ReplayPlayer:
    """Emits recorded events once the clock reaches their emission time; pauses at the end."""

    def __init__(self, recording: Recording, clock: ReplayClock) -> None:
        self.recording = recording
        self.clock = clock
        self.start_ms = recording.header.start_ms
        self.end_ms = max(self.start_ms, recording.end_ms)
        self.on_rewind: Callable[[], None] = lambda: None
        self._next = 0  # index of the first event not yet emitted
        self._played_to = self.start_ms

    def info(self) -> ReplayInfo:
        now = min(self.clock.now_ms(), self.end_ms)
        return ReplayInfo(
            (now - self.start_ms) / 1000,
            (self.end_ms - self.start_ms) / 1000,
            self.clock.speed,
            self.clock.paused,
        )

    def toggle_pause(self) -> None:
        self.clock.set_paused(not self.clock.paused)

    def change_speed(self, factor: float) -> None:
        self.clock.set_speed(self.clock.speed * factor)

    def seek_by(self, seconds: float) -> None:
        now = min(self.clock.now_ms(), self.end_ms)
        self.clock.seek(min(self.end_ms, max(self.start_ms, now + int(seconds * 1000))))

    def step(self, emit: Emit) -> None:
        """Emit everything due by the clock's present (after a backwards seek, from the start again)."""
        now = self.clock.now_ms()
        if now >= self.end_ms and not self.clock.paused:
            self.clock.seek(self.end_ms)
            self.clock.set_paused(True)
            now = self.end_ms
        if now < self._played_to:
            self.on_rewind()
            self._next = 0
        events = self.recording.events
        while self._next < len(events) and events[self._next][0] <= now:
            emit(events[self._next][1])
            self._next += 1
        self._played_to = now

    async def run(self, emit: Emit) -> None:
        while True:
            self.step(emit)
            events = self.recording.events
            wait = 0.2
            if self._next < len(events) and not self.clock.paused:
                wait = self.clock.real_seconds((events[self._next][0] - self.clock.now_ms()) / 1000)
            # Short sleeps keep pause, seek and speed keys responsive; never spin.
            await asyncio.sleep(min(0.2, max(0.02, wait)))
