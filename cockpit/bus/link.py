"""A viewer on the bus: what the app calls its engine when started as ``cockpit --attach nats://host``.

It says which view it charts on ``<prefix>.views`` every ``ANNOUNCE_S`` (the daemon draws a view while
someone keeps asking for it), and takes that view's snapshots from its subject; they carry whole windows,
so a viewer that joins late is whole with its first snapshot. Alarm changes are signed requests
(``signing``). When no snapshot came for ``LOST_AFTER_S`` (the broker or the daemon went away) the last
one is shown once more marked "lost"; nats-py reconnects on its own and the snapshots resume.

News are counted once: a snapshot older than one already shown is dropped, and each liquidation's
identity is remembered, so one that reaches this viewer twice (a resent frame) is shown once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cockpit.alarms.store import StoreError
from cockpit.bus.connection import connect_retrying, nats_module, options
from cockpit.bus.publisher import HEADER_DAEMON, HEADER_PROTOCOL
from cockpit.bus.signing import Signer, read_secret
from cockpit.bus.subjects import Subjects, identity
from cockpit.config import BusSettings
from cockpit.daemon import codec
from cockpit.daemon.client import RemoteAlarms
from cockpit.daemon.outbox import carry_news
from cockpit.models import Snapshot

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

ANNOUNCE_S = 2.0
LOST_AFTER_S = 3.0  # the daemon sends a view at least once a second; the broker adds a hop
ANSWER_TIMEOUT_S = 10.0
SEEN_KEPT = 50_000  # liquidation identities remembered (far more than a snapshot carries)
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024  # decompressed: a snapshot is well under a megabyte


class NatsLink:
    """The engine of a viewer attached through a NATS broker (the app's ``EngineLink``)."""

    replay = None  # a daemon runs live or simulated markets, never a recording

    def __init__(self, settings: BusSettings, url: str, symbol: str, timeframe: str) -> None:
        self.opts = options(settings, url, "cockpit viewer")
        self.subjects = Subjects(settings.subject_prefix)
        self.signer = Signer(read_secret(settings.secret_file) if settings.secret_file else None)
        self.followed, self.chart_timeframe = symbol, timeframe
        self.alarms = RemoteAlarms(self)
        self.nc: Client | None = None
        self._sub: Subscription | None = None
        self._pending: Snapshot | None = None  # newest received, not yet shown (news carried)
        self._arrived = asyncio.Event()
        self._moved = asyncio.Event()  # the view changed: subscribe again
        self._last: tuple[str, int] = ("", 0)  # (daemon, seq) of the newest snapshot taken
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self.refused = 0  # snapshots dropped: unsigned with a secret set, another protocol, not ours

    # -- the app's wishes -----------------------------------------------------------------------------

    def follow(self, symbol: str) -> None:
        self.followed = symbol
        self._moved.set()

    def set_chart_timeframe(self, timeframe: str) -> None:
        self.chart_timeframe = timeframe
        self._moved.set()

    def wake(self) -> None:
        """Nothing to wake here: the daemon publishes at its own pace."""

    async def ask(self, op: str, args: object) -> Any:
        """A signed request to the daemon and its answer; its refusal as ``StoreError``."""
        if self.signer.secret is None:
            raise StoreError("alarm changes over the bus need [bus] secret_file (the desk's shared secret)")
        if self.nc is None or not self.nc.is_connected:
            raise ConnectionError("not connected to the bus")
        nats = nats_module()
        body, nonce = self.signer.request(op, args)
        headers = self.signer.headers(self.subjects.alarms, body)
        try:
            msg = await self.nc.request(self.subjects.alarms, body, ANSWER_TIMEOUT_S, headers=headers)
        except nats.errors.NoRespondersError:
            raise ConnectionError("no daemon answers on the bus") from None
        reply = codec.decode(msg.data)
        if not (isinstance(reply, tuple) and len(reply) == 3 and reply[0] == "reply"):
            raise StoreError("the daemon's answer was not understood")
        if not reply[1]:  # a refusal is said even unsigned (a wrong secret cannot check it): it only says no
            raise StoreError(str(reply[2]))
        if not self.signer.valid(f"reply:{nonce}", msg.data, msg.headers):
            raise StoreError("the answer was not signed with the desk's secret: not taken")
        return reply[2]

    # -- snapshots ------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect to the broker (waiting for it as long as it takes); ``snapshots`` does it first."""
        if self.nc is None:
            self.nc = await connect_retrying(self.opts)

    async def snapshots(self) -> AsyncGenerator[Snapshot, None]:
        """This view's snapshots; while none come, the last one marked "lost" (once)."""
        await self.connect()
        assert self.nc is not None
        announcer = asyncio.create_task(self._announce())
        last: Snapshot | None = None
        try:
            await self._subscribe()
            while True:
                snap = await self._next()
                if snap is None:
                    if last is not None and last.link != "lost":
                        last = replace(last, link="lost", new_liquidations=(), fired_alarms=())
                        yield last
                    continue
                last = snap
                yield snap
        finally:
            announcer.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 2.0)
            self.nc = None

    async def _next(self) -> Snapshot | None:
        """The next snapshot of the current view, or None after ``LOST_AFTER_S`` without one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOST_AFTER_S
        while True:
            if self._moved.is_set():
                self._moved.clear()
                await self._subscribe()
                await self._say_view()
            self._arrived.clear()
            snap = self._pending
            if snap is not None and (snap.symbol, snap.chart_timeframe) == (
                self.followed,
                self.chart_timeframe,
            ):
                self._pending = None
                return replace(self._fresh(snap), link="daemon")
            waits = [asyncio.ensure_future(e.wait()) for e in (self._arrived, self._moved)]
            try:
                left = max(0.0, deadline - loop.time())
                done, _ = await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            if not done:
                return None

    async def _subscribe(self) -> None:
        assert self.nc is not None
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        subject = self.subjects.snap(self.followed, self.chart_timeframe)
        self._sub = await self.nc.subscribe(subject, cb=self._on_snapshot)

    async def _announce(self) -> None:
        while True:
            await self._say_view()
            await asyncio.sleep(ANNOUNCE_S)

    async def _say_view(self) -> None:
        if self.nc is not None and self.nc.is_connected:
            wish = json.dumps({"symbol": self.followed, "timeframe": self.chart_timeframe}).encode()
            with contextlib.suppress(Exception):  # the broker is away: said again in ANNOUNCE_S
                await self.nc.publish(self.subjects.views, wish)

    async def _on_snapshot(self, msg: Msg) -> None:
        headers = msg.headers or {}
        if headers.get(HEADER_PROTOCOL) != str(codec.PROTOCOL):
            self.refused += 1  # another version's daemon: its classes may not be ours
            return
        if self.signer.secret is not None and not self.signer.valid(msg.subject, msg.data, headers):
            self.refused += 1
            return
        try:
            message = codec.decode(_inflate(msg.data))
        except (codec.ProtocolError, zlib.error, ValueError):
            self.refused += 1
            return
        if not (
            isinstance(message, tuple) and message[:1] == ("snapshot",) and isinstance(message[1], Snapshot)
        ):
            self.refused += 1
            return
        snap: Snapshot = message[1]
        daemon = headers.get(HEADER_DAEMON, "")
        if daemon == self._last[0] and snap.seq <= self._last[1]:
            return  # older than one already taken (a resubscription's overlap)
        self._last = (daemon, snap.seq)
        self.alarms.book.show(snap.alarms)
        self._pending = carry_news(self._pending, snap)
        self._arrived.set()

    def _fresh(self, snap: Snapshot) -> Snapshot:
        """``snap`` without the liquidations this viewer has already shown (by identity)."""
        new = []
        for event in snap.new_liquidations:
            key = identity(event)
            if key in self._seen:
                continue
            self._seen.add(key)
            self._seen_order.append(key)
            new.append(event)
        while len(self._seen_order) > SEEN_KEPT:
            self._seen.discard(self._seen_order.popleft())
        return replace(snap, new_liquidations=tuple(new)) if len(new) != len(snap.new_liquidations) else snap


def _inflate(data: bytes) -> bytes:
    """Decompressed, but never past ``MAX_SNAPSHOT_BYTES`` (a small message must not become gigabytes)."""
    z = zlib.decompressobj()
    out = z.decompress(data, MAX_SNAPSHOT_BYTES)
    if z.unconsumed_tail:
        raise ValueError("a snapshot larger than any of ours")
    return out
