"""Fake HTX USDT-margined swaps (contract host): swap_contract_info, linear-swap-ex kline and detail/merged,
and the v5 market endpoints funding_rate, open_interest and liquidation_orders. REST only (ccxt 4.5.90 has no
htx watch_liquidations).

Wire facts: the older endpoints answer ``{"status":"ok","data":..,"ts":..}`` (errors ``"status":"error"`` with
``err_code``/``err_msg``), the v5 ones ``{"code":200,"message":"Success","data":..,"ts":..}``. ccxt calls
``/v5/market/liquidation_orders`` for linear swaps, whose rows carry ``side`` (the ORDER side: sell = a long
was liquidated) and ``position_side`` (the liquidated position); the older v3 endpoint named it
``direction``.
``start_time``/``end_time`` are in milliseconds, at most two hours apart (third-party notes; an absent
``end_time`` means now). BTC-USDT contracts are 0.001 BTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes import fixtures
from tests.fakes.base import now_ms
from tests.fakes.htx_ws import HtxLiquidationWs
from tests.fakes.perpetuals import others, perpetuals

CONTRACT = "BTC-USDT"
CONTRACT_SIZE = 0.001  # BTC per contract
MAX_WINDOW_MS = 2 * 3_600_000  # liquidation_orders: the longest start_time..end_time span answered

CONTRACT_INFO: dict[str, Any] = {
    "symbol": "BTC",
    "contract_code": CONTRACT,
    "contract_size": CONTRACT_SIZE,
    "price_tick": 0.1,
    "delivery_date": None,
    "delivery_time": "",
    "create_date": "20201021",
    "contract_status": 1,
    "settlement_date": "1795478400000",
    "support_margin_mode": "all",
    "business_type": "swap",
    "pair": CONTRACT,
    "contract_type": "swap",
    "trade_partition": "USDT",
}

MORE_CONTRACTS: list[dict[str, Any]] = [
    {
        **CONTRACT_INFO,
        "symbol": p.coin,
        "contract_code": f"{p.coin}-USDT",
        "pair": f"{p.coin}-USDT",
        "contract_size": float(p.htx_size),
    }
    for p in others("BTC")
]
CONTRACTS = frozenset([CONTRACT, *(c["contract_code"] for c in MORE_CONTRACTS)])

PERIODS = ("1min", "60min")


def v5(data: Any) -> dict[str, Any]:
    return {"code": 200, "message": "Success", "data": data, "ts": now_ms()}


def status_ok(data: Any) -> dict[str, Any]:
    return {"status": "ok", "data": data, "ts": now_ms()}


def liquidation_order(
    side: str = "sell",
    position_side: str = "long",
    contracts: int = 2,
    price: str = "71300.5",
    ts: int | None = None,
    contract: str = CONTRACT,
) -> dict[str, Any]:
    """A raw v5 ``liquidation_orders`` row. side sell + position_side long = a long was liquidated."""
    ts = now_ms() if ts is None else ts
    amount = contracts * float(perpetuals()[contract.split("-")[0]].htx_size)
    return {
        "id": str(150153038758 + ts % 100000),
        "contract_code": contract,
        "liquidation_time": str(ts),
        "side": side,
        "position_side": position_side,
        "volume": str(contracts),
        "amount": f"{amount:g}",
        "bankrupt_price": price,
        "trade_turnover": f"{amount * float(price):.4f}",
    }


class FakeHtx(HtxLiquidationWs):  # HtxLiquidationWs: the liquidation websocket
    name = "htx"

    def __init__(self) -> None:
        super().__init__()
        self.liquidations: list[dict[str, Any]] = []
        # The venue's present, for a liquidation query without end_time (a test on a simulated clock sets it).
        self.now_ms: Callable[[], int] = now_ms

    def routes(self) -> None:
        self.add_rest("GET", "/linear-swap-api/v1/swap_contract_info", "markets", self._contract_info)
        self.add_rest("GET", "/linear-swap-ex/market/history/kline", "ohlcv", self._kline)
        self.add_rest("GET", "/linear-swap-ex/market/detail/merged", "ticker", self._merged)
        self.add_rest("GET", "/linear-swap-ex/market/detail/batch_merged", "ticker", self._batch_merged)
        self.add_rest("GET", "/v5/market/funding_rate", "funding", self._funding)
        self.add_rest("GET", "/v5/market/open_interest", "open_interest", self._open_interest)
        self.add_rest("GET", "/v5/market/liquidation_orders", "liquidations", self._liquidations)

    def error_body(self, status: int) -> tuple[str, str]:
        if status == 429:
            body = {
                "status": "error",
                "err-code": "rate-too-many-requests",
                "err-msg": "exceeded rate limit",
                "data": None,
            }
            return json.dumps(body), "application/json"
        return super().error_body(status)

    def _bad(self, request: web.Request) -> web.Response | None:
        if request.query.get("contract_code") not in CONTRACTS:
            body = {
                "status": "error",
                "err_code": 1014,
                "err_msg": "This contract doesn't exist.",
                "ts": now_ms(),
            }
            return web.json_response(body)
        return None

    async def _contract_info(self, request: web.Request) -> Any:
        return status_ok([dict(CONTRACT_INFO), *map(dict, MORE_CONTRACTS)])

    async def _kline(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        period = request.query.get("period", "")
        if period not in PERIODS:
            return {
                "status": "error",
                "err-code": "invalid-parameter",
                "err-msg": "invalid period",
                "ts": now_ms(),
            }
        rows = [
            {
                "id": r[0] // 1000,
                "open": float(r[1]),
                "close": float(r[4]),
                "low": float(r[3]),
                "high": float(r[2]),
                "amount": float(r[5]),
                "vol": round(float(r[5]) / CONTRACT_SIZE),
                "trade_turnover": float(r[7]),
                "count": r[8],
            }
            for r in fixtures.binance_klines("1m" if period == "1min" else "1h")
        ]
        if "size" in request.query:  # with size, HTX ignores from/to and returns the latest `size` candles
            rows = rows[-int(request.query["size"]) :]
        else:
            rows = [
                r
                for r in rows
                if int(request.query.get("from", 0)) <= r["id"] <= int(request.query.get("to", 2**40))
            ]
        return {"ch": f"market.{CONTRACT}.kline.{period}", "status": "ok", "data": rows, "ts": now_ms()}

    async def _merged(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        ts = now_ms()
        tick = {
            "amount": "181234.567",
            "ask": [71478.2, 3400],
            "bid": [71478.1, 21000],
            "close": "71478.2",
            "count": 1423512,
            "high": "72000",
            "id": ts // 1000,
            "low": "69800.1",
            "open": "70100",
            "ts": ts,
            "vol": "181234567",
            "trade_turnover": "12790123456.78",
            "number_of": "181234567",
        }
        return {"ch": f"market.{CONTRACT}.detail.merged", "status": "ok", "tick": tick, "ts": ts}

    async def _batch_merged(self, request: web.Request) -> Any:
        """Every contract's 24 h ticker (the market-wide ranking): turnover by the coins' rank."""
        ts = now_ms()
        ticks = [
            {
                "contract_code": f"{p.coin}-USDT",
                "business_type": "swap",
                "close": str(p.price),
                "trade_turnover": str(p.turnover_usd()),
                "ts": ts,
            }
            for p in perpetuals().values()
        ]
        return {"status": "ok", "ticks": ticks, "ts": ts}

    async def _funding(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        funding_time = (now_ms() // 28_800_000 + 1) * 28_800_000
        item = {
            "contract_code": CONTRACT,
            "funding_rate": "0.000083024939363172",
            "funding_time": str(funding_time),
            "next_funding_time": str(funding_time + 28_800_000),
            "min_funding_rate": "-0.003750000000000000",
            "max_funding_rate": "0.003750000000000000",
        }
        return v5([item])

    async def _open_interest(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        contracts = 32476092
        item = {
            "amount": f"{contracts * CONTRACT_SIZE:.3f}",
            "volume": str(contracts),
            "value": "2321314578.9668",
            "contract_code": CONTRACT,
            "trade_amount": "11371.362",
            "trade_volume": "11371362",
            "trade_turnover": "723600792.7222",
        }
        return v5(item)

    async def _liquidations(self, request: web.Request) -> Any:
        if (bad := self._bad(request)) is not None:
            return bad
        start, end = request.query.get("start_time"), request.query.get("end_time")
        if start is not None and int(end or self.now_ms()) - int(start) > MAX_WINDOW_MS:
            # Third-party notes say HTX answers at most two hours per request (the error is assumed).
            body = {
                "status": "error",
                "err_code": 1999,
                "err_msg": "time range exceeds 2 hours",
                "ts": now_ms(),
            }
            return web.json_response(body)
        rows = [r for r in self.liquidations if r["contract_code"] == request.query["contract_code"]]
        if "start_time" in request.query:
            rows = [r for r in rows if int(r["liquidation_time"]) >= int(request.query["start_time"])]
        if "end_time" in request.query:
            rows = [r for r in rows if int(r["liquidation_time"]) <= int(request.query["end_time"])]
        rows.sort(key=lambda r: int(r["liquidation_time"]), reverse=True)  # newest first
        return v5(self.shape_rows("liquidations", rows[: int(request.query.get("limit", 100))]))

    async def push_liquidations(self, *rows: dict[str, Any]) -> None:
        """Add raw v5 liquidation_orders rows to the history the REST endpoint serves."""
        self.liquidations.extend(rows)
