"""Gate's USDT-futures websocket on the fake Gate: ``futures.public_liquidates`` and ``futures.ping``.

Wire format as in ``cockpit.sources.venues.gate_ws`` (Gate Futures WebSocket v4 docs): text JSON frames;
``{"time":..,"channel":"futures.public_liquidates","event":"subscribe","payload":["!all"]}`` is acked with
``"result":{"status":"success"}``; updates carry ``result`` rows ``{contract, size, price, time_ms}`` where
``size`` is the liquidation ORDER's signed size (negative: a long was liquidated); ``futures.ping`` is
answered with ``futures.pong``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.base import NO_PONG, FakeVenue, WsConn, now_ms

WS_PATH = "/v4/ws/usdt"
CHANNEL = "futures.public_liquidates"
ALL = f"{CHANNEL}:!all"


def ws_liquidation(
    contract: str = "BTC_USDT",
    size: int = -600,
    price: str = "71424.5",
    ts_ms: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A raw ``futures.public_liquidates`` row: ``size`` < 0 = a sell order = a long liquidated."""
    return {
        "contract": contract,
        "size": size,
        "price": price,
        "time_ms": now_ms() if ts_ms is None else ts_ms,
        **extra,
    }


def ws_row_of(rest_row: dict[str, Any], ms: int = 437) -> dict[str, Any]:
    """The websocket row of the print a REST ``liq_orders`` row records: ``size`` is the ORDER's signed
    size (REST ``order_size``), ``price`` the order price, the time in ms (``ms`` into REST's second)."""
    return {
        "contract": rest_row["contract"],
        "size": rest_row["order_size"],
        "price": rest_row["order_price"],
        "order_price": rest_row["order_price"],
        "fill_price": rest_row["fill_price"],
        "left": rest_row["left"],
        "time_ms": rest_row["time"] * 1000 + ms,
    }


def _envelope(channel: str, event: str, result: Any, error: Any = None) -> dict[str, Any]:
    ts = now_ms()
    return {
        "time": ts // 1000,
        "time_ms": ts,
        "channel": channel,
        "event": event,
        "error": error,
        "result": result,
    }


class GateLiquidationWs(FakeVenue):
    """Adds the websocket to a fake Gate (a base class, so the fake's own file changes by one line)."""

    def __init__(self) -> None:
        super().__init__()
        self.add_ws(WS_PATH)

    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self.send(conn, _envelope("", "", None, {"code": 1, "message": "invalid argument struct"}))
            return
        channel, event = message.get("channel"), message.get("event")
        if channel == "futures.ping":
            if not self._has("ws", NO_PONG):
                await self.send(conn, _envelope("futures.pong", "", None))
        elif channel == CHANNEL and event == "subscribe" and isinstance(message.get("payload"), list):
            await self.send(conn, _envelope(CHANNEL, "subscribe", {"status": "success"}))
            for contract in message["payload"]:
                await self.subscribe(conn, f"{CHANNEL}:{contract}")
        else:
            await self.send(
                conn, _envelope(str(channel), str(event), None, {"code": 2, "message": "invalid argument"})
            )

    async def push_ws_liquidations(self, *rows: dict[str, Any]) -> None:
        """One ``update`` holding ``rows`` (any contracts) to the ``!all`` subscribers (queued till then)."""
        await self.publish(ALL, [_envelope(CHANNEL, "update", list(rows))], "liquidations")

    async def push_prints(self, *rest_rows: dict[str, Any], ms: int = 437) -> None:
        """Liquidations as the venue publishes them: each REST ``liq_orders`` row goes into the history
        and, as its websocket row (``ws_row_of``), out on the stream (Gate's samples; this fake's not)."""
        self.liquidations.extend(rest_rows)  # type: ignore[attr-defined]
        await self.push_ws_liquidations(*(ws_row_of(r, ms) for r in rest_rows))

    async def send_ws_garbage(self, *frames: str) -> None:
        """Raw text frames (not JSON) to every live websocket connection."""
        for conn in self.live_conns():
            for frame in frames:
                await self.send(conn, frame)
