"""Machinery shared by the loopback fake venues: lifecycle, request log, fault book, websocket plumbing.

A fake venue is one ``aiohttp.web.Application`` served on 127.0.0.1 with an OS-assigned port, inside the
running event loop. Subclasses register REST routes (``add_rest``) and websocket paths (``add_ws``) and speak
the venue's wire format; this module records every request and websocket message, applies scripted faults and
delivers pushed messages to subscribed connections.

A pushed message with no subscriber (or cut by a fault) waits for the next subscription, which keeps short
tests free of races; ``replay_missed = False`` drops it as a real venue would, and a ``listener`` (see
``delivery``) hears what was written, dropped (and why) or served.

Endpoint names used for faults and the request log are logical and shared by all venues: ``markets``,
``ohlcv``, ``ticker``, ``funding``, ``open_interest``, ``liquidations`` (REST or websocket), ``ws`` (the
websocket handshake and keepalive), ``fng``. bybit's funding rate comes from its tickers endpoint
(``ticker``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.delivery import CUT, NOT_CONNECTED, TRUNCATED, Deliveries
from tests.fakes.faults import (
    DELIVERY_KINDS,
    DUPLICATE,
    HTML,
    HTML_PAGE,
    MALFORMED_JSON,
    NO_PONG,
    OUT_OF_ORDER,
    REST_KINDS,
    SLOW,
    TIMEOUT,
    WS_CLOSE,
    WS_RAW_TEXT,
    WS_TRUNCATED_FRAME,
    WS_TRUNCATED_JSON,
    Fault,
)

LOOPBACK = "127.0.0.1"


@dataclass
class Recorded:
    """One thing the fake received or did: rest | ws-open | ws-in | ws-ping | ws-pong | ws-broken-by-fake."""

    kind: str
    endpoint: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    message: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class WsConn:
    """One accepted websocket connection and the topics it subscribed to (venue-defined topic strings)."""

    ws: web.WebSocketResponse
    request: web.Request
    path: str
    topics: set[str] = field(default_factory=set)


Handler = Callable[[web.Request], Awaitable[Any]]


class FakeVenue:
    """Base class: subclasses call add_rest/add_ws in `routes()` and implement `on_ws_text`."""

    name = "fake"

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: deque[Recorded] = deque()
        self.replay_missed = True  # False: drop what finds no subscriber, as a real venue does
        self.listener: Deliveries | None = None
        self.conns: list[WsConn] = []
        self._faults: dict[str, list[Fault]] = {}
        self._pending: dict[str, list[Any]] = {}
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self._forget_closed = False
        self.port = 0
        self.routes()

    # ------------------------------------------------------------------ lifecycle
    def routes(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def start(self) -> FakeVenue:
        self._release = asyncio.Event()
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._release is not None:
            self._release.set()
        for conn in list(self.conns):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeVenue:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def rest_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{LOOPBACK}:{self.port}"

    # ------------------------------------------------------------------ faults
    def set_fault(self, endpoint: str, fault: Fault) -> None:
        """Script `fault` for `endpoint` (replaces faults of the same family on that endpoint)."""
        family = next(f for f in (DELIVERY_KINDS, REST_KINDS, frozenset({NO_PONG})) if fault.kind in f)
        kept = [f for f in self._faults.get(endpoint, []) if f.kind not in family]
        self._faults[endpoint] = [*kept, fault]

    def clear_faults(self, endpoint: str | None = None) -> None:
        """Remove the faults of `endpoint`, or all faults; requests hanging on a timeout are then answered."""
        if endpoint is None:
            self._faults.clear()
        else:
            self._faults.pop(endpoint, None)
        if self._release is not None:
            self._release.set()
            self._release = asyncio.Event()

    def _take(self, endpoint: str, kinds: frozenset[str]) -> Fault | None:
        for fault in self._faults.get(endpoint, []):
            if fault.kind in kinds:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults[endpoint].remove(fault)
                return fault
        return None

    def _has(self, endpoint: str, kind: str) -> bool:
        return any(f.kind == kind for f in self._faults.get(endpoint, []))

    # ------------------------------------------------------------------ request log
    def calls(self, endpoint: str | None = None, kind: str = "rest") -> list[Recorded]:
        return [r for r in self.requests if r.kind == kind and (endpoint is None or r.endpoint == endpoint)]

    def reset_log(self) -> None:
        self.requests.clear()

    def bound_log(self, max_records: int) -> None:
        """Keep only the newest `max_records` of the request log and forget closed connections as they go
        (a run of an hour must not grow the fake's memory)."""
        self.requests = deque(self.requests, maxlen=max_records)
        self._forget_closed = True

    def ws_received(self) -> list[Any]:
        """Every websocket text message from clients, JSON-decoded when possible, in order (bybit's and okx's
        text pings included; protocol-level ping frames are logged as ``ws-ping`` instead)."""
        return [r.message for r in self.requests if r.kind == "ws-in"]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 1.0) -> None:
        """Poll `predicate` every 5 ms for at most `timeout` seconds (AssertionError when it stays false)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: condition not met within {timeout} s")
            await asyncio.sleep(0.005)

    async def wait_subscribed(self, topic: str, count: int = 1, timeout: float = 1.0) -> None:
        """Wait until `count` live connections subscribed to `topic`."""
        await self.wait_until(lambda: sum(topic in c.topics for c in self.live_conns()) >= count, timeout)

    def live_conns(self) -> list[WsConn]:
        return [c for c in self.conns if not c.ws.closed]

    # ------------------------------------------------------------------ REST
    def error_body(self, status: int) -> tuple[str, str]:
        """(body, content type) the venue sends with an HTTP error `status`; subclasses refine."""
        if status >= 500:
            return f"<html><body><h1>{status} Service Unavailable</h1></body></html>", "text/html"
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        return f"{status} {reason}", "text/plain"

    def add_rest(self, method: str, path: str, endpoint: str, handler: Handler) -> None:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            return await self._rest(request, endpoint, handler)

        self.app.router.add_route(method, path, wrapped)

    async def _hang(self) -> None:
        assert self._release is not None
        await self._release.wait()

    async def _fault_response(self, endpoint: str) -> web.StreamResponse | None:
        fault = self._take(endpoint, REST_KINDS)
        if fault is None:
            return None
        if fault.kind == TIMEOUT:
            await self._hang()
            return web.Response(status=503, text="released")
        if fault.kind == SLOW:
            await asyncio.sleep(fault.delay_s)
            return None
        if fault.kind == HTML:
            return web.Response(status=200, text=HTML_PAGE, content_type="text/html")
        if fault.kind == MALFORMED_JSON:
            return web.Response(
                status=200, text='{"data": [{"a": "1", "b": ', content_type="application/json"
            )
        body, content_type = (
            (fault.body, fault.content_type) if fault.body is not None else self.error_body(fault.status)
        )
        return web.Response(status=fault.status, text=body, content_type=content_type, headers=fault.headers)

    async def _rest(self, request: web.Request, endpoint: str, handler: Handler) -> web.StreamResponse:
        self.requests.append(Recorded("rest", endpoint, request.path, dict(request.query)))
        faulty = await self._fault_response(endpoint)
        if faulty is not None:
            return faulty
        result = await handler(request)
        if isinstance(result, web.StreamResponse):
            return result
        return web.Response(text=json.dumps(result), content_type="application/json")

    def shape_rows(self, endpoint: str, rows: list[Any]) -> list[Any]:
        """Apply a duplicate / out_of_order fault of `endpoint` to a REST list (out_of_order reverses it).
        Called by handlers on the rows of a 200 answer, so the listener hears that they were served."""
        if self.listener is not None:
            self.listener.served(self.name, rows)
        fault = self._take(endpoint, frozenset({DUPLICATE, OUT_OF_ORDER}))
        if fault is None:
            return rows
        if fault.kind == OUT_OF_ORDER:
            return list(reversed(rows))
        return [row for row in rows for _ in (0, 1)]

    # ------------------------------------------------------------------ websockets
    def add_ws(self, path: str) -> None:
        self.app.router.add_get(path, self._ws)

    async def on_ws_text(self, conn: WsConn, text: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def on_ws_ping(self, conn: WsConn, payload: bytes) -> None:
        """Protocol-level ping from the client: answer with a pong frame (unless the no_pong fault is set)."""
        if not self._has("ws", NO_PONG):
            await conn.ws.pong(payload)

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Recorded("ws-open", "ws", request.path, dict(request.query)))
        faulty = await self._fault_response("ws")
        if faulty is not None:
            return faulty
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        conn = WsConn(ws, request, request.path)
        if self._forget_closed:
            self.conns = self.live_conns()
        self.conns.append(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        parsed: Any = json.loads(msg.data)
                    except ValueError:
                        parsed = msg.data
                    self.requests.append(Recorded("ws-in", "ws", request.path, message=parsed))
                    await self.on_ws_text(conn, msg.data)
                elif msg.type == WSMsgType.PING:
                    self.requests.append(Recorded("ws-ping", "ws", request.path, message=msg.data))
                    await self.on_ws_ping(conn, msg.data)
                elif msg.type == WSMsgType.PONG:
                    self.requests.append(Recorded("ws-pong", "ws", request.path, message=msg.data))
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return ws

    async def send(self, conn: WsConn, message: Any) -> bool:
        """Write `message` as one text frame; False when the connection was closed or closing."""
        if conn.ws.closed:
            return False
        try:
            await conn.ws.send_str(message if isinstance(message, str) else json.dumps(message))
        except ConnectionResetError:  # the client went away between the check and the write
            return False
        return True

    async def subscribe(self, conn: WsConn, topic: str) -> None:
        """Mark `conn` subscribed to `topic` (after the ack was sent) and flush messages queued for it."""
        conn.topics.add(topic)
        queued = self._pending.pop(topic, [])
        if queued:
            await self.publish(topic, queued, self.endpoint_of(topic))

    def endpoint_of(self, topic: str) -> str:
        """The fault endpoint of a topic (subclasses map e.g. 'forceOrder:BTCUSDT' to 'liquidations')."""
        return "liquidations" if "liq" in topic.lower() or "forceorder" in topic.lower() else "ticker"

    async def publish(self, topic: str, messages: list[Any], endpoint: str | None = None) -> None:
        """Deliver `messages` (venue wire format) to every live connection subscribed to `topic`.

        With no subscriber they are queued and delivered when one subscribes (that is also what happens to the
        rest of a batch cut short by a ws_close fault: a resubscribing client receives it), unless
        ``replay_missed`` is False: then they are dropped and the listener is told.
        """
        endpoint = endpoint or self.endpoint_of(topic)
        targets = [c for c in self.live_conns() if topic in c.topics]
        if not targets:
            self._miss(topic, list(messages), NOT_CONNECTED)
            return
        fault = self._take(endpoint, DELIVERY_KINDS)
        batch = list(messages)
        kind = fault.kind if fault is not None else None
        if kind == OUT_OF_ORDER:
            batch.reverse()
        elif kind == DUPLICATE:
            batch = [m for m in batch for _ in (0, 1)]
        elif kind in (WS_CLOSE, WS_TRUNCATED_FRAME):
            self._miss(topic, batch, CUT)  # the resubscribing client gets them, unless replay_missed is off
        elif kind == WS_TRUNCATED_JSON and self.listener is not None:
            self.listener.dropped(self.name, topic, batch, TRUNCATED)
        for conn in targets:
            if kind in (WS_CLOSE, WS_TRUNCATED_FRAME, WS_TRUNCATED_JSON):
                await self._break(conn, kind, batch[0])
                continue
            if kind == WS_RAW_TEXT and fault is not None:
                for frame in fault.frames:
                    self.requests.append(Recorded("ws-broken-by-fake", kind, conn.path, message=frame))
                    await self.send(conn, frame)
            for message in batch:
                if await self.send(conn, message) and self.listener is not None:
                    self.listener.delivered(self.name, topic, message)

    def _miss(self, topic: str, messages: list[Any], reason: str) -> None:
        if self.replay_missed:
            self._pending.setdefault(topic, []).extend(messages)
        elif self.listener is not None:
            self.listener.dropped(self.name, topic, messages, reason)

    async def _break(self, conn: WsConn, kind: str, first: Any) -> None:
        """ws_close / ws_truncated_frame drop the connection; ws_truncated_json sends half of `first` as a
        whole text frame and keeps the connection open."""
        text = first if isinstance(first, str) else json.dumps(first)
        self.requests.append(Recorded("ws-broken-by-fake", kind, conn.path))
        if kind == WS_TRUNCATED_JSON:
            await self.send(conn, text[: len(text) // 2])
        elif kind == WS_CLOSE:
            await conn.ws.close(code=1011, message=b"fake: closed mid-stream")
        else:
            await self._write_truncated_frame(conn, text)

    async def _write_truncated_frame(self, conn: WsConn, text: str) -> None:
        """A text frame header announcing len(payload) bytes, only half of them, then a dropped connection."""
        payload = text.encode()
        if len(payload) < 126:
            payload = payload.ljust(126)
        header = bytes([0x81, 126]) + len(payload).to_bytes(2, "big")
        transport = conn.request.transport
        if transport is not None:
            transport.write(header + payload[: len(payload) // 2])
            await asyncio.sleep(0.01)
            transport.close()

    async def ping_clients(self, payload: bytes = b"fake-ping") -> None:
        """Send a protocol-level ping frame to every live connection (Binance does this every few minutes)."""
        for conn in self.live_conns():
            await conn.ws.ping(payload)

    async def drop_connections(self, code: int = 1011) -> None:
        """Close every live websocket connection now (a venue restart, as seen by clients)."""
        for conn in self.live_conns():
            self.requests.append(Recorded("ws-broken-by-fake", "drop", conn.path))
            await conn.ws.close(code=code, message=b"fake: dropped")


def now_ms() -> int:
    return int(time.time() * 1000)
