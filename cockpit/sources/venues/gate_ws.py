"""Gate's all-market liquidation websocket (USDT futures): ``futures.public_liquidates`` with ``["!all"]``.

Wire facts (Gate Futures WebSocket v4 docs, "public liquidates order API" and "Ping and Pong"):

- endpoint ``wss://fx-ws.gateio.ws/v4/ws/usdt``; text JSON frames both ways.
- subscribe ``{"time": <unix s>, "channel": "futures.public_liquidates", "event": "subscribe",
  "payload": ["!all"]}``; ack ``{"time":..,"time_ms":..,"channel":..,"event":"subscribe",
  "result":{"status":"success"}}``, or a non-null ``error`` ``{"code":..,"message":..}``.
- update ``{"channel":"futures.public_liquidates","event":"update","time":..,"time_ms":..,
  "result":[{"contract":"BTC_USDT","size":-124,"price":215.1,"time_ms":1541486601123}, ...]}``: ``size``
  is the liquidation ORDER's signed quantity in contracts (Gate's order convention: negative = sell), so
  ``size < 0`` = a long was liquidated; ``price`` is the order price. At most one row per contract per
  second, so the stream is a sample (the REST ``liq_orders`` poll has them all). Rows may also carry
  ``order_price``, ``fill_price`` (average taker price, 0 if nothing was taken) and ``left`` (the part put
  on the book as maker: still liquidated, so counted, as the REST path does).
- keepalive: the server sends protocol-level pings (answered by aiohttp's autoping); the client may send
  ``{"time": <unix s>, "channel": "futures.ping"}`` and gets ``{"channel":"futures.pong",...}``.

Note the sign is the opposite of REST ``liq_orders``, whose ``size`` is the POSITION (> 0 = long).
Notional: ``abs(size) x quanto_multiplier x price`` (the fill price when there is one, else the order price).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from cockpit.analytics.liquidations import Side
from cockpit.sources.venues.liquidation_ws import (
    FrameError,
    LiquidationStream,
    RawRow,
    linear_symbol,
    make_event,
    read_batch,
)
from cockpit.sources.venues.normalize import MalformedLiquidation, VenueLiquidationEvent, ms_time, number
from cockpit.sources.venues.prints import gate_print

__all__ = [
    "CHANNEL",
    "GATE_USDT_WS_URL",
    "GateLiquidationStream",
    "normalize_gate_row",
    "normalize_gate_rows",
]

GATE_USDT_WS_URL = "wss://fx-ws.gateio.ws/v4/ws/usdt"
CHANNEL = "futures.public_liquidates"
VENUE_ID = "gate"
VENUE = "Gate"


class GateLiquidationStream(LiquidationStream):
    """Every USDT-futures liquidation Gate pushes, as raw rows to ``on_rows`` (one call per update).

    ``clock`` gives the unix time Gate wants in each request's ``time`` field (nothing is decided by it).
    """

    venue = VENUE

    def __init__(
        self,
        url: str,
        on_rows: Callable[[list[RawRow]], None],
        *,
        clock: Callable[[], float] = time.time,
        **kw: Any,
    ) -> None:
        super().__init__(url, on_rows, **kw)
        self.clock = clock
        self.pongs = 0

    def subscribe_messages(self) -> list[dict[str, Any]]:
        return [{"time": int(self.clock()), "channel": CHANNEL, "event": "subscribe", "payload": ["!all"]}]

    def ping_message(self) -> dict[str, Any] | None:
        return {"time": int(self.clock()), "channel": "futures.ping"}

    def decode(self, msg: aiohttp.WSMessage) -> Any:
        try:
            return json.loads(msg.data)
        except (ValueError, TypeError, RecursionError) as exc:
            raise FrameError(f"Gate: a frame that is not JSON ({type(exc).__name__})") from None

    async def handle(self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]) -> None:
        channel, event = message.get("channel"), message.get("event")
        if channel == "futures.pong":
            self.pongs += 1
        elif channel != CHANNEL:
            return
        elif message.get("error"):
            # A refused subscription will not succeed by asking again at once: say so, keep the socket.
            self.stats.last_error = f"Gate refused {CHANNEL}: {str(message.get('error'))[:200]}"
            self.on_status("error", self.stats.last_error)
        elif event == "subscribe":
            self.on_status("subscribed", CHANNEL)
        elif event == "update":
            result = message.get("result")
            self.deliver(result if isinstance(result, list) else [result])


def normalize_gate_row(
    row: RawRow, contract_sizes: Mapping[str, float], occurrence: int = 0
) -> VenueLiquidationEvent | None:
    """One raw ``futures.public_liquidates`` row as an event, or None if it closed nothing.

    ``contract_sizes`` maps Gate contract codes to their size in base units (ccxt ``market["contractSize"]``,
    Gate's ``quanto_multiplier``). ``occurrence`` numbers identical rows of one batch (``normalize_gate_rows``
    sets it). Raises ``MalformedLiquidation`` naming the field for a row that cannot be read, including a
    contract missing from ``contract_sizes`` (its notional would be a guess).
    """
    contract = row.get("contract")
    symbol = linear_symbol(VENUE_ID, contract, "_")
    size = number(VENUE_ID, "size", row.get("size"))
    if size == 0:
        return None
    side: Side = "long" if size < 0 else "short"  # the order's sign: a sell closes a long
    contracts = abs(size)
    order_price = number(VENUE_ID, "price", row.get("order_price", row.get("price")))
    fill = row.get("fill_price")
    price = number(VENUE_ID, "fill_price", fill) if fill not in (None, "", 0, "0") else order_price
    if price <= 0:
        raise MalformedLiquidation(VENUE_ID, "price", f"is {price:g}, not a positive price")
    # The second, as the REST path has it: the history keys a print on (time, identity), so the stream's
    # milliseconds would store the print a REST poll brings again (after a restart) as a second one.
    ts_ms = _time_ms(row) // 1000 * 1000
    contract_size = contract_sizes.get(str(contract))
    if contract_size is None or not contract_size > 0:
        raise MalformedLiquidation(VENUE_ID, "contract", f"{contract} has no known contract size")
    notional = contracts * contract_size * price
    identity = print_identity(symbol, ts_ms, side, contracts, order_price, occurrence)
    return make_event(VENUE, symbol, ts_ms, side, notional, price, identity)


def normalize_gate_rows(
    rows: Sequence[RawRow], contract_sizes: Mapping[str, float]
) -> tuple[list[VenueLiquidationEvent], list[MalformedLiquidation]]:
    """The events of one batch of raw rows (one push), identical rows numbered apart, and the rows'
    problems (a bad row costs only itself)."""
    contents = [
        (r.get("contract"), r.get("size"), r.get("price"), r.get("order_price"), _raw_time(r)) for r in rows
    ]
    return read_batch(rows, contents, normalize_gate_row, contract_sizes)


def print_identity(
    symbol: str, ts_ms: int, side: Side, contracts: float, order_price: float, occurrence: int
) -> tuple[Any, ...]:
    """The identity of a Gate liquidation from fields the REST ``liq_orders`` row also has (``time`` in
    whole seconds, the side, ``abs(order_size)``, ``order_price``), so the REST path can key a print the
    same way. Times are cut to the second because REST has no finer one."""
    return gate_print(symbol, ts_ms, side, contracts, order_price, occurrence)


def _time_ms(row: RawRow) -> int:
    if row.get("time_ms") is not None:
        return ms_time(VENUE_ID, "time_ms", row.get("time_ms"))
    return ms_time(VENUE_ID, "time", number(VENUE_ID, "time", row.get("time")) * 1000)


def _raw_time(row: RawRow) -> object:
    return row.get("time_ms", row.get("time"))
