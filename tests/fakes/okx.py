"""Fake OKX v5: REST (public/instruments, market/candles + history-candles, market/ticker,
public/funding-rate, public/open-interest) and the public websocket (``/ws/v5/public``: ``tickers``,
``liquidation-orders``).

Wire facts: REST bodies are ``{"code":"0","msg":"","data":[...]}``; a subscription
``{"op":"subscribe","args":[{"channel":..,...}]}`` is acked per argument with
``{"event":"subscribe","arg":{...},"connId":..}``; keepalive is the text ``ping`` answered with ``pong``.
``liquidation-orders`` covers a whole instType (SWAP); each detail has ``side`` (order side) and ``posSide``
(the liquidated position) and ``sz`` in contracts of 0.01 BTC.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import NO_PONG, FakeVenue, WsConn, now_ms
from tests.fakes.perpetuals import others

INST_ID = "BTC-USDT-SWAP"
CONTRACT_SIZE = 0.01  # BTC per contract

INSTRUMENT: dict[str, Any] = {
    "alias": "",
    "baseCcy": "",
    "category": "1",
    "ctMult": "1",
    "ctType": "linear",
    "ctVal": "0.01",
    "ctValCcy": "BTC",
    "expTime": "",
    "instFamily": "BTC-USDT",
    "instId": INST_ID,
    "instType": "SWAP",
    "lever": "100",
    "listTime": "1573557408000",
    "lotSz": "0.01",
    "maxLmtSz": "100000000",
    "maxMktSz": "12000",
    "minSz": "0.01",
    "optType": "",
    "quoteCcy": "",
    "ruleType": "normal",
    "settleCcy": "USDT",
    "state": "live",
    "stk": "",
    "tickSz": "0.1",
    "uly": "BTC-USDT",
}

# A second market, so a source following several symbols can be tested (only its market data is served).
ETH_INST_ID = "ETH-USDT-SWAP"
ETH_CONTRACT_SIZE = 0.1  # ETH per contract
ETH_INSTRUMENT: dict[str, Any] = {
    **INSTRUMENT,
    "ctVal": "0.1",
    "ctValCcy": "ETH",
    "instFamily": "ETH-USDT",
    "instId": ETH_INST_ID,
    "tickSz": "0.01",
    "uly": "ETH-USDT",
}

# The other USDT perpetuals with their own ctVal, and a coin-margined swap that market-wide feeds leave out.
MORE_INSTRUMENTS: list[dict[str, Any]] = [
    {
        **INSTRUMENT,
        "ctVal": p.okx_ct_val,
        "ctValCcy": p.coin,
        "instFamily": f"{p.coin}-USDT",
        "instId": f"{p.coin}-USDT-SWAP",
        "uly": f"{p.coin}-USDT",
    }
    for p in others("BTC", "ETH")
]
INVERSE_INSTRUMENT: dict[str, Any] = {
    **INSTRUMENT,
    "ctType": "inverse",
    "ctVal": "100",
    "ctValCcy": "USD",
    "instFamily": "BTC-USD",
    "instId": "BTC-USD-SWAP",
    "settleCcy": "BTC",
    "uly": "BTC-USD",
}

BARS = ("1m", "1H")


def ok(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def liquidation_order(
    side: str = "sell",
    pos_side: str = "long",
    contracts: str = "13",
    price: str = "75180.1",
    ts: int | None = None,
    inst_id: str = INST_ID,
) -> dict[str, Any]:
    """A raw ``liquidation-orders`` push with one detail. side sell + posSide long = a long was liquidated."""
    ts = now_ms() if ts is None else ts
    detail = {
        "bkLoss": "0",
        "bkPx": price,
        "ccy": "",
        "posSide": pos_side,
        "side": side,
        "sz": contracts,
        "ts": str(ts),
    }
    return {
        "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
        "data": [
            {
                "instId": inst_id,
                "instFamily": inst_id.removesuffix("-SWAP"),
                "instType": "SWAP",
                "uly": inst_id.removesuffix("-SWAP"),
                "details": [detail],
            }
        ],
    }


class FakeOkx(FakeVenue):
    name = "okx"

    def routes(self) -> None:
        self.add_rest("GET", "/api/v5/public/instruments", "markets", self._instruments)
        self.add_rest("GET", "/api/v5/market/candles", "ohlcv", self._candles)
        self.add_rest("GET", "/api/v5/market/history-candles", "ohlcv", self._candles)
        self.add_rest("GET", "/api/v5/market/ticker", "ticker", self._ticker)
        self.add_rest("GET", "/api/v5/public/funding-rate", "funding", self._funding)
        self.add_rest("GET", "/api/v5/public/open-interest", "open_interest", self._open_interest)
        self.add_ws("/ws/v5/public")
        self.add_ws("/ws/v5/business")

    def error_body(self, status: int) -> tuple[str, str]:
        if status == 429:
            return json.dumps({"msg": "Too Many Requests", "code": "50011"}), "application/json"
        return super().error_body(status)

    def _bad_inst(self, request: web.Request) -> web.Response | None:
        if request.query.get("instId") != INST_ID:
            body = {"code": "51001", "msg": "Instrument ID doesn't exist.", "data": []}
            return web.json_response(body)
        return None

    async def _instruments(self, request: web.Request) -> Any:
        listed = [INSTRUMENT, ETH_INSTRUMENT, *MORE_INSTRUMENTS, INVERSE_INSTRUMENT]
        return ok([dict(i) for i in listed] if request.query.get("instType") == "SWAP" else [])

    async def _candles(self, request: web.Request) -> Any:
        if (bad := self._bad_inst(request)) is not None:
            return bad
        bar = request.query.get("bar", "")
        if bar not in BARS:
            return {"code": "51000", "msg": "Parameter bar error", "data": []}
        source = fixtures.binance_klines("1m" if bar == "1m" else "1h")
        # [ts, o, h, l, c, vol (contracts), volCcy (BTC), volCcyQuote (USDT), confirm]
        rows = [
            [str(r[0]), r[1], r[2], r[3], r[4], str(round(float(r[5]) * 100, 2)), r[5], r[7], "1"]
            for r in source
        ]
        rows[-1][-1] = "0"  # the newest candle is still open
        if "before" in request.query:
            rows = [r for r in rows if int(r[0]) > int(request.query["before"])]
        if "after" in request.query:
            rows = [r for r in rows if int(r[0]) < int(request.query["after"])]
        rows = rows[-int(request.query.get("limit", 100)) :]
        rows.reverse()  # newest first
        return ok(rows)

    async def _ticker(self, request: web.Request) -> Any:
        if (bad := self._bad_inst(request)) is not None:
            return bad
        return ok([fixtures.okx_ws_tickers()[0]["data"][0]])

    async def _funding(self, request: web.Request) -> Any:
        if (bad := self._bad_inst(request)) is not None:
            return bad
        now = now_ms()
        funding_time = (now // 28_800_000 + 1) * 28_800_000
        return ok(
            [
                {
                    "fundingRate": "0.0000792386885340",
                    "fundingTime": str(funding_time),
                    "impactValue": "",
                    "instId": INST_ID,
                    "instType": "SWAP",
                    "interestRate": "0.0001",
                    "maxFundingRate": "0.00375",
                    "method": "current_period",
                    "minFundingRate": "-0.00375",
                    "nextFundingRate": "",
                    "nextFundingTime": str(funding_time + 28_800_000),
                    "premium": "0.0000578896878167",
                    "settFundingRate": "0.0000691180264373",
                    "settState": "settled",
                    "ts": str(now),
                }
            ]
        )

    async def _open_interest(self, request: web.Request) -> Any:
        if (bad := self._bad_inst(request)) is not None:
            return bad
        oi_contracts = 2125419.1
        item = {
            "instId": INST_ID,
            "instType": "SWAP",
            "oi": f"{oi_contracts}",
            "oiCcy": f"{oi_contracts * CONTRACT_SIZE:.3f}",
            "oiUsd": "1358632165.25",
            "ts": str(now_ms()),
        }
        return ok([item])

    # ------------------------------------------------------------------ websocket
    async def on_ws_text(self, conn: WsConn, text: str) -> None:
        if text == "ping":
            if not self._has("ws", NO_PONG):
                await self.send(conn, "pong")
            return
        try:
            message = json.loads(text)
        except ValueError:
            await self.send(conn, {"event": "error", "msg": f"Illegal request: {text}", "code": "60012"})
            return
        op = message.get("op")
        if op not in ("subscribe", "unsubscribe"):
            await self.send(conn, {"event": "error", "msg": f"Illegal request: {text}", "code": "60012"})
            return
        for arg in message.get("args", []):
            await self.send(conn, {"event": op, "arg": arg, "connId": "fake0001"})
            topic = f"{arg.get('channel')}:{arg.get('instId') or arg.get('instType')}"
            if op == "unsubscribe":
                conn.topics.discard(topic)
                continue
            await self.subscribe(conn, topic)
            if arg.get("channel") == "tickers" and arg.get("instId") == INST_ID:
                await self.send(conn, fixtures.okx_ws_tickers()[0])

    async def push_liquidations(self, *messages: dict[str, Any]) -> None:
        """Deliver raw ``liquidation-orders`` pushes to the SWAP channel's subscribers (queued until then)."""
        await self.publish("liquidation-orders:SWAP", list(messages), "liquidations")

    async def push_tickers(self, *messages: dict[str, Any]) -> None:
        await self.publish(f"tickers:{INST_ID}", list(messages), "ticker")
