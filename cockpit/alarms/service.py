"""The engine's side of alarms: the book it evaluates, kept in step with the store, firings written to it.

Store calls run in worker threads (``asyncio.to_thread``): a commit is an fsync (``synchronous=FULL``), which
is ~ms on a quiet disk but unbounded on a busy or network one, and a write may wait up to the busy timeout
while another cockpit writes. The event loop keeps applying ticks meanwhile; firings reach the UI through
the snapshot without waiting for the disk.

The file deleted or replaced under the running cockpit is noticed on the next write or the next poll
(``StoreReplaced``): the store reopens the file at the path (a new one if there is none) and the alarms
held here are written into it, so nothing shown on screen is lost; the screen says so for the rest of
the session (the firing history of the deleted file is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.model import Alarm, AlarmFired
from cockpit.alarms.store import AlarmRows, AlarmStore, StoreError, StoreReplaced, UnknownAlarm

POLL_S = 1.0  # how often another process's changes are looked for (one PRAGMA read)
T = TypeVar("T")


class AlarmService:
    """Add / change / remove alarms for the engine and the UI; record firings; follow other processes.

    Without a store (tests, headless runs) alarms live in memory only, with ids counted here.
    """

    # Whoever holds the service in its own process runs a firing's command and webhook (the app, or the
    # daemon); a viewer attached to a daemon holds a link to it instead, whose ``delivers`` is False.
    delivers = True

    def __init__(self, book: AlarmBook, store: AlarmStore | None = None) -> None:
        self.book = book
        self.store = store
        self._failure: str | None = None  # the last store problem; cleared by a success
        self._invalid: list[str] = []  # rows of the store that cannot be read (skipped), one line each
        self.notice: str | None = None  # the file was recreated: said for the rest of the session
        self._wake = asyncio.Event()
        self._checked = 0.0
        self._next_id = 1
        if store is not None:
            # Once, before the engine runs: a small SELECT, and the first snapshot should show the alarms.
            self._load(store.read_alarms())

    @property
    def error(self) -> str | None:
        """What the screen says about the store: the last failure, rows skipped, the file recreated."""
        parts = [p for p in (self._failure, *self._invalid, self.notice) if p]
        return "; ".join(parts) if parts else None

    def _load(self, rows: AlarmRows) -> None:
        self.book.load(rows.alarms)
        self._invalid = rows.invalid

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if self.store is None:
            raise StoreError("no alarm store")
        try:
            return await asyncio.to_thread(fn, *args)
        except StoreReplaced:
            moved = await self._recreate()
        if moved:  # the call's alarm id may now name another alarm: not retried
            raise StoreError(f"{self.store.path.name} was recreated and alarm ids changed; try again")
        return await asyncio.to_thread(fn, *args)

    async def _recreate(self) -> dict[int, int]:
        """Open the file now at the path (new if none) and write the alarms held here into it; returns the
        ids that had to change (another alarm had taken them). ``StoreError`` if it cannot be opened."""
        assert self.store is not None
        store, held = self.store, self.book.alarms()
        await asyncio.to_thread(store.reopen)
        moved = await asyncio.to_thread(store.restore, held)
        self._load(await asyncio.to_thread(store.read_alarms))
        if moved:  # firings not yet written follow their alarm to its new id
            queued = self.book.take_unrecorded()
            self.book.requeue([replace(f, alarm_id=moved.get(f.alarm_id, f.alarm_id)) for f in queued])
        self._failure = None
        self.notice = _recreated(store.path, store.created, len(held), moved)
        return moved

    async def _recover(self) -> None:
        """``_recreate`` for the background task: a failure is shown and retried on the next poll."""
        try:
            await self._recreate()
        except StoreError as exc:
            self._failure = str(exc)

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

    async def history(self, rows: int) -> list[AlarmFired]:
        """The newest ``rows`` firings recorded (none without a store)."""
        if self.store is None:
            return []
        return await self._call(self.store.history, rows)

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
            self._failure = None
        except StoreError as exc:
            self._failure = str(exc)
            self.book.requeue(batch)  # retried on the next wake, oldest first
            if isinstance(exc, StoreReplaced):
                await self._recover()

    async def sync(self) -> None:
        """Reload the alarms when another process changed the store; follow the file if it was replaced."""
        if self.store is None:
            return
        try:
            if await asyncio.to_thread(self.store.changed):
                self._load(await asyncio.to_thread(self.store.read_alarms))
            self._failure = None
        except StoreReplaced:
            await self._recover()
        except StoreError as exc:
            self._failure = str(exc)

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


def _recreated(path: Path, created: bool, held: int, moved: dict[int, int]) -> str:
    """One line for the screen, the important part first (the status bar shows about 60 characters)."""
    if created:
        head = f"{path.name} was deleted: recreated with the {held} alarms held in memory"
        tail = " (its firing history is lost)"
    else:
        head = f"{path.name} was replaced: reopened, with the alarms held in memory added"
        tail = ""
    renumbered = ", ".join(f"alarm {a} is now {b}" for a, b in sorted(moved.items()))
    return f"{head}{tail}{'; ' + renumbered if renumbered else ''} [{path}]"
