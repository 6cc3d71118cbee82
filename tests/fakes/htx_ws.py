"""HTX's linear-swap notification websocket on the fake HTX: ``public.*.liquidation_orders`` and its
heartbeat.

Wire format as in ``cockpit.sources.venues.htx_ws`` (HTX docs): the server sends every frame as gzip
binary JSON and the client plain text; ``{"op":"sub","cid":..,"topic":..}`` is acked with ``"err-code":0``;
updates are ``{"op":"notify","topic":"public.<contract>.liquidation_orders","ts":..,"data":[rows]}``; the
server pings ``{"op":"ping","ts":"<ms>"}`` and expects ``{"op":"pong","ts":..}``.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from tests.fakes.base import FakeVenue, WsConn, now_ms
from tests.fakes.perpetuals import perpetuals

WS_PATH = "/linear-swap-notification"
TOPIC = "public.*.liquidation_orders"


def ws_liquidation(
    contract: str = "BTC-USDT",
    direction: str = "sell",
    volume: int = 2,
    price: float = 71300.5,
    ts_ms: int | None = None,
    contract_size: float | None = None,
) -> dict[str, Any]:
    """A raw notification row: direction sell = a long liquidated; turnover = volume x size x price, the size
    (default) the contract's as the fake HTX lists it (tests/data/markets/perpetuals.json)."""
    if contract_size is None:
        contract_size = float(perpetuals()[contract.split("-")[0]].htx_size)
    amount = volume * contract_size
    return {
        "symbol": contract.split("-")[0],
        "contract_code": contract,
        "direction": direction,
        "offset": "close",
        "volume": volume,
        "price": price,
        "created_at": now_ms() if ts_ms is None else ts_ms,
        "amount": round(amount, 8),
        "trade_turnover": round(amount * price, 4),
        "contract_type": "swap",
        "pair": contract,
        "business_type": "swap",
    }


def ws_row_of(rest_row: dict[str, Any]) -> dict[str, Any]:
    """The notification row of the print a REST v5 ``liquidation_orders`` row records (no id: the stream
    has none)."""
    volume = float(rest_row["volume"])
    return {
        "symbol": rest_row["contract_code"].split("-")[0],
        "contract_code": rest_row["contract_code"],
        "direction": rest_row["side"],
        "offset": "close",
        "volume": int(volume) if volume.is_integer() else volume,
        "price": float(rest_row["bankrupt_price"]),
        "created_at": int(rest_row["liquidation_time"]),
        "amount": float(rest_row["amount"]),
        "trade_turnover": float(rest_row["trade_turnover"]),
        "contract_type": "swap",
        "pair": rest_row["contract_code"],
        "business_type": "swap",
    }


class HtxLiquidationWs(FakeVenue):
    """Adds the notification websocket to a fake HTX (a base class: the fake's file changes by a line)."""

    def __init__(self) -> None:
        super().__init__()
        self.add_ws(WS_PATH)

    async def send(self, conn: WsConn, message: Any) -> bool:
        """Every frame this endpoint writes is gzip-compressed binary, as HTX's are."""
        if conn.path != WS_PATH:
            return await super().send(conn, message)
        if conn.ws.closed:
            return False
        text = message if isinstance(message, str) else json.dumps(message)
        try:
            await conn.ws.send_bytes(gzip.compress(text.encode()))
        except ConnectionResetError:
            return False
        return True

    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self.send(
                conn, {"op": "error", "ts": now_ms(), "err-code": 4000, "err-msg": "invalid request"}
            )
            return
        op, topic = message.get("op"), message.get("topic")
        if op == "sub" and topic == TOPIC:
            await self.send(
                conn, {"op": "sub", "cid": message.get("cid"), "topic": topic, "ts": now_ms(), "err-code": 0}
            )
            await self.subscribe(conn, TOPIC)
        elif op == "sub":
            ack = {"op": "sub", "cid": message.get("cid"), "topic": topic, "ts": now_ms()}
            await self.send(conn, {**ack, "err-code": 2011, "err-msg": "invalid topic"})
        # a pong needs no answer: the base class already logged it (ws_received)

    async def push_ws_liquidations(self, *rows: dict[str, Any]) -> None:
        """One notify per contract (as HTX sends them), to the ``*`` subscribers (queued until one is)."""
        by_contract: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_contract.setdefault(str(row.get("contract_code")), []).append(row)
        messages = [
            {"op": "notify", "topic": f"public.{code}.liquidation_orders", "ts": now_ms(), "data": data}
            for code, data in by_contract.items()
        ]
        await self.publish(TOPIC, messages, "liquidations")

    async def push_prints(self, *rest_rows: dict[str, Any], stream: bool = True) -> None:
        """Liquidations as the venue publishes them: each REST v5 row goes into the history and (unless
        ``stream`` is False: a print the stream missed) out on the stream as its row (``ws_row_of``)."""
        self.liquidations.extend(rest_rows)  # type: ignore[attr-defined]
        if stream:
            await self.push_ws_liquidations(*(ws_row_of(r) for r in rest_rows))

    async def ping_ws_clients(self, ts: int | None = None) -> None:
        """HTX's heartbeat: ``{"op":"ping","ts":"<ms>"}`` to every live notification connection."""
        for conn in self.live_conns():
            await self.send(conn, {"op": "ping", "ts": str(now_ms() if ts is None else ts)})

    async def send_ws_garbage(self) -> None:
        """A binary frame that is not gzip and a gzip frame that is not JSON, to every live connection."""
        for conn in self.live_conns():
            await conn.ws.send_bytes(b"\x00not gzip at all")
            await conn.ws.send_bytes(gzip.compress(b"}{not json"))
