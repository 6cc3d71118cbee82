"""The daemon's side of the bus: each moment's liquidations into the JetStream stream (one message per
print, de-duplicated by its identity), each wanted view's snapshot on its subject, and alarm changes
taken as signed requests.

Nothing here slows the engine: ``publish`` only fills an outbox (the newest frame per view, carrying
the news of any it replaces, and the liquidations in order), and one task sends it. A liquidation leaves
the outbox only once JetStream acknowledged it; one that was not (the broker restarting) is sent again
with the same ``Nats-Msg-Id``, which the stream refuses to store twice within its duplicate window. So a
reconnect stores each print once, and a core subscriber may see one twice (it de-duplicates on ``id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.bus.connection import connect_retrying, options
from cockpit.bus.signing import Refused, Signer, read_secret
from cockpit.bus.subjects import DAY_S, Subjects, liquidation_json, msg_id
from cockpit.config import TIMEFRAMES, BusSettings
from cockpit.daemon import codec
from cockpit.daemon.outbox import carry_news
from cockpit.engine.engine import View
from cockpit.engine.market_state import News
from cockpit.models import Snapshot

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from cockpit.daemon.server import DaemonServer

log = logging.getLogger("cockpit.daemon")

INTEREST_TTL_S = 10.0  # a view no viewer repeated for this long is no longer drawn (viewers say it every 2 s)
MAX_VIEWS = 32  # distinct views drawn for the bus at most: each costs a snapshot per moment
BACKLOG = 200_000  # liquidations held while the broker is away (a day of a busy market-wide feed)
BATCH = 256  # liquidations in flight to JetStream at once
DEDUP_WINDOW_S = 3600.0  # JetStream refuses a msg-id it stored this recently (a reconnect resends)
ACK_TIMEOUT_S = 5.0
RESTART_S = 5.0
BUS_OPS = frozenset({"add", "update", "remove", "rearm", "mute", "unmute", "history", "status"})
HEADER_PROTOCOL = "Cockpit-Protocol"
HEADER_DAEMON = "Cockpit-Daemon"


def snapshot_payload(snap: Snapshot) -> bytes:
    """A snapshot as the bus carries it: the codec's pickle (no frame header), zlib-compressed."""
    return zlib.compress(codec.encode(("snapshot", snap))[codec.HEADER.size :], 6)


class BusPublisher:
    """Serves ``server``'s engine on the broker ``settings.url``; an outlet of the daemon's loop."""

    def __init__(self, server: DaemonServer, settings: BusSettings, url: str | None = None) -> None:
        self.server, self.engine = server, server.engine
        self.url = url or settings.url
        self.opts = options(settings, self.url, f"cockpit daemon {os.getpid()}")
        self.subjects = Subjects(settings.subject_prefix)
        self.signer = Signer(read_secret(settings.secret_file) if settings.secret_file else None)
        self.daemon_id = f"{os.getpid()}-{server.info.get('started_ms', int(time.time() * 1000))}"
        self.interest: dict[View, float] = {}  # view -> when it lapses (monotonic)
        self.frames: dict[View, Snapshot] = {}  # the newest unsent frame of each view
        self.liqs: deque[LiquidationEvent] = deque(maxlen=BACKLOG)
        self.ready = asyncio.Event()
        self.nc: Client | None = None
        self.stored = self.sent_frames = self.too_big = 0  # counters: tests and `daemon status`

    # -- the daemon's loop (an Outlet) --------------------------------------------------------------------

    def views(self) -> set[View]:
        now = time.monotonic()
        self.interest = {v: t for v, t in self.interest.items() if t > now}
        return set(self.interest)

    def publish(self, news: News, frames: dict[View, Snapshot]) -> None:
        if len(self.liqs) + len(news.liquidations) > BACKLOG:
            log.warning("bus: %d liquidations held for the broker: the oldest are dropped", BACKLOG)
        self.liqs.extend(news.liquidations)
        for view in self.interest:
            if view in frames:
                self.frames[view] = carry_news(self.frames.get(view), frames[view])
        self.ready.set()

    # -- the connection -------------------------------------------------------------------------------

    async def serve(self) -> None:
        """``run`` for the daemon's life: a fault (a broker without JetStream, a stream it refuses) is
        logged and tried again, and never stops the engine or the socket's viewers."""
        while True:
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("bus: %s: %s; starting again in %.0f s", type(exc).__name__, exc, RESTART_S)
                await asyncio.sleep(RESTART_S)

    async def run(self) -> None:
        """Connect (waiting for the broker as long as it takes), then send until cancelled."""
        self.nc = await connect_retrying(self.opts, on_reconnect=self._reconnected)
        log.info("bus: publishing on %s under %s.*", self.url, self.subjects.prefix)
        try:
            await self._stream()
            await self.nc.subscribe(self.subjects.alarms, cb=self._on_request)
            await self.nc.subscribe(self.subjects.views, cb=self._on_view)
            while True:
                await self.ready.wait()
                self.ready.clear()
                if not self.nc.is_connected:
                    await asyncio.sleep(0.1)
                    self.ready.set()
                    continue
                await self._send_frames()
                await self._send_liquidations()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 2.0)

    async def _reconnected(self) -> None:
        self.ready.set()  # what waited for the broker goes now

    async def _stream(self) -> None:
        """The stream of the last day of liquidations (made, or brought to this config)."""
        assert self.nc is not None
        from nats.js.api import StreamConfig  # nats-py is there: the connection was made with it

        js = self.nc.jetstream()
        config = StreamConfig(
            name=self.subjects.stream,
            subjects=[self.subjects.liq_all],
            max_age=DAY_S,
            duplicate_window=DEDUP_WINDOW_S,
        )
        try:
            await js.add_stream(config)
        except Exception as exc:  # it exists with another config (an older daemon's): bring it to ours
            log.info("bus: stream %s: %s; updating it", self.subjects.stream, exc)
            await js.update_stream(config)

    async def _send_frames(self) -> None:
        assert self.nc is not None
        frames, self.frames = self.frames, {}
        for (symbol, timeframe), snap in frames.items():
            payload = snapshot_payload(snap)
            if len(payload) > self.nc.max_payload:
                self.too_big += 1  # its news are on the liquidation subjects; the next frame is smaller
                log.warning("bus: a %s snapshot of %d bytes is over the broker's limit", symbol, len(payload))
                continue
            subject = self.subjects.snap(symbol, timeframe)
            headers = {HEADER_PROTOCOL: str(codec.PROTOCOL), HEADER_DAEMON: self.daemon_id}
            await self.nc.publish(subject, payload, headers=headers | self.signer.headers(subject, payload))
            self.sent_frames += 1

    async def _send_liquidations(self) -> None:
        """Send the held liquidations in batches; stop at the first not acknowledged (sent again later)."""
        assert self.nc is not None
        js = self.nc.jetstream(timeout=ACK_TIMEOUT_S)
        while self.liqs:
            batch = [self.liqs.popleft() for _ in range(min(BATCH, len(self.liqs)))]
            acks = await asyncio.gather(*(self._store(js, e) for e in batch), return_exceptions=True)
            failed = [e for e, ack in zip(batch, acks, strict=True) if isinstance(ack, BaseException)]
            self.stored += len(batch) - len(failed)
            if failed:
                self.liqs.extendleft(reversed(failed))
                log.info("bus: %d liquidations wait for the broker (%s)", len(failed), type(acks[0]).__name__)
                await asyncio.sleep(0.5)
                self.ready.set()
                return

    async def _store(self, js: Any, event: LiquidationEvent) -> None:
        subject, payload = self.subjects.liq(event.symbol), liquidation_json(event)
        headers = {"Nats-Msg-Id": msg_id(event)} | self.signer.headers(subject, payload)
        await js.publish(subject, payload, headers=headers)

    # -- what viewers send ----------------------------------------------------------------------------

    async def _on_view(self, msg: Msg) -> None:
        """A viewer's "I chart this": drawn for it while it keeps saying so."""
        try:
            wish = json.loads(msg.data)
            view = (str(wish["symbol"]), str(wish["timeframe"]))
        except (ValueError, KeyError, TypeError):
            return  # not ours: nothing to answer
        known = view[0] == self.engine.followed or view[0] in self.engine.instruments
        if view[1] not in TIMEFRAMES or not known:
            return
        if view not in self.interest and len(self.interest) >= MAX_VIEWS:
            log.warning("bus: more than %d views wanted; %s/%s is not drawn", MAX_VIEWS, *view)
            return
        new_symbol = view[0] not in {v[0] for v in self.interest}
        self.interest[view] = time.monotonic() + INTEREST_TTL_S
        if new_symbol and view[0] != self.engine.followed:
            self.engine.follow(view[0])  # as a socket viewer does: the price venue streams its candles
        self.engine.wake()

    async def _on_request(self, msg: Msg) -> None:
        """An alarm change: carried out only when signed with the desk's secret (``signing``)."""
        assert self.nc is not None
        nonce = ""
        try:
            op, args, nonce = self.signer.open(msg.subject, msg.data, msg.headers)
            if op not in BUS_OPS:
                raise Refused(f"refused: {str(op)[:20]!r} is not taken over the bus")
            answer: tuple[str, bool, object] = ("reply", True, await self.server.answer(op, args))
        except Refused as exc:
            log.warning("bus: alarm request %s", exc)
            answer = ("reply", False, str(exc))
        except Exception as exc:  # the alarm service's refusal: the requester reads it
            answer = ("reply", False, f"{exc}")
        if msg.reply:
            body = codec.encode(answer)[codec.HEADER.size :]
            headers = self.signer.headers(f"reply:{nonce}", body) if nonce else {}
            await self.nc.publish(msg.reply, body, headers=headers)

    def status(self) -> dict[str, Any]:
        return {"bus": self.url, "bus_stored": self.stored, "bus_views": len(self.interest)}
