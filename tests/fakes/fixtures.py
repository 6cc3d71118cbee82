"""Real recorded venue payloads from tests/data (ccxt's own static test data), read lazily."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SHARED_FIXTURES = Path(__file__).resolve().parents[1] / "data"


@cache
def _load(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHARED_FIXTURES / relative).read_text())
    return data


def _case(relative: str, method: str, description: str) -> dict[str, Any]:
    for case in _load(relative)["methods"][method]:
        if case["description"] == description:
            return case
    raise KeyError(f"{relative}: no {method} case {description!r}")


def binance_klines(interval: str) -> list[list[Any]]:
    """Raw Binance kline rows: the recorded swap 1m rows, or the recorded 1h rows (same wire format)."""
    description = "swap ohlcv" if interval == "1m" else "Spot OHLCV with since and limit"
    return copy.deepcopy(
        _case("ccxt_static/response/binance.json", "fetchOHLCV", description)["httpResponse"]
    )


def binance_ticker_24hr() -> dict[str, Any]:
    """The recorded /ticker/24hr body reshaped to the USD-M futures form (no bid/ask/prevClosePrice)."""
    raw = copy.deepcopy(
        _case("ccxt_static/response/binance.json", "fetchTicker", "public spot ticker")["httpResponse"]
    )
    for key in ("bidPrice", "bidQty", "askPrice", "askQty", "prevClosePrice"):
        raw.pop(key, None)
    return dict(raw)


def bybit_ws_tickers() -> list[dict[str, Any]]:
    """The recorded bybit `tickers.BTCUSDT` snapshot and delta messages."""
    return copy.deepcopy(_case("ccxt_static/ws/bybit.json", "watchTicker", "linear swap ticker")["messages"])


def okx_ws_tickers() -> list[dict[str, Any]]:
    """The recorded okx `tickers` BTC-USDT-SWAP data messages (the subscribe ack is left out)."""
    messages = _case("ccxt_static/ws/okx.json", "watchTicker", "linear swap ticker")["messages"]
    return [copy.deepcopy(m) for m in messages if "data" in m]


def fng_sample() -> dict[str, Any]:
    return copy.deepcopy(_load("fng/fng_sample_limit3.json"))
