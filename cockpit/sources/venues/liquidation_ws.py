"""What the two hand-written all-market liquidation websockets (``gate_ws``, ``htx_ws``) share: the
connection loop (reconnect with backoff and jitter, keepalive, guarded decoding, counters) and the helpers
that read one raw row into a ``VenueLiquidationEvent``.

ccxt 4.5.90 streams neither Gate's ``futures.public_liquidates`` nor HTX's ``public.*.liquidation_orders``
(VENUES.md), so these speak the venues' websockets with aiohttp. A venue module subclasses
``LiquidationStream`` with its subscribe message, its frame decoding and its message handling.

Identity: a stream row carries no venue id, so its identity is the print identity the REST path gives the
same print (``prints``: venue, symbol, time, side, contracts, price) plus its occurrence among the twins of
the same push: two identical rows in one push are two liquidations, the same row seen again in a later batch
is the same one.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from cockpit.analytics.liquidations import Side
from cockpit.sources.venues.normalize import MalformedLiquidation, VenueLiquidationEvent, ms_time, number
from cockpit.sources.venues.prints import number_prints
from cockpit.text.excerpt import excerpt

__all__ = [
    "LiquidationStream",
    "RowsCallback",
    "StatusCallback",
    "StreamStats",
    "linear_symbol",
    "ms_time",
    "number",
    "number_twins",
]

RawRow = Mapping[str, Any]
RowsCallback = Callable[[list[RawRow]], None]
StatusCallback = Callable[[str, str], None]  # (kind, detail): connected | subscribed | error | disconnected

MAX_INFLATED_BYTES = 1 << 20  # a gzip frame inflating past 1 MiB is refused, not paged into memory


@dataclass
class StreamStats:
    """What a stream has done since it was made; read by health displays and tests."""

    connects: int = 0
    frames: int = 0
    bad_frames: int = 0  # not gzip / not JSON / not an object: counted and skipped
    rows: int = 0
    pings_sent: int = 0
    pongs_sent: int = 0
    last_error: str = ""


class FrameError(ValueError):
    """A frame that cannot be decoded; the reader counts it and reads on."""


class LiquidationStream:
    """One websocket connection loop delivering raw liquidation rows to ``on_rows``, one call per venue
    message, in arrival order. ``run()`` returns only when cancelled (or ``stop()``); every other failure
    (refused connection, dropped socket, silence longer than ``idle_timeout_s``) reconnects after a backoff
    that doubles from ``backoff_s`` to ``max_backoff_s`` with jitter, and resets once a connection delivers.
    """

    venue = "?"

    def __init__(
        self,
        url: str,
        on_rows: RowsCallback,
        *,
        on_status: StatusCallback | None = None,
        ping_interval_s: float = 10.0,
        idle_timeout_s: float = 30.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = url
        self.on_rows = on_rows
        self.on_status = on_status or (lambda _kind, _detail: None)
        self.ping_interval_s = ping_interval_s
        self.idle_timeout_s = idle_timeout_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.stats = StreamStats()
        self._session = session
        self._stopping = False
        self._rng = random.Random()

    # -- hooks for the venue modules -------------------------------------------------------------------
    def subscribe_messages(self) -> list[dict[str, Any]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def ping_message(self) -> dict[str, Any] | None:
        """A client keepalive sent every ``ping_interval_s``; None when the venue pings the client."""
        return None

    def decode(self, msg: aiohttp.WSMessage) -> Any:  # pragma: no cover - overridden
        """The JSON value in one data frame; raises ``FrameError`` for a frame that is not one."""
        raise NotImplementedError

    async def handle(self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]) -> None:
        raise NotImplementedError  # pragma: no cover - overridden

    # -- the loop --------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Make ``run()`` return after the current connection ends (cancelling its task is quicker)."""
        self._stopping = True

    async def run(self) -> None:
        """Connect, subscribe and read until stopped or cancelled, reconnecting after every failure."""
        own = self._session is None
        session = self._session or aiohttp.ClientSession()
        delay = self.backoff_s
        try:
            while not self._stopping:
                delivered = await self._connection(session)
                if self._stopping:
                    break
                delay = self.backoff_s if delivered else min(delay * 2, self.max_backoff_s)
                # Jitter: many clients dropped by one venue restart must not all come back in step.
                await asyncio.sleep(delay * (0.5 + self._rng.random()))
        finally:
            if own:
                await session.close()

    async def _connection(self, session: aiohttp.ClientSession) -> bool:
        """One connection's life; True if it delivered anything (then the next backoff starts small)."""
        before = self.stats.frames
        try:
            # autoping answers the venue's protocol-level pings (Gate relies on them to keep us).
            async with session.ws_connect(self.url, autoping=True, max_msg_size=MAX_INFLATED_BYTES) as ws:
                self.stats.connects += 1
                self.on_status("connected", self.url)
                for message in self.subscribe_messages():
                    await ws.send_json(message)
                await self._read(ws)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self.on_status("error", self.stats.last_error)
        self.on_status("disconnected", self.url)
        return self.stats.frames > before

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        pinger = asyncio.create_task(self._ping(ws)) if self.ping_message() is not None else None
        try:
            while True:
                # A silent socket (a half-open TCP connection) raises TimeoutError here and reconnects.
                msg = await ws.receive(timeout=self.idle_timeout_s)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    continue
                self.stats.frames += 1
                try:
                    message = self.decode(msg)
                except FrameError as exc:
                    self.stats.bad_frames += 1
                    self.stats.last_error = str(exc)
                    continue
                if not isinstance(message, Mapping):
                    self.stats.bad_frames += 1
                    continue
                await self.handle(ws, message)
        finally:
            if pinger is not None:
                pinger.cancel()

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.ping_interval_s)
            message = self.ping_message()
            if message is None or ws.closed:
                return
            await ws.send_json(message)
            self.stats.pings_sent += 1

    def deliver(self, rows: Sequence[Any]) -> None:
        """Hand the object rows of one venue message to ``on_rows`` (anything else in it is skipped)."""
        kept = [row for row in rows if isinstance(row, Mapping)]
        if kept:
            self.stats.rows += len(kept)
            self.on_rows(kept)


# -- reading raw rows ------------------------------------------------------------------------------------


def linear_symbol(venue_id: str, contract: object, separator: str) -> str:
    """ccxt's unified symbol of a USDT-settled contract code (``BTC_USDT`` / ``BTC-USDT`` ->
    ``BTC/USDT:USDT``; a dated ``BTC-USDT-250627`` -> ``BTC/USDT:USDT-250627``), the symbol the REST path
    gives the same market, so both paths' events land on the same market and identity."""
    if not isinstance(contract, str):
        raise MalformedLiquidation(venue_id, "contract", f"is {excerpt(contract)}, not a contract code")
    parts = contract.upper().split(separator)
    if len(parts) not in (2, 3) or not all(p.isalnum() for p in parts):
        raise MalformedLiquidation(venue_id, "contract", f"is {excerpt(contract)}, not a contract code")
    symbol = f"{parts[0]}/{parts[1]}:{parts[1]}"
    return symbol if len(parts) == 2 else f"{symbol}-{parts[2]}"


def number_twins(contents: Sequence[Sequence[object]]) -> list[int]:
    """For each content (the raw fields of a row) in a batch, how many identical contents came before it in
    that batch: two identical rows in one push are two liquidations (occurrences 0 and 1), never one."""
    seen: Counter[tuple[Hashable, ...]] = Counter()
    occurrences = []
    for content in contents:
        # Raw fields may be anything a venue sends (a list, a dict): compare them by a bounded text.
        key = tuple(v if isinstance(v, str | int | float | None) else excerpt(v, 200) for v in content)
        occurrences.append(seen[key])
        seen[key] += 1
    return occurrences


def make_event(
    venue: str,
    symbol: str,
    ts_ms: int,
    side: Side,
    notional_usd: float,
    price: float,
    identity: tuple[Any, ...],
) -> VenueLiquidationEvent:
    """The event with its identity (``event_id`` is its string form, the deduper's key)."""
    return VenueLiquidationEvent(ts_ms, venue, symbol, side, notional_usd, price, identity=identity)


RowReader = Callable[[RawRow, Mapping[str, float], int], VenueLiquidationEvent | None]


def read_batch(
    rows: Sequence[RawRow],
    contents: Sequence[Sequence[object]],
    read_row: RowReader,
    contract_sizes: Mapping[str, float],
) -> tuple[list[VenueLiquidationEvent], list[MalformedLiquidation]]:
    """The events of one push, twins numbered apart (two genuine prints stay two), and the rows' problems:
    a bad row costs only itself. Twins are the rows whose print identities match (``prints``), numbered as
    the REST path numbers them, so the same print from either path has one identity; ``contents`` are
    kept for callers that number by raw fields (``number_twins``)."""
    events: list[VenueLiquidationEvent] = []
    problems: list[MalformedLiquidation] = []
    for place, row in enumerate(rows):
        try:
            event = read_row(row, contract_sizes, 0)
        except MalformedLiquidation as exc:
            problems.append(exc)
            continue
        if event is not None:
            # Identical rows in one push are two prints: their place in it tells them apart.
            events.append(replace(event, twin_key=("push", place)))
    numbered = number_prints(events)
    return [e for e in numbered if isinstance(e, VenueLiquidationEvent)], problems
