"""Fake Binance USD-M futures: fapi REST (exchangeInfo, klines, ticker/24hr, premiumIndex, openInterest,
fundingInfo) and the market websocket (``/market/ws/<n>``: ``<symbol>@forceOrder`` liquidations,
``<symbol>@miniTicker``).

Wire facts: subscriptions are ``{"method":"SUBSCRIBE","params":[...],"id":N}`` acked with
``{"result":null,"id":N}``; keepalive is protocol-level ping/pong frames. A ``forceOrder`` with ``"S":"SELL"``
is a liquidated long.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import FakeVenue, WsConn, now_ms
from tests.fakes.perpetuals import others, perpetuals

SYMBOL = "BTCUSDT"

EXCHANGE_INFO_SYMBOL: dict[str, Any] = {
    "symbol": SYMBOL,
    "pair": SYMBOL,
    "contractType": "PERPETUAL",
    "deliveryDate": 4133404800000,
    "onboardDate": 1569398400000,
    "status": "TRADING",
    "baseAsset": "BTC",
    "quoteAsset": "USDT",
    "marginAsset": "USDT",
    "pricePrecision": 2,
    "quantityPrecision": 3,
    "baseAssetPrecision": 8,
    "quotePrecision": 8,
    "underlyingType": "COIN",
    "underlyingSubType": ["PoW"],
    "triggerProtect": "0.0500",
    "liquidationFee": "0.012500",
    "marketTakeBound": "0.05",
    "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "261.10", "maxPrice": "809484", "tickSize": "0.10"},
        {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MIN_NOTIONAL", "notional": "100"},
    ],
    "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
    "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
}
# A second market, so a source following several symbols can be tested (only its market data is served).
ETH_SYMBOL = "ETHUSDT"
ETH_EXCHANGE_INFO_SYMBOL: dict[str, Any] = {
    **EXCHANGE_INFO_SYMBOL,
    "symbol": ETH_SYMBOL,
    "pair": ETH_SYMBOL,
    "baseAsset": "ETH",
    "onboardDate": 1569398400000,
}

ALL_MARKET = "!forceOrder@arr"  # the stream of every symbol's liquidations
MORE_SYMBOLS: list[dict[str, Any]] = [
    {**EXCHANGE_INFO_SYMBOL, "symbol": f"{p.coin}USDT", "pair": f"{p.coin}USDT", "baseAsset": p.coin}
    for p in others("BTC", "ETH")
]


def force_order(
    side: str = "SELL", qty: str = "0.014", price: str = "9910", ts: int | None = None, symbol: str = SYMBOL
) -> dict[str, Any]:
    """A raw ``forceOrder`` event. side is the liquidation ORDER side: SELL = a long was liquidated."""
    ts = now_ms() if ts is None else ts
    return {
        "e": "forceOrder",
        "E": ts + 2,
        "o": {
            "s": symbol,
            "S": side,
            "o": "LIMIT",
            "f": "IOC",
            "q": qty,
            "p": price,
            "ap": price,
            "X": "FILLED",
            "l": qty,
            "z": qty,
            "T": ts,
        },
    }


def mini_ticker(close: str = "71481.90", ts: int | None = None) -> dict[str, Any]:
    ts = now_ms() if ts is None else ts
    return {
        "e": "24hrMiniTicker",
        "E": ts,
        "s": SYMBOL,
        "c": close,
        "o": "70100.00",
        "h": "72000.00",
        "l": "69800.10",
        "v": "181234.567",
        "q": "12790123456.78",
    }


class FakeBinanceUsdm(FakeVenue):
    name = "binanceusdm"

    def __init__(self) -> None:
        # fundingInfo lists only symbols whose funding interval (or cap) Binance adjusted: none by default.
        self.adjusted_funding_hours: dict[str, int] = {}
        super().__init__()

    def routes(self) -> None:
        self.add_rest("GET", "/fapi/v1/exchangeInfo", "markets", self._exchange_info)
        self.add_rest("GET", "/fapi/v1/klines", "ohlcv", self._klines)
        self.add_rest("GET", "/fapi/v1/ticker/24hr", "ticker", self._ticker)
        self.add_rest("GET", "/fapi/v1/premiumIndex", "funding", self._premium_index)
        self.add_rest("GET", "/fapi/v1/openInterest", "open_interest", self._open_interest)
        self.add_rest("GET", "/fapi/v1/fundingInfo", "funding", self._funding_info)
        for path in ("/ws", "/ws/{n}", "/market/ws/{n}", "/public/ws/{n}", "/market/ws", "/public/ws"):
            self.add_ws(path)

    def error_body(self, status: int) -> tuple[str, str]:
        if status == 429:
            body = {"code": -1003, "msg": "Too many requests; current limit is 2400 requests per minute."}
            return json.dumps(body), "application/json"
        if status == 451:
            body = {
                "code": 0,
                "msg": "Service unavailable from a restricted location according to 'b. Eligibility'.",
            }
            return json.dumps(body), "application/json"
        return super().error_body(status)

    async def _exchange_info(self, request: web.Request) -> Any:
        return {
            "timezone": "UTC",
            "serverTime": now_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}
            ],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [dict(EXCHANGE_INFO_SYMBOL), dict(ETH_EXCHANGE_INFO_SYMBOL), *map(dict, MORE_SYMBOLS)],
        }

    @staticmethod
    def _kline_scale(symbol: str) -> float | None:
        if symbol == SYMBOL:
            return 1.0
        listed = {f"{p.coin}USDT": p.price for p in perpetuals().values()}
        return listed[symbol] / perpetuals()["BTC"].price if symbol in listed else None

    async def _klines(self, request: web.Request) -> Any:
        """The recorded BTC candles; any other listed coin gets them scaled to its price (so any symbol
        can be charted), an unlisted one Binance's "Invalid symbol"."""
        scale = self._kline_scale(request.query.get("symbol", ""))
        if scale is None:
            body = json.dumps({"code": -1121, "msg": "Invalid symbol."})
            return web.Response(status=400, text=body, content_type="application/json")
        interval = request.query.get("interval", "")
        if interval not in ("1m", "1h"):
            body = json.dumps({"code": -1120, "msg": "Invalid interval."})
            return web.Response(status=400, text=body, content_type="application/json")
        rows = fixtures.binance_klines(interval)
        if scale != 1.0:
            rows = [[r[0], *(f"{float(v) * scale:.8g}" for v in r[1:5]), *r[5:]] for r in rows]
        if "startTime" in request.query:
            rows = [r for r in rows if r[0] >= int(request.query["startTime"])]
        limit = int(request.query.get("limit", 500))
        return rows[-limit:]

    def _listed(self, request: web.Request) -> tuple[str, float] | web.Response:
        """(symbol, its price scale against BTC) for any listed coin; Binance's "Invalid symbol" else."""
        symbol = request.query.get("symbol", "")
        scale = self._kline_scale(symbol)
        if scale is None:
            body = json.dumps({"code": -1121, "msg": "Invalid symbol."})
            return web.Response(status=400, text=body, content_type="application/json")
        return symbol, scale

    async def _ticker(self, request: web.Request) -> Any:
        """The recorded ticker; another listed coin's scaled to its price (a daemon's other screens)."""
        listed = self._listed(request)
        if isinstance(listed, web.Response):
            return listed
        symbol, scale = listed
        body = fixtures.binance_ticker_24hr()
        if scale != 1.0:
            for key in ("lastPrice", "openPrice", "highPrice", "lowPrice", "weightedAvgPrice"):
                if key in body:
                    body[key] = f"{float(body[key]) * scale:.8g}"
            body["symbol"] = symbol
        return body

    async def _premium_index(self, request: web.Request) -> Any:
        listed = self._listed(request)
        if isinstance(listed, web.Response):
            return listed
        symbol, scale = listed
        now = now_ms()
        return {
            "symbol": symbol,
            "markPrice": f"{71480.1 * scale:.8g}",
            "indexPrice": "71491.53586957",
            "estimatedSettlePrice": "71455.24407418",
            "lastFundingRate": "0.00010000",
            "interestRate": "0.00010000",
            "nextFundingTime": (now // 28_800_000 + 1) * 28_800_000,
            "time": now,
        }

    async def _funding_info(self, request: web.Request) -> Any:
        return [
            {
                "symbol": symbol,
                "adjustedFundingRateCap": "0.02000000",
                "adjustedFundingRateFloor": "-0.02000000",
                "fundingIntervalHours": hours,
                "disclaimer": False,
            }
            for symbol, hours in self.adjusted_funding_hours.items()
        ]

    async def _open_interest(self, request: web.Request) -> Any:
        listed = self._listed(request)
        if isinstance(listed, web.Response):
            return listed
        symbol, scale = listed
        # The same value in USD for every coin: as many coins as BTC's open interest is worth at its price.
        return {"openInterest": f"{80412.114 / scale:.8g}", "symbol": symbol, "time": now_ms()}

    # ------------------------------------------------------------------ websocket
    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self.send(conn, {"code": 3, "msg": "Invalid JSON"})
            return
        method = message.get("method")
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            await self.send(conn, {"code": 1, "msg": "Invalid request", "id": message.get("id")})
            return
        await self.send(conn, {"result": None, "id": message.get("id")})
        for stream in message.get("params", []):
            if method == "UNSUBSCRIBE":
                conn.topics.discard(stream)
                continue
            await self.subscribe(conn, stream)
            if stream.endswith("@miniTicker"):
                await self.send(conn, mini_ticker())

    async def push_liquidations(self, *messages: dict[str, Any]) -> None:
        """Deliver raw forceOrder events to ``<symbol>@forceOrder`` subscribers, or to the all-market stream
        ``!forceOrder@arr`` once anyone subscribed to it (queued until a subscriber exists)."""
        all_market = any(ALL_MARKET in c.topics for c in self.conns)
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for message in messages:
            topic = ALL_MARKET if all_market else message["o"]["s"].lower() + "@forceOrder"
            by_topic.setdefault(topic, []).append(message)
        for topic, batch in by_topic.items():
            await self.publish(topic, batch, "liquidations")

    async def push_tickers(self, *messages: dict[str, Any]) -> None:
        await self.publish(SYMBOL.lower() + "@miniTicker", list(messages), "ticker")
