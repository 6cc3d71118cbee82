"""The daemon's side of the Unix socket: viewers attach, each gets snapshots of its own view, and alarm
changes come in as requests the daemon's alarm service carries out.

A viewer is never a backlog: its outbox holds one snapshot, the newest. A snapshot that replaces one not
yet sent takes over its news (liquidations and firings), so a slow viewer skips frames, never prints or
firings. Writing to a viewer is its own task; the engine only fills outboxes, so a viewer that stops
reading slows nothing but itself. A viewer that sends anything not ours is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cockpit.alarms.model import Alarm
from cockpit.alarms.notify import deliver
from cockpit.analytics.pipeline import Analysis
from cockpit.config import TIMEFRAMES
from cockpit.daemon import codec
from cockpit.daemon.outbox import Outlet, carry_news
from cockpit.engine.engine import Engine, View
from cockpit.models import Snapshot

log = logging.getLogger("cockpit.daemon")

GREETING_TIMEOUT_S = 5.0
OPEN_WITHIN_S = 5.0  # a live venue's candles may take longer: viewers then attach and see "loading"


@dataclass(eq=False)
class Viewer:
    """One attached screen: what it shows, and the newest snapshot not yet written to it."""

    number: int
    writer: asyncio.StreamWriter
    view: View
    control: bool = False  # `cockpit daemon status/stop`: asks, never watches
    outbox: Snapshot | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    sent: int = 0
    analysis: Analysis | None = None  # the analysis sent last (the viewer keeps it while it is the same)

    def offer(self, snap: Snapshot) -> None:
        """Put ``snap`` in the outbox; the news of an unsent one travels on in it."""
        self.outbox = carry_news(self.outbox, snap)
        self.ready.set()


class DaemonServer:
    """Serves ``engine`` on the Unix socket at ``path`` (mode 0600) until ``stop``."""

    def __init__(self, engine: Engine, path: Path, info: dict[str, Any]) -> None:
        self.engine, self.path, self.info = engine, path, info
        self.viewers: set[Viewer] = set()
        self._count = 0
        self._server: asyncio.AbstractServer | None = None
        self.stopped = asyncio.Event()
        self.on_stop: Callable[[], None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()  # firings on their way to command and webhook
        self.outlets: list[Outlet] = []  # the bus, when configured: more views, the same news
        self.extra_status: list[Callable[[], dict[str, Any]]] = []  # what the outlets add to `status`

    async def start(self) -> None:
        """Listen; the socket is the user's alone (created under a 0077 umask, then set to 0600)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a dead daemon's socket (the lock says none runs)
        old = os.umask(0o077)
        try:
            self._server = await asyncio.start_unix_server(self._attach, path=str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for v in list(self.viewers):
                v.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def run(self) -> None:
        """The engine's loop: a snapshot per distinct view at each moment, into every viewer's outbox;
        firings delivered here, once (command and webhook), whether or not a viewer is attached. The
        socket opens once the followed instrument has candles (or after ``OPEN_WITHIN_S``): the simulated
        market builds its history in the first second, and a viewer attaching meanwhile would wait for it;
        the command that started the daemon waits instead."""
        opens_by = time.monotonic() + OPEN_WITHIN_S
        async for _ in self.engine.moments():
            watching = [v for v in self.viewers if not v.control]
            wanted = {v.view for v in watching}.union(*(o.views() for o in self.outlets))
            # Every moment: the followed instrument moves with the newest choice of any viewer.
            self.engine.show_also(frozenset(view[0] for view in wanted))
            wanted = wanted or {(self.engine.followed, self.engine.chart_timeframe)}
            news, frames = self.engine.views(wanted)
            for fired in news.fired:
                log.info("alarm fired: %s %s", fired.title, fired.body)
                task = asyncio.create_task(self._deliver(fired))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
            for v in watching:
                v.offer(frames[v.view])
            if self._server is None and (self._ready(frames) or time.monotonic() > opens_by):
                await self.start()
            for outlet in self.outlets:
                outlet.publish(news, frames)
            if self.stopped.is_set():
                return

    @staticmethod
    def _ready(frames: dict[View, Snapshot]) -> bool:
        return any(not f.loading for f in frames.values())

    async def _deliver(self, fired: Any) -> None:
        alarms = self.engine.config.alarms
        if alarms.notify_command or alarms.webhook:
            for result in await deliver(fired, alarms):
                log.log(
                    logging.INFO if result.ok else logging.WARNING, "%s: %s", result.channel, result.detail
                )

    def status(self) -> dict[str, Any]:
        """What `cockpit daemon status` prints."""
        snap_sources = self.engine.state.statuses(self.engine.clock.now_ms())
        return {
            **self.info,
            "viewers": sum(1 for v in self.viewers if not v.control),
            "sources": [(s.name, s.state) for s in snap_sources],
        } | {k: v for extra in self.extra_status for k, v in extra().items()}

    # -- one viewer --------------------------------------------------------------------------------------

    async def _attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._count += 1
        viewer = Viewer(self._count, writer, (self.engine.followed, self.engine.chart_timeframe))
        sender: asyncio.Task[None] | None = None
        try:
            writer.write(codec.greeting("daemon", **self.info))
            hello = await asyncio.wait_for(codec.read_frame(reader), GREETING_TIMEOUT_S)
            greeted = codec.read_greeting(hello, "viewer")
            viewer.control = greeted.get("control") is True
            self.viewers.add(viewer)
            log.info("viewer %d attached%s", viewer.number, " (control)" if viewer.control else "")
            sender = asyncio.create_task(self._send(viewer))
            while True:
                message = codec.decode(await codec.read_frame(reader))
                await self._handle(viewer, message)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
            pass
        except codec.VersionMismatch as exc:  # told why, in a frame any version reads, then dropped
            log.warning("viewer %d dropped: %s", viewer.number, exc)
            writer.write(codec.refusal(exc))
            with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.drain(), GREETING_TIMEOUT_S)
        except codec.ProtocolError as exc:
            log.warning("viewer %d dropped: %s", viewer.number, exc)
        finally:
            self.viewers.discard(viewer)
            if sender is not None:
                sender.cancel()
            writer.close()
            if viewer.sent or viewer.control:  # not the probes that only look for a listening socket
                log.info("viewer %d detached", viewer.number)

    async def _send(self, viewer: Viewer) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                await viewer.ready.wait()
                viewer.ready.clear()
                snap, viewer.outbox = viewer.outbox, None
                if snap is not None:
                    # The analysis changes when a bar closes, not with every frame: when it is the one
                    # sent last, the viewer keeps its copy, so the object stays the same on its side too
                    # (the chart rebuilds when it changes: each frame's new copy cost a rebuild a second).
                    same = snap.analysis is not None and snap.analysis is viewer.analysis
                    viewer.analysis = snap.analysis
                    shown = replace(snap, analysis=None) if same else snap
                    viewer.writer.write(codec.encode(("snapshot", shown, same)))
                    viewer.sent += 1
                    await viewer.writer.drain()

    def _reply(self, viewer: Viewer, request: int, ok: bool, value: object) -> None:
        viewer.writer.write(codec.encode(("reply", request, ok, value)))

    async def _handle(self, viewer: Viewer, message: Any) -> None:
        """``("view", symbol, timeframe)`` or ``("ask", request id, op, args)``; else ``ProtocolError``."""
        if not isinstance(message, tuple) or not message:
            raise codec.ProtocolError("a message that is not a tuple")
        if message[0] == "view" and len(message) == 3:
            symbol, timeframe = message[1], message[2]
            if not isinstance(symbol, str) or timeframe not in TIMEFRAMES:
                raise codec.ProtocolError("a view that names no symbol or timeframe")
            viewer.view = (symbol, timeframe)
            self.engine.follow(symbol)  # the price venue streams the newest choice's candles
            viewer.offer(self.engine.peek(viewer.view))  # the whole state now, not at the next moment
            return
        if message[0] == "ask" and len(message) == 4 and isinstance(message[1], int):
            _, request, op, args = message
            try:
                value = await self.answer(op, args)
            except Exception as exc:  # the viewer says it; the daemon goes on
                self._reply(viewer, request, False, f"{exc}")
                return
            self._reply(viewer, request, True, value)
            return
        raise codec.ProtocolError(f"an unknown message {str(message[0])[:20]!r}")

    async def answer(self, op: object, args: object) -> object:
        """Carry out one request (the socket's viewers', or the bus's once authenticated)."""
        service = self.engine.alarms
        if op == "status":
            return self.status()
        if op == "stop":
            self.stopped.set()
            if self.on_stop is not None:
                self.on_stop()
            return "stopping"
        if op == "history" and isinstance(args, int):
            return tuple(await service.history(min(args, 200)))
        if op == "remove" and isinstance(args, int):
            removed = await service.remove(args)
            self.engine.wake()
            return removed
        saved: Alarm
        if op in ("add", "update") and isinstance(args, Alarm):
            alarm = replace(args)  # built again: a pickled alarm skipped its validation
            saved = await (service.add(alarm) if op == "add" else service.update(alarm))
        elif op in ("rearm", "mute", "unmute") and isinstance(args, int):
            if op == "rearm":
                saved = await service.rearm(args)
            else:
                saved = await service.set_muted(args, op == "mute")
        else:
            raise codec.ProtocolError(f"an unknown request {str(op)[:20]!r}")
        self.engine.wake()  # every viewer sees the change with the next snapshot, now
        return saved
