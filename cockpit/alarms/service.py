"""The engine's side of alarms: the book it evaluates, kept in step with the store, firings written to it.

Store calls run in worker threads (``asyncio.to_thread``): a commit is an fsync (``synchronous=FULL``), which
is ~ms on a quiet disk but unbounded on a busy or network one, and a write may wait up to the busy timeout
while another cockpit writes. The event loop keeps applying ticks meanwhile; firings reach the UI through
the snapshot without waiting for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.model import Alarm
from cockpit.alarms.store import AlarmStore, StoreError, UnknownAlarm

POLL_S = 1.0  # how often another process's changes are looked for (one PRAGMA read)
T = TypeVar("T")


class AlarmService:
    """Add / change / remove alarms for the engine and the UI; record firings; follow other processes.

    Without a store (tests, headless runs) alarms live in memory only, with ids counted here.
    """

    def __init__(self, book: AlarmBook, store: AlarmStore | None = None) -> None:
        self.book = book
        self.store = store
        self.error: str | None = None  # the last store problem, shown by the UI; cleared by a success
        self._wake = asyncio.Event()
        self._checked = 0.0
        self._next_id = 1
        if store is not None:
            # Once, before the engine runs: a small SELECT, and the first snapshot should show the alarms.
            book.load(store.list_alarms())

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if self.store is None:
            raise StoreError("no alarm store")
        return await asyncio.to_thread(fn, *args)

    def _memory(self, alarm: Alarm) -> Alarm:
        if alarm.id == 0:
            alarm = replace(alarm, id=self._next_id, created_ms=time.time_ns() // 1_000_000, rev=1)
            self._next_id += 1
        else:
            was = self._existing(alarm.id)
            alarm = replace(
                alarm,
                rev=was.rev + 1,
                done=False,
                created_ms=was.created_ms,
                fired_count=was.fired_count,
                last_fired_ms=was.last_fired_ms,
            )
        self.book.upsert(alarm)
        return alarm

    def _existing(self, alarm_id: int) -> Alarm:
        for a in self.book.alarms():
            if a.id == alarm_id:
                return a
        raise UnknownAlarm(f"no alarm with id {alarm_id}")

    # -- what the UI calls (through the engine) ------------------------------------------------------------

    async def add(self, alarm: Alarm) -> Alarm:
        """Store a new alarm and start evaluating it; returns it with its id."""
        if self.store is None:
            return self._memory(alarm)
        stored = await self._call(self.store.add, alarm)
        self.book.upsert(stored)
        return stored

    async def update(self, alarm: Alarm) -> Alarm:
        """Replace an alarm's definition (by ``alarm.id``); its arming starts afresh."""
        if self.store is None:
            self._existing(alarm.id)
            return self._memory(alarm)
        stored = await self._call(self.store.update, alarm)
        self.book.upsert(stored)
        return stored

    async def remove(self, alarm_id: int) -> bool:
        """Delete an alarm; False when there was none."""
        found = any(a.id == alarm_id for a in self.book.alarms())
        if self.store is not None:
            found = await self._call(self.store.remove, alarm_id)
        self.book.remove(alarm_id)
        return found

    async def set_muted(self, alarm_id: int, muted: bool) -> Alarm:
        """Mute (nothing fires) or unmute an alarm."""
        if self.store is None:
            return self._memory(replace(self._existing(alarm_id), muted=muted))
        stored = await self._call(self.store.set_muted, alarm_id, muted)
        self.book.upsert(stored)
        return stored

    async def rearm(self, alarm_id: int) -> Alarm:
        """Make a done once-alarm live again / restart an alarm's arming."""
        if self.store is None:
            return self._memory(self._existing(alarm_id))
        stored = await self._call(self.store.rearm, alarm_id)
        self.book.upsert(stored)
        return stored

    # -- the background task -------------------------------------------------------------------------------

    def poke(self) -> None:
        """Called by the engine after a batch: firings may wait for the history store."""
        if self.store is not None and self.book.has_unrecorded():
            self._wake.set()

    async def flush(self) -> None:
        """Write the firings not yet in the history (kept for the next try when the store fails)."""
        batch = self.book.take_unrecorded()
        if not batch or self.store is None:
            return
        try:
            await asyncio.to_thread(self.store.record_firings, batch)
            self.error = None
        except StoreError as exc:
            self.error = str(exc)
            self.book.requeue(batch)  # retried on the next wake, oldest first

    async def sync(self) -> None:
        """Reload the alarms when another process changed the store."""
        if self.store is None:
            return
        try:
            if await asyncio.to_thread(self.store.changed):
                self.book.load(await asyncio.to_thread(self.store.list_alarms))
            self.error = None
        except StoreError as exc:
            self.error = str(exc)

    async def run(self) -> None:
        """Until cancelled: record firings as they come, look for other processes' changes every second."""
        if self.store is None:
            return
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_S)
            self._wake.clear()
            await self.flush()
            now = time.monotonic()
            if now - self._checked >= POLL_S:
                self._checked = now
                await self.sync()
