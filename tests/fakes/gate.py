"""Fake Gate (API v4, USDT-settled perpetual futures): contracts, candlesticks, tickers, the single contract
(funding) and public liquidation history ``liq_orders``. REST only: ccxt 4.5.90 has no gate
watch_liquidations.

Wire facts: bodies are bare JSON arrays/objects; errors are ``{"label":..,"message":..}``; times are Unix
SECONDS (``liq_orders`` ``from``/``to`` too, per Gate's API docs, at most 3600 s apart). In ``liq_orders``
``size`` is the signed POSITION size in contracts (> 0: a long was liquidated), ``order_size`` what the
liquidation order closed (less than the position in a partial liquidation) and ``left`` the part of that
order placed on the book as maker (gateio/gateapi-python ``docs/FuturesLiqOrder.md``); BTC_USDT contracts
are 0.0001 BTC.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import now_ms
from tests.fakes.gate_ws import GateLiquidationWs
from tests.fakes.perpetuals import perpetuals

CONTRACT = "BTC_USDT"
CONTRACT_SIZE = "0.0001"  # BTC per contract (quanto_multiplier)
CONTRACTS = tuple(f"{coin}_USDT" for coin in perpetuals())  # every perpetual listed (BTC_USDT first)
MAX_WINDOW_S = 3600  # liq_orders: the longest from..to span answered


def contract_info(name: str = CONTRACT) -> dict[str, Any]:
    now_s = now_ms() // 1000
    coin = name.split("_")[0]
    return {
        "name": name,
        "type": "direct",
        "quanto_multiplier": perpetuals()[coin].gate_multiplier,
        "ref_discount_rate": "0",
        "order_price_deviate": "0.5",
        "maintenance_rate": "0.004",
        "mark_type": "index",
        "last_price": "71478.2",
        "mark_price": "71480.07",
        "index_price": "71491.5",
        "funding_rate_indicative": "0.000081",
        "mark_price_round": "0.01",
        "funding_offset": 0,
        "in_delisting": False,
        "risk_limit_base": "1000000",
        "interest_rate": "0.0003",
        "order_price_round": "0.1",
        "order_size_min": 1,
        "ref_rebate_rate": "0.2",
        "funding_interval": 28800,
        "risk_limit_step": "1000000",
        "leverage_min": "1",
        "leverage_max": "125",
        "risk_limit_max": "30000000",
        "maker_fee_rate": "-0.0001",
        "taker_fee_rate": "0.00075",
        "funding_rate": "0.0001",
        "order_size_max": 1000000,
        "funding_next_apply": (now_s // 28800 + 1) * 28800,
        "short_users": 9822,
        "config_change_time": 1700000000,
        "trade_size": 9876543210,
        "position_size": 812345678,
        "long_users": 12001,
        "funding_impact_value": "60000",
        "orders_limit": 100,
        "trade_id": 123456789,
        "orderbook_id": 987654321,
        "enable_bonus": True,
        "enable_credit": True,
        "create_time": 1589270400,
        "funding_cap_ratio": "0.75",
        "status": "trading",
        "launch_time": 1589270400,
    }


def liq_order(
    size: int = 600,
    price: str = "71424.5",
    ts_s: int | None = None,
    left: int = 0,
    order_size: int | None = None,
    fill_price: str | None = None,
    contract: str = CONTRACT,
) -> dict[str, Any]:
    """A raw public ``liq_orders`` row (Gate's current schema). ``size`` = signed POSITION size in contracts
    (> 0: a long liquidated); ``order_size`` = the liquidation order, opposite in sign (default: the whole
    position; smaller for a partial liquidation); ``left`` = the part of the order put on the book as maker;
    ``fill_price`` = the average taker price (default ``price``; "0" when nothing was taken)."""
    ts_s = now_ms() // 1000 if ts_s is None else ts_s
    return {
        "time": ts_s,
        "contract": contract,
        "size": size,
        "order_size": -size if order_size is None else order_size,
        "order_price": price,
        "fill_price": price if fill_price is None else fill_price,
        "left": left,
    }


class FakeGate(GateLiquidationWs):  # GateLiquidationWs: the liquidation websocket
    name = "gate"

    def __init__(self) -> None:
        super().__init__()
        self.liquidations: list[dict[str, Any]] = []

    def routes(self) -> None:
        self.add_rest("GET", "/api/v4/futures/{settle}/contracts", "markets", self._contracts)
        self.add_rest("GET", "/api/v4/futures/{settle}/candlesticks", "ohlcv", self._candles)
        self.add_rest("GET", "/api/v4/futures/{settle}/tickers", "ticker", self._tickers)
        self.add_rest("GET", "/api/v4/futures/{settle}/contracts/{contract}", "funding", self._contract)
        self.add_rest("GET", "/api/v4/futures/{settle}/liq_orders", "liquidations", self._liq_orders)

    def error_body(self, status: int) -> tuple[str, str]:
        if status == 429:
            return json.dumps(
                {"label": "TOO_MANY_REQUESTS", "message": "Request Rate limit Exceeded"}
            ), "application/json"
        return super().error_body(status)

    def _error(self, label: str, message: str, status: int = 400) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps({"label": label, "message": message}),
            content_type="application/json",
        )

    def _bad(self, request: web.Request) -> web.Response | None:
        if request.match_info.get("settle") != "usdt":
            return self._error("INVALID_PARAM_VALUE", "invalid settle")
        contract = request.query.get("contract", request.match_info.get("contract", CONTRACT))
        if contract not in CONTRACTS:
            return self._error("CONTRACT_NOT_FOUND", "contract not found", 404)
        return None

    async def _contracts(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        return [contract_info(c) for c in CONTRACTS]

    async def _contract(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        return contract_info(request.match_info.get("contract", CONTRACT))

    async def _candles(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        interval = request.query.get("interval", "")
        if interval not in ("1m", "1h"):
            return self._error("INVALID_PARAM_VALUE", "invalid interval")
        rows = [
            {
                "t": r[0] // 1000,
                "v": int(float(r[5]) / float(CONTRACT_SIZE)),  # contracts
                "c": r[4],
                "h": r[2],
                "l": r[3],
                "o": r[1],
                "sum": r[7],
            }
            for r in fixtures.binance_klines(interval)
        ]
        if "from" in request.query:
            rows = [r for r in rows if r["t"] >= int(request.query["from"])]
        if "to" in request.query:
            rows = [r for r in rows if r["t"] <= int(request.query["to"])]
        return rows[-int(request.query.get("limit", 100)) :]

    async def _tickers(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        return [
            {
                "contract": CONTRACT,
                "last": "71478.2",
                "low_24h": "69800.1",
                "high_24h": "72000",
                "change_percentage": "1.97",
                "total_size": "812345678",
                "volume_24h": "1812345678",
                "volume_24h_btc": "181234.5678",
                "volume_24h_usd": "12790123456",
                "volume_24h_base": "181234.5678",
                "volume_24h_quote": "12790123456",
                "volume_24h_settle": "12790123456",
                "mark_price": "71480.07",
                "funding_rate": "0.0001",
                "funding_rate_indicative": "0.000081",
                "index_price": "71491.5",
                "highest_bid": "71478.1",
                "highest_size": "21000",
                "lowest_ask": "71478.2",
                "lowest_size": "3400",
            }
        ]

    async def _liq_orders(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        start, end = request.query.get("from"), request.query.get("to")
        if start is not None and int(end or now_ms() // 1000) - int(start) > MAX_WINDOW_S:
            return self._error("INVALID_PARAM_VALUE", "from and to must be at most 3600 seconds apart")
        rows = list(self.liquidations)
        if "contract" in request.query:  # without it, every contract's (Gate's API docs)
            rows = [r for r in rows if r["contract"] == request.query["contract"]]
        if "from" in request.query:  # seconds, per Gate's docs
            rows = [r for r in rows if r["time"] >= int(request.query["from"])]
        if "to" in request.query:
            rows = [r for r in rows if r["time"] <= int(request.query["to"])]
        rows.sort(key=lambda r: r["time"], reverse=True)  # newest first
        return self.shape_rows("liquidations", rows[: int(request.query.get("limit", 100))])

    async def push_liquidations(self, *rows: dict[str, Any]) -> None:
        """Add raw liq_orders rows to the history the REST endpoint serves."""
        self.liquidations.extend(rows)
