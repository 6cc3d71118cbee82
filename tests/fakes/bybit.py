"""Fake Bybit v5: REST ``/v5/market/*`` (instruments-info, kline, tickers, open-interest) and the public
linear websocket (``/v5/public/linear``: ``tickers.BTCUSDT``, ``allLiquidation.BTCUSDT``).

Wire facts: REST bodies are ``{"retCode":0,"retMsg":"OK","result":{...},"retExtInfo":{},"time":...}``;
subscriptions ``{"op":"subscribe","req_id":..,"args":[topics]}`` are acked with
``{"success":true,"ret_msg":"","conn_id":..,"req_id":..,"op":"subscribe"}``; keepalive is the text message
``{"op":"ping"}`` answered with ``{"success":true,"ret_msg":"pong",...,"op":"ping"}``. In ``allLiquidation``
``S`` is the POSITION side: ``"Buy"`` = a long was liquidated.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import NO_PONG, FakeVenue, WsConn, now_ms
from tests.fakes.perpetuals import others, perpetuals

SYMBOL = "BTCUSDT"

INSTRUMENT: dict[str, Any] = {
    "symbol": SYMBOL,
    "contractType": "LinearPerpetual",
    "status": "Trading",
    "baseCoin": "BTC",
    "quoteCoin": "USDT",
    "launchTime": "1585526400000",
    "deliveryTime": "0",
    "deliveryFeeRate": "",
    "priceScale": "2",
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {
        "maxOrderQty": "1190.000",
        "minOrderQty": "0.001",
        "qtyStep": "0.001",
        "postOnlyMaxOrderQty": "1190.000",
        "maxMktOrderQty": "500.000",
        "minNotionalValue": "5",
    },
    "unifiedMarginTrade": True,
    "fundingInterval": 480,
    "settleCoin": "USDT",
    "copyTrading": "both",
    "upperFundingRate": "0.005",
    "lowerFundingRate": "-0.005",
    "isPreListing": False,
    "preListingInfo": None,
}

# A second market, so a source following several symbols can be tested (only its market data is served).
ETH_SYMBOL = "ETHUSDT"
ETH_INSTRUMENT: dict[str, Any] = {**INSTRUMENT, "symbol": ETH_SYMBOL, "baseCoin": "ETH", "priceScale": "2"}

MORE_INSTRUMENTS: list[dict[str, Any]] = [
    {**INSTRUMENT, "symbol": f"{p.coin}USDT", "baseCoin": p.coin} for p in others("BTC", "ETH")
]

INTERVALS = ("1", "60")


def envelope(result: Any, ret_code: int = 0, ret_msg: str = "OK") -> dict[str, Any]:
    return {"retCode": ret_code, "retMsg": ret_msg, "result": result, "retExtInfo": {}, "time": now_ms()}


def all_liquidation(
    side: str = "Buy", size: str = "0.5", price: str = "75190.5", ts: int | None = None, symbol: str = SYMBOL
) -> dict[str, Any]:
    """A raw ``allLiquidation`` push with one item. side is the POSITION side: Buy = a long was liquidated."""
    ts = now_ms() if ts is None else ts
    return {
        "topic": f"allLiquidation.{symbol}",
        "type": "snapshot",
        "ts": ts + 275,
        "data": [{"T": ts, "s": symbol, "S": side, "v": size, "p": price}],
    }


def rest_ticker() -> dict[str, Any]:
    """The recorded websocket ticker snapshot, as one item of the REST /v5/market/tickers list."""
    snapshot = dict(fixtures.bybit_ws_tickers()[0]["data"])
    snapshot.update(
        {"predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "", "deliveryTime": "0"}
    )
    return snapshot


class FakeBybit(FakeVenue):
    name = "bybit"

    def routes(self) -> None:
        self.add_rest("GET", "/v5/market/instruments-info", "markets", self._instruments)
        self.add_rest("GET", "/v5/market/kline", "ohlcv", self._kline)
        self.add_rest("GET", "/v5/market/tickers", "ticker", self._tickers)
        self.add_rest("GET", "/v5/market/open-interest", "open_interest", self._open_interest)
        self.add_ws("/v5/public/linear")

    def error_body(self, status: int) -> tuple[str, str]:
        if status == 429:
            return json.dumps(envelope({}, 10006, "Too many visits!")), "application/json"
        return super().error_body(status)

    def _bad_symbol(self, request: web.Request) -> web.Response | None:
        if request.query.get("category") != "linear" or request.query.get("symbol", SYMBOL) != SYMBOL:
            return web.json_response(envelope({}, 10001, "params error: symbol invalid"))
        return None

    async def _instruments(self, request: web.Request) -> Any:
        if request.query.get("category") != "linear":
            return envelope({"category": request.query.get("category"), "list": [], "nextPageCursor": ""})
        listed = [INSTRUMENT, ETH_INSTRUMENT, *MORE_INSTRUMENTS]
        items = [] if request.query.get("status") == "PreLaunch" else [dict(i) for i in listed]
        return envelope({"category": "linear", "list": items, "nextPageCursor": ""})

    async def _kline(self, request: web.Request) -> Any:
        if (bad := self._bad_symbol(request)) is not None:
            return bad
        interval = request.query.get("interval", "")
        if interval not in INTERVALS:
            return envelope({}, 10001, "Invalid period!")
        source = fixtures.binance_klines("1m" if interval == "1" else "1h")  # same market, same candles
        rows = [[str(r[0]), r[1], r[2], r[3], r[4], r[5], r[7]] for r in source]
        if "start" in request.query:
            rows = [r for r in rows if int(r[0]) >= int(request.query["start"])]
        limit = int(request.query.get("limit", 200))
        rows = rows[-limit:]
        rows.reverse()  # bybit lists the newest candle first
        return envelope({"symbol": SYMBOL, "category": "linear", "list": rows})

    async def _tickers(self, request: web.Request) -> Any:
        if (bad := self._bad_symbol(request)) is not None:
            return bad
        if "symbol" in request.query:
            return envelope({"category": "linear", "list": [rest_ticker()]})
        # Every perpetual (the market-wide ranking): BTC's recorded ticker, the others' turnover by rank.
        items = [rest_ticker()]
        for p in perpetuals().values():
            if p.coin != "BTC":
                items.append(
                    {
                        "symbol": f"{p.coin}USDT",
                        "lastPrice": str(p.price),
                        "turnover24h": str(p.turnover_usd()),
                    }
                )
        return envelope({"category": "linear", "list": items})

    async def _open_interest(self, request: web.Request) -> Any:
        if (bad := self._bad_symbol(request)) is not None:
            return bad
        hour = now_ms() // 3_600_000 * 3_600_000
        item = {"openInterest": "57798.13700000", "timestamp": str(hour)}
        return envelope({"symbol": SYMBOL, "category": "linear", "list": [item], "nextPageCursor": "c2=="})

    # ------------------------------------------------------------------ websocket
    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self.send(conn, {"success": False, "ret_msg": "error:invalid json", "op": ""})
            return
        op = message.get("op")
        req_id = message.get("req_id", "")
        if op == "ping":
            if not self._has("ws", NO_PONG):
                await self.send(
                    conn,
                    {
                        "success": True,
                        "ret_msg": "pong",
                        "conn_id": "fake-conn",
                        "req_id": req_id,
                        "op": "ping",
                    },
                )
            return
        if op not in ("subscribe", "unsubscribe"):
            await self.send(conn, {"success": False, "ret_msg": f"error:handler not found,op:{op}", "op": op})
            return
        ack = {"success": True, "ret_msg": "", "conn_id": "fake-conn", "req_id": req_id, "op": op}
        await self.send(conn, ack)
        for topic in message.get("args", []):
            if op == "unsubscribe":
                conn.topics.discard(topic)
                continue
            await self.subscribe(conn, topic)
            if topic == f"tickers.{SYMBOL}":
                await self.send(conn, fixtures.bybit_ws_tickers()[0])

    async def push_liquidations(self, *messages: dict[str, Any]) -> None:
        """Deliver raw ``allLiquidation.<SYMBOL>`` pushes to their topic's subscribers (queued until then)."""
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for message in messages:
            by_topic.setdefault(message["topic"], []).append(message)
        for topic, batch in by_topic.items():
            await self.publish(topic, batch, "liquidations")

    async def push_tickers(self, *messages: dict[str, Any]) -> None:
        await self.publish(f"tickers.{SYMBOL}", list(messages), "ticker")
