"""HTX's all-market liquidation websocket (USDT-margined): ``public.*.liquidation_orders`` on the linear-swap
notification endpoint.

Wire facts (HTX USDT-margined API docs, "[General] Subscribe Liquidation Orders (no authentication)" and the
notification endpoint's heartbeat; VENUES.md):

- endpoint ``wss://api.hbdm.com/linear-swap-notification``; the server sends every frame as gzip-compressed
  binary JSON; the client sends plain text JSON.
- subscribe ``{"op":"sub","cid":"<client id>","topic":"public.*.liquidation_orders"}`` (``*`` = every
  swap contract); ack ``{"op":"sub","cid":..,"topic":..,"ts":..,"err-code":0}`` (non-zero: refused).
- update ``{"op":"notify","topic":"public.BTC-USDT.liquidation_orders","ts":..,"data":[{"symbol":"BTC",
  "contract_code":"BTC-USDT","direction":"sell","offset":"close","volume":432,"amount":0.432,
  "trade_turnover":30000.5,"price":69445.6,"created_at":1639122193172,"pair":"BTC-USDT",
  "business_type":"swap"}]}``: ``direction`` is the liquidation ORDER's side (sell = a long was
  liquidated), ``volume`` contracts, ``amount`` base coin, ``trade_turnover`` the exact USDT value,
  ``price`` the BANKRUPTCY price, ``created_at`` ms.
- keepalive: the server sends ``{"op":"ping","ts":"<ms>"}`` and drops a client that does not answer
  ``{"op":"pong","ts":<the same ts>}``.

Notional: ``trade_turnover`` when given (the venue's own exact number), else ``volume x contract_size x
price`` with HTX's ``contract_size`` (BTC-USDT: 0.001 BTC).
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from cockpit.analytics.liquidations import Side
from cockpit.sources.venues.liquidation_ws import (
    MAX_INFLATED_BYTES,
    FrameError,
    LiquidationStream,
    RawRow,
    linear_symbol,
    make_event,
    read_batch,
)
from cockpit.sources.venues.normalize import MalformedLiquidation, VenueLiquidationEvent, ms_time, number
from cockpit.sources.venues.prints import htx_print

__all__ = [
    "HTX_NOTIFICATION_WS_URL",
    "TOPIC",
    "HtxLiquidationStream",
    "normalize_htx_row",
    "normalize_htx_rows",
]

HTX_NOTIFICATION_WS_URL = "wss://api.hbdm.com/linear-swap-notification"
TOPIC = "public.*.liquidation_orders"
VENUE_ID = "htx"
VENUE = "HTX"

_CIDS = itertools.count(1)


class HtxLiquidationStream(LiquidationStream):
    """Every USDT-margined swap liquidation HTX pushes, as raw rows to ``on_rows`` (one call per notify).

    HTX pings the client, so this sends no pings of its own; it answers each with the same ``ts``.
    """

    venue = VENUE

    def __init__(self, url: str, on_rows: Callable[[list[RawRow]], None], **kw: Any) -> None:
        super().__init__(url, on_rows, **kw)
        self.cid = f"cockpit-{next(_CIDS)}"

    def subscribe_messages(self) -> list[dict[str, Any]]:
        return [{"op": "sub", "cid": self.cid, "topic": TOPIC}]

    def decode(self, msg: aiohttp.WSMessage) -> Any:
        data = msg.data
        if msg.type == aiohttp.WSMsgType.BINARY:
            data = _gunzip(data)
        try:
            return json.loads(data)
        except (ValueError, TypeError, RecursionError) as exc:
            raise FrameError(f"HTX: a frame that is not JSON ({type(exc).__name__})") from None

    async def handle(self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]) -> None:
        op = message.get("op")
        if op == "ping":
            await ws.send_json({"op": "pong", "ts": message.get("ts")})
            self.stats.pongs_sent += 1
        elif op == "sub" and message.get("topic") == TOPIC:
            code = message.get("err-code")
            if code in (0, "0"):
                self.on_status("subscribed", TOPIC)
            else:
                self.stats.last_error = f"HTX refused {TOPIC}: {code} {str(message.get('err-msg'))[:200]}"
                self.on_status("error", self.stats.last_error)
        elif op == "notify" and str(message.get("topic", "")).endswith(".liquidation_orders"):
            data = message.get("data")
            self.deliver(data if isinstance(data, list) else [data])


def normalize_htx_row(
    row: RawRow, contract_sizes: Mapping[str, float], occurrence: int = 0
) -> VenueLiquidationEvent | None:
    """One raw ``liquidation_orders`` notification row as an event, or None if it closed nothing.

    ``contract_sizes`` maps HTX contract codes to their size in base units (ccxt ``market["contractSize"]``,
    HTX's ``contract_size``). ``occurrence`` numbers identical rows of one batch (``normalize_htx_rows``
    sets it). Raises ``MalformedLiquidation`` naming the field for a row that cannot be read, including a
    contract missing from ``contract_sizes``.
    """
    contract = row.get("contract_code")
    symbol = linear_symbol(VENUE_ID, contract, "-")
    side = _side(row.get("direction"))
    contracts = number(VENUE_ID, "volume", row.get("volume"))
    if contracts < 0:
        raise MalformedLiquidation(VENUE_ID, "volume", f"is {contracts:g}, a negative size")
    if contracts == 0:
        return None
    price = number(VENUE_ID, "price", row.get("price"))
    if price <= 0:
        raise MalformedLiquidation(VENUE_ID, "price", f"is {price:g}, not a positive price")
    ts_ms = ms_time(VENUE_ID, "created_at", row.get("created_at"))
    contract_size = contract_sizes.get(str(contract))
    if contract_size is None or not contract_size > 0:
        raise MalformedLiquidation(VENUE_ID, "contract_code", f"{contract} has no known contract size")
    turnover = row.get("trade_turnover")
    exact = number(VENUE_ID, "trade_turnover", turnover) if turnover not in (None, "") else 0.0
    notional = exact if exact > 0 else contracts * contract_size * price
    identity = print_identity(symbol, ts_ms, side, contracts, price, occurrence)
    return make_event(VENUE, symbol, ts_ms, side, notional, price, identity)


def normalize_htx_rows(
    rows: Sequence[RawRow], contract_sizes: Mapping[str, float]
) -> tuple[list[VenueLiquidationEvent], list[MalformedLiquidation]]:
    """The events of one batch of raw rows (one notify), identical rows numbered apart, and the rows'
    problems (a bad row costs only itself)."""
    fields = ("contract_code", "direction", "volume", "price", "created_at")
    contents = [tuple(r.get(f) for f in fields) for r in rows]
    return read_batch(rows, contents, normalize_htx_row, contract_sizes)


def print_identity(
    symbol: str, ts_ms: int, side: Side, contracts: float, price: float, occurrence: int
) -> tuple[Any, ...]:
    """The identity of an HTX liquidation from fields the REST v5 row also has (``liquidation_time``, the
    side, ``volume``, ``bankrupt_price``), so the REST path can key a print the same way."""
    return htx_print(symbol, ts_ms, side, contracts, price, occurrence)


def _side(direction: object) -> Side:
    """The liquidated position from the liquidation ORDER's side: a long is closed by a sell."""
    if direction == "sell":
        return "long"
    if direction == "buy":
        return "short"
    raise MalformedLiquidation(VENUE_ID, "direction", f"is {str(direction)[:40]!r}, not buy or sell")


def _gunzip(data: bytes) -> bytes:
    """One gzip frame inflated, at most ``MAX_INFLATED_BYTES`` (a small frame may inflate enormously)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: expect the gzip header
    try:
        body = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error:
        raise FrameError("HTX: a binary frame that is not gzip") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise FrameError("HTX: a gzip frame that is cut short or inflates past 1 MiB")
    return body
