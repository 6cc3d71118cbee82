"""The Gate and HTX all-market liquidation rows -> events: position side, notional with each coin's contract
size, identity (repeats dedupe, twins stay apart), and rows or frames that cannot be read."""

from __future__ import annotations

import gzip

import aiohttp
import pytest

from cockpit.sources.venues import gate_ws, htx_ws
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.gate_ws import normalize_gate_row, normalize_gate_rows
from cockpit.sources.venues.htx_ws import normalize_htx_row, normalize_htx_rows
from cockpit.sources.venues.liquidation_ws import FrameError, linear_symbol, number_twins
from cockpit.sources.venues.normalize import MalformedLiquidation
from tests.fakes.gate_ws import ws_liquidation as gate_row
from tests.fakes.htx_ws import ws_liquidation as htx_row

T = 1_781_849_094_165  # a venue time in ms
GATE_SIZES = {"BTC_USDT": 0.0001, "ETH_USDT": 0.01, "DOGE_USDT": 10.0}  # quanto_multiplier per contract
HTX_SIZES = {"BTC-USDT": 0.001, "ETH-USDT": 0.01, "DOGE-USDT": 100.0}  # contract_size per contract


def test_gate_negative_order_size_is_a_long_liquidated() -> None:
    e = normalize_gate_row(gate_row("BTC_USDT", -600, "71424.5", T), GATE_SIZES)
    assert e is not None
    # The time is the second, as Gate's REST has it: one print, one row on disk from either path.
    assert (e.venue, e.symbol, e.side, e.price) == ("Gate", "BTC/USDT:USDT", "long", 71424.5)
    assert e.ts_ms == T // 1000 * 1000 and T % 1000 != 0
    assert e.notional_usd == pytest.approx(600 * 0.0001 * 71424.5)


def test_gate_positive_order_size_is_a_short_liquidated() -> None:
    e = normalize_gate_row(gate_row("ETH_USDT", 25, "3100", T), GATE_SIZES)
    assert e is not None and e.side == "short"


def test_gate_notional_uses_each_coins_quanto_multiplier() -> None:
    rows = [
        gate_row("BTC_USDT", -10, "70000", T),
        gate_row("ETH_USDT", -10, "3000", T),
        gate_row("DOGE_USDT", 10, "0.2", T),
    ]
    events, problems = normalize_gate_rows(rows, GATE_SIZES)
    assert problems == []
    assert [e.notional_usd for e in events] == pytest.approx([70.0, 300.0, 20.0])
    assert [e.symbol for e in events] == ["BTC/USDT:USDT", "ETH/USDT:USDT", "DOGE/USDT:USDT"]


def test_gate_prices_at_the_fill_when_there_is_one_else_the_order_price() -> None:
    filled = normalize_gate_row(gate_row(size=-100, price="70000", ts_ms=T, fill_price="69990"), GATE_SIZES)
    unfilled = normalize_gate_row(gate_row(size=-100, price="70000", ts_ms=T, fill_price="0"), GATE_SIZES)
    assert filled is not None and unfilled is not None
    assert (filled.price, unfilled.price) == (69990.0, 70000.0)
    assert filled.key == unfilled.key  # the identity holds the order price, which both rows share


def test_gate_seconds_time_and_nothing_closed() -> None:
    row = {"contract": "BTC_USDT", "size": -1, "price": "70000", "time": T // 1000}
    e = normalize_gate_row(row, GATE_SIZES)
    assert e is not None and e.ts_ms == T // 1000 * 1000
    assert normalize_gate_row(gate_row(size=0, ts_ms=T), GATE_SIZES) is None


def test_htx_sell_is_a_long_liquidated_and_buy_a_short() -> None:
    long_ = normalize_htx_row(htx_row("BTC-USDT", "sell", 2, 71300.5, T), HTX_SIZES)
    short = normalize_htx_row(htx_row("ETH-USDT", "buy", 5, 3100.0, T, 0.01), HTX_SIZES)
    assert long_ is not None and short is not None
    assert (long_.venue, long_.symbol, long_.side, long_.price) == ("HTX", "BTC/USDT:USDT", "long", 71300.5)
    assert (short.symbol, short.side) == ("ETH/USDT:USDT", "short")


def test_htx_notional_is_the_turnover_else_contracts_x_size_x_price() -> None:
    row = htx_row("DOGE-USDT", "sell", 3, 0.2, T, 100.0)
    e = normalize_htx_row(row, HTX_SIZES)
    assert e is not None and e.notional_usd == pytest.approx(60.0)  # the venue's trade_turnover
    computed = normalize_htx_row({k: v for k, v in row.items() if k != "trade_turnover"}, HTX_SIZES)
    assert computed is not None and computed.notional_usd == pytest.approx(3 * 100.0 * 0.2)
    exact = normalize_htx_row({**row, "trade_turnover": 60.01}, HTX_SIZES)
    assert exact is not None and exact.notional_usd == 60.01  # the exact number wins over our product


def test_a_repeated_batch_counts_once_and_twins_in_a_batch_stay_apart() -> None:
    twin = htx_row("BTC-USDT", "sell", 2, 71300.5, T)
    events, _ = normalize_htx_rows(
        [twin, dict(twin), htx_row("ETH-USDT", "buy", 1, 3000.0, T, 0.01)], HTX_SIZES
    )
    dedup = Deduper()
    assert len(dedup.fresh(events)) == 3  # two identical prints in one push are two liquidations
    again, _ = normalize_htx_rows([twin, dict(twin)], HTX_SIZES)
    assert dedup.fresh(again) == []  # the same push seen again (a reconnect replay) counts nothing
    gate_twin = gate_row(size=-5, ts_ms=T)
    gate_events, _ = normalize_gate_rows([gate_twin, dict(gate_twin)], GATE_SIZES)
    assert len(Deduper().fresh(gate_events)) == 2


def test_identity_is_built_from_fields_the_rest_rows_also_have() -> None:
    # Gate REST liq_orders row of the same print: time in s, size = the POSITION (600 > 0: a long),
    # order_size -600, order_price "71424.5". Its print identity, from those fields:
    rest_key = gate_ws.print_identity("BTC/USDT:USDT", (T // 1000) * 1000, "long", 600.0, 71424.5, 0)
    e = normalize_gate_row(gate_row(size=-600, price="71424.5", ts_ms=T, fill_price="71420"), GATE_SIZES)
    assert e is not None and e.identity == rest_key
    # HTX REST v5 row of the same print: liquidation_time T, side sell, volume 2, bankrupt_price 71300.5.
    h = normalize_htx_row(htx_row("BTC-USDT", "sell", 2, 71300.5, T), HTX_SIZES)
    assert h is not None and h.identity == htx_ws.print_identity("BTC/USDT:USDT", T, "long", 2.0, 71300.5, 0)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({**gate_row(ts_ms=T), "contract": "XYZ_USDT"}, "contract"),  # no contract size known
        ({**gate_row(ts_ms=T), "contract": ["BTC_USDT"]}, "contract"),
        ({**gate_row(ts_ms=T), "size": "lots"}, "size"),
        ({**gate_row(ts_ms=T), "price": None}, "price"),
        ({**gate_row(ts_ms=T), "price": "-1"}, "price"),
        ({**gate_row(ts_ms=T), "time_ms": 12}, "time_ms"),
    ],
)
def test_gate_unreadable_rows_name_their_field(row: dict[str, object], field: str) -> None:
    with pytest.raises(MalformedLiquidation) as info:
        normalize_gate_row(row, GATE_SIZES)
    assert info.value.field == field
    events, problems = normalize_gate_rows([row, gate_row(ts_ms=T)], GATE_SIZES)
    assert len(events) == 1 and len(problems) == 1  # a bad row costs only itself


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({**htx_row(ts_ms=T), "direction": "both"}, "direction"),
        ({**htx_row(ts_ms=T), "volume": -2}, "volume"),
        ({**htx_row(ts_ms=T), "contract_code": "NEW-USDT"}, "contract_code"),
        ({**htx_row(ts_ms=T), "created_at": "yesterday"}, "created_at"),
        ({**htx_row(ts_ms=T), "trade_turnover": float("nan")}, "trade_turnover"),
    ],
)
def test_htx_unreadable_rows_name_their_field(row: dict[str, object], field: str) -> None:
    with pytest.raises(MalformedLiquidation) as info:
        normalize_htx_row(row, HTX_SIZES)
    assert info.value.field == field


def test_symbols_follow_ccxt() -> None:
    assert linear_symbol("htx", "btc-usdt", "-") == "BTC/USDT:USDT"
    assert linear_symbol("htx", "BTC-USDT-250627", "-") == "BTC/USDT:USDT-250627"
    with pytest.raises(MalformedLiquidation):
        linear_symbol("gate", "BTC", "_")


def test_number_twins_counts_per_content_and_survives_odd_fields() -> None:
    assert number_twins([("a", 1), ("b", 1), ("a", 1), ("a", 2)]) == [0, 0, 1, 0]
    assert number_twins([([1],), ([1],)]) == [0, 1]  # unhashable venue values compare by text


def _frame(kind: aiohttp.WSMsgType, data: object) -> aiohttp.WSMessage:
    return aiohttp.WSMessage(kind, data, None)


def test_htx_decoding_refuses_what_is_not_gzip_json() -> None:
    stream = htx_ws.HtxLiquidationStream("ws://127.0.0.1:9/x", lambda rows: None)
    assert stream.decode(_frame(aiohttp.WSMsgType.BINARY, gzip.compress(b'{"op":"ping","ts":"1"}'))) == {
        "op": "ping",
        "ts": "1",
    }
    for bad in (
        b"\x00not gzip",
        gzip.compress(b"}{"),
        gzip.compress(b'{"a":1}')[:-6],
        gzip.compress(b" " * (2 << 20)),
    ):
        with pytest.raises(FrameError):
            stream.decode(_frame(aiohttp.WSMsgType.BINARY, bad))


def test_gate_decoding_refuses_what_is_not_json() -> None:
    stream = gate_ws.GateLiquidationStream("ws://127.0.0.1:9/x", lambda rows: None, clock=lambda: 1.0)
    with pytest.raises(FrameError):
        stream.decode(_frame(aiohttp.WSMsgType.TEXT, "<html>502</html>"))
    assert stream.subscribe_messages() == [
        {"time": 1, "channel": "futures.public_liquidates", "event": "subscribe", "payload": ["!all"]}
    ]
