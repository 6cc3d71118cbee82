"""A viewer's side of the daemon: what the app calls its engine, speaking to the daemon's socket.

The app asks of it what it asks of an in-process engine: snapshots, alarm changes, the chart's symbol and
timeframe. Snapshots are the daemon's, for this viewer's own view; alarm changes are requests the daemon
carries out (its service is the one that evaluates and fires). When the daemon goes away the snapshots
go on, marked "lost", until a daemon answers again: the viewer attaches to it with its view, and the
first snapshot brings the whole state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from cockpit.alarms.model import Alarm, AlarmFired, AlarmStatus
from cockpit.alarms.store import StoreError
from cockpit.analytics.pipeline import Analysis
from cockpit.daemon import codec
from cockpit.models import Snapshot

LOST_AFTER_S = 1.5  # no frame for this long: the daemon is gone (it sends one a second at least)
FIRST_FRAME_S = LOST_AFTER_S * 4  # a daemon just started computes its market first (~2 s for the demo's)
RETRY_S = 0.5
ANSWER_TIMEOUT_S = 10.0


class MirrorBook:
    """The daemon's alarms as the last snapshot listed them (what the alarm list and chart draw)."""

    def __init__(self) -> None:
        self._statuses: tuple[AlarmStatus, ...] = ()

    def show(self, statuses: tuple[AlarmStatus, ...]) -> None:
        self._statuses = statuses

    def statuses(self) -> tuple[AlarmStatus, ...]:
        return self._statuses

    def alarms(self) -> list[Alarm]:
        return [s.alarm for s in self._statuses]


class Asker(Protocol):
    """Whatever carries a request to the daemon: the socket (``DaemonLink``) or the bus (``NatsLink``)."""

    async def ask(self, op: str, args: object) -> Any: ...


class RemoteAlarms:
    """The alarm service's methods, carried out by the daemon."""

    store = None  # the daemon owns the store; history comes through ``history``
    delivers = False  # the daemon runs the command and webhook of a firing, once for every viewer

    def __init__(self, link: Asker) -> None:
        self.link = link
        self.book = MirrorBook()

    async def _ask(self, op: str, args: object) -> Any:
        try:
            return await self.link.ask(op, args)
        except (ConnectionError, asyncio.TimeoutError) as exc:
            raise StoreError(f"the daemon did not answer ({type(exc).__name__})") from None

    async def add(self, alarm: Alarm) -> Alarm:
        return await self._saved(self._ask("add", alarm))

    async def update(self, alarm: Alarm) -> Alarm:
        return await self._saved(self._ask("update", alarm))

    async def remove(self, alarm_id: int) -> bool:
        return bool(await self._ask("remove", alarm_id))

    async def set_muted(self, alarm_id: int, muted: bool) -> Alarm:
        return await self._saved(self._ask("mute" if muted else "unmute", alarm_id))

    async def rearm(self, alarm_id: int) -> Alarm:
        return await self._saved(self._ask("rearm", alarm_id))

    async def history(self, rows: int) -> list[AlarmFired]:
        return list(await self._ask("history", rows))

    async def _saved(self, answer: Any) -> Alarm:
        saved = await answer
        if not isinstance(saved, Alarm):
            raise StoreError("the daemon answered with no alarm")
        return saved


class DaemonLink:
    """The engine of an attached viewer."""

    replay = None  # a daemon runs live or simulated markets, never a recording

    def __init__(self, path: Path, symbol: str, timeframe: str) -> None:
        self.path = path
        self.followed, self.chart_timeframe = symbol, timeframe
        self.alarms = RemoteAlarms(self)
        self.info: dict[str, Any] = {}  # the daemon's greeting: pid, kind, started_ms
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._analysis: Analysis | None = None  # the last frame's: kept while the daemon says it is the same
        self._next = 0

    async def connect(self) -> dict[str, Any]:
        """Attach: greetings both ways, then this viewer's view. ``codec.VersionMismatch`` when the daemon
        speaks another protocol; ``OSError`` when none answers."""
        reader, writer = await asyncio.open_unix_connection(str(self.path))
        try:
            hello = await asyncio.wait_for(codec.read_frame(reader), FIRST_FRAME_S)
            self.info = codec.read_greeting(hello, "daemon")
            writer.write(codec.greeting("viewer"))
            writer.write(codec.encode(("view", self.followed, self.chart_timeframe)))
            await writer.drain()
        except BaseException:
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        return self.info

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(ConnectionError("the daemon went away"))
        self._answers.clear()

    def _send(self, message: object) -> None:
        if self._writer is None:
            raise ConnectionError("not attached")
        self._writer.write(codec.encode(message))

    async def ask(self, op: str, args: object) -> Any:
        """A request to the daemon and its answer; the daemon's refusal as ``StoreError``."""
        self._next += 1
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._answers[self._next] = answer
        self._send(("ask", self._next, op, args))
        return await asyncio.wait_for(answer, ANSWER_TIMEOUT_S)

    def follow(self, symbol: str) -> None:
        self.followed = symbol
        with contextlib.suppress(ConnectionError):
            self._send(("view", symbol, self.chart_timeframe))

    def set_chart_timeframe(self, timeframe: str) -> None:
        self.chart_timeframe = timeframe
        with contextlib.suppress(ConnectionError):
            self._send(("view", self.followed, timeframe))

    def wake(self) -> None:
        """Nothing to wake here: the daemon publishes at its own pace."""

    async def snapshots(self) -> AsyncGenerator[Snapshot, None]:
        """The daemon's snapshots of this view; while it is gone, the last one marked "lost" (once), and
        a new attempt to attach every ``RETRY_S``."""
        last: Snapshot | None = None
        try:
            while True:
                try:
                    if self._reader is None:
                        await self.connect()
                    async for snap in self._received():
                        last = snap
                        yield snap
                except codec.VersionMismatch:
                    raise
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, codec.ProtocolError):
                    pass
                lost = self._reader is not None or (last is not None and last.link != "lost")
                self.close()
                if lost and last is not None:
                    last = replace(last, link="lost", new_liquidations=(), fired_alarms=())
                    yield last
                await asyncio.sleep(RETRY_S)
        finally:
            self.close()

    async def _received(self) -> AsyncGenerator[Snapshot, None]:
        """Snapshots as a reader task receives them. The reader answers requests on its own, so that a
        request made while a snapshot is being shown gets its answer (one reader, two consumers)."""
        inbox: asyncio.Queue[Snapshot | BaseException] = asyncio.Queue()
        reader = asyncio.create_task(self._read(inbox))
        try:
            while True:
                item = await inbox.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            reader.cancel()

    async def _read(self, inbox: asyncio.Queue[Snapshot | BaseException]) -> None:
        reader = self._reader  # this connection's, whatever ``close`` does meanwhile
        assert reader is not None
        wait_s = FIRST_FRAME_S  # until the first frame: giving up sooner only attaches again, later
        try:
            while True:
                frame = await asyncio.wait_for(codec.read_frame(reader), wait_s)
                wait_s = LOST_AFTER_S
                message = codec.decode(frame)
                kind = message[0] if isinstance(message, tuple) and message else None
                if kind == "snapshot" and isinstance(message[1], Snapshot):
                    snap: Snapshot = message[1]
                    if len(message) > 2 and message[2] is True:  # the analysis of the frame before
                        snap = replace(snap, analysis=self._analysis)
                    self._analysis = snap.analysis
                    self.alarms.book.show(snap.alarms)
                    inbox.put_nowait(replace(snap, link="daemon"))
                elif kind == "reply" and len(message) == 4:
                    self._resolve(message[1], message[2], message[3])
                else:
                    raise codec.ProtocolError("the daemon sent a message not understood")
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, codec.ProtocolError) as exc:
            self.close()  # requests waiting for an answer fail now, not after their timeout
            inbox.put_nowait(exc)

    def _resolve(self, request: int, ok: bool, value: object) -> None:
        answer = self._answers.pop(request, None)
        if answer is None or answer.done():
            return
        if ok:
            answer.set_result(value)
        else:
            answer.set_exception(StoreError(str(value)))


async def ask_once(path: Path, op: str, args: object = None) -> Any:
    """One request from a command (`cockpit daemon status`/`stop`), without watching."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    try:
        hello = await asyncio.wait_for(codec.read_frame(reader), 5.0)
        codec.read_greeting(hello, "daemon")
        writer.write(codec.greeting("viewer", control=True))
        writer.write(codec.encode(("ask", 1, op, args)))
        await writer.drain()
        while True:
            message = codec.decode(await asyncio.wait_for(codec.read_frame(reader), ANSWER_TIMEOUT_S))
            if isinstance(message, tuple) and message[:2] == ("reply", 1):
                if not message[2]:
                    raise StoreError(str(message[3]))
                return message[3]
    finally:
        writer.close()
