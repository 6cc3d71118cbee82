"""Tests for cockpit.sources.venues.normalize: raw venue messages run through ccxt's REAL parsers (offline),
then normalize(); hand-computed sides and notionals per venue, OKX multi-detail messages, de-duplication and
malformed messages.

Markets come from ccxt's own market parsers fed raw market rows (parse_market, or fetch_*_markets with the
HTTP endpoint method replaced by a canned response); REST liquidations go through the real
fetch_liquidations with the endpoint method replaced; websocket messages go through the real
handle_liquidation with a stand-in client. Nothing touches the network: sockets are disabled for every test.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from collections.abc import Callable
from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.normalize import MalformedLiquidation, VenueLiquidationEvent, event_key, normalize
from cockpit.sources.venues.prints import number_prints

BTC = "BTC/USDT:USDT"
BTC_INVERSE = "BTC/USD:BTC"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# -- venues, offline ----------------------------------------------------------------------------------------


class Client:
    """Stands in for ccxt.pro's websocket client: handle_liquidation hands it the parsed structures."""

    def __init__(self) -> None:
        self.resolved: list[tuple[str, list[dict[str, Any]]]] = []

    def resolve(self, result: list[dict[str, Any]], message_hash: str) -> None:
        self.resolved.append((message_hash, result))


def streamed(exchange: Any, message: dict[str, Any], symbol: str = BTC) -> list[dict[str, Any]]:
    """What watch_liquidations(symbol) returns for one raw websocket message."""
    client = Client()
    exchange.handle_liquidation(client, copy.deepcopy(message))
    return [liq for h, batch in client.resolved if h == f"liquidations::{symbol}" for liq in batch]


BINANCE_MARKET = {
    "symbol": "BTCUSDT",
    "pair": "BTCUSDT",
    "contractType": "PERPETUAL",
    "status": "TRADING",
    "baseAsset": "BTC",
    "quoteAsset": "USDT",
    "marginAsset": "USDT",
    "pricePrecision": 2,
    "quantityPrecision": 3,
    "filters": [],
}
OKX_MARKET = {
    "instId": "BTC-USDT-SWAP",
    "instType": "SWAP",
    "ctType": "linear",
    "ctVal": "0.01",
    "ctValCcy": "BTC",
    "settleCcy": "USDT",
    "uly": "BTC-USDT",
    "instFamily": "BTC-USDT",
    "lotSz": "0.01",
    "minSz": "0.01",
    "tickSz": "0.1",
    "state": "live",
    "lever": "100",
    "baseCcy": "",
    "quoteCcy": "",
}
OKX_INVERSE_MARKET = {
    **OKX_MARKET,
    "instId": "BTC-USD-SWAP",
    "ctType": "inverse",
    "ctVal": "100",
    "ctValCcy": "USD",
    "settleCcy": "BTC",
    "uly": "BTC-USD",
    "instFamily": "BTC-USD",
    "lotSz": "1",
    "minSz": "1",
}
BYBIT_INSTRUMENTS = {
    "retCode": 0,
    "result": {
        "category": "linear",
        "list": [
            {
                "symbol": "BTCUSDT",
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "priceFilter": {"tickSize": "0.10"},
                "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001"},
                "leverageFilter": {"maxLeverage": "100"},
            }
        ],
    },
}
GATE_CONTRACT = {
    "name": "BTC_USDT",
    "type": "direct",
    "quanto_multiplier": "0.0001",
    "order_price_round": "0.1",
    "order_size_min": 1,
    "order_size_max": 1000000,
    "leverage_min": "1",
    "leverage_max": "100",
    "status": "trading",
    "contract_type": "",
}
HTX_CONTRACT_INFO = {
    "status": "ok",
    "ts": 1640736207263,
    "data": [
        {
            "symbol": "BTC",
            "contract_code": "BTC-USDT",
            "contract_size": 0.001,
            "price_tick": 0.1,
            "delivery_date": "",
            "delivery_time": "",
            "create_date": "20201021",
            "contract_status": 1,
            "settlement_date": "1640764800000",
            "support_margin_mode": "all",
            "business_type": "swap",
            "pair": "BTC-USDT",
            "contract_type": "swap",
            "trade_partition": "USDT",
        }
    ],
}


def binance() -> Any:
    ex = ccxt_pro.binanceusdm()
    ex.set_markets([ex.parse_market(BINANCE_MARKET)])
    return ex


def okx() -> Any:
    ex = ccxt_pro.okx()
    ex.set_markets([ex.parse_market(OKX_MARKET), ex.parse_market(OKX_INVERSE_MARKET)])
    return ex


def bybit() -> Any:
    ex = ccxt_pro.bybit()

    async def instruments(params: dict[str, Any]) -> dict[str, Any]:
        if params.get("status") == "PreLaunch":
            return {"retCode": 0, "result": {"category": "linear", "list": []}}
        return copy.deepcopy(BYBIT_INSTRUMENTS)

    ex.publicGetV5MarketInstrumentsInfo = instruments
    ex.set_markets(asyncio.run(ex.fetch_future_markets({"category": "linear"})))
    return ex


def gate_fetch(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """gate.fetch_liquidations(BTC) answered by ``rows`` (a liq_orders response), and the market."""

    async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        ex = ccxt_async.gate()
        try:
            ex.set_markets([ex.parse_contract_market(GATE_CONTRACT, "usdt")])

            async def liq_orders(params: dict[str, Any]) -> list[dict[str, Any]]:
                assert params["contract"] == "BTC_USDT"
                return copy.deepcopy(rows)

            ex.publicFuturesGetSettleLiqOrders = liq_orders
            return await ex.fetch_liquidations(BTC), ex.market(BTC)
        finally:
            await ex.close()

    return asyncio.run(run())


def htx_fetch(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """htx.fetch_liquidations(BTC) answered by ``rows`` (a v5 liquidation_orders response), and the market."""

    async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        ex = ccxt_async.htx()
        try:

            async def contract_info(params: dict[str, Any]) -> dict[str, Any]:
                return copy.deepcopy(HTX_CONTRACT_INFO)

            ex.contractPublicGetLinearSwapApiV1SwapContractInfo = contract_info
            ex.set_markets(await ex.fetch_markets_by_type_and_sub_type("swap", "linear"))

            async def liquidation_orders(params: dict[str, Any]) -> dict[str, Any]:
                assert params["contract_code"] == "BTC-USDT"
                return {"code": 200, "message": "Success", "data": copy.deepcopy(rows), "ts": 1781854869221}

            ex.contractPublicGetV5MarketLiquidationOrders = liquidation_orders
            return await ex.fetch_liquidations(BTC), ex.market(BTC)
        finally:
            await ex.close()

    return asyncio.run(run())


def norm(venue_id: str, liquidations: list[dict[str, Any]], market: dict[str, Any]) -> list[LiquidationEvent]:
    """normalize() over a batch, its Gate/HTX twins numbered (``number_prints``), as the venue source does."""
    return number_prints(e for liq in liquidations for e in normalize(venue_id, liq, market))


def only(events: list[LiquidationEvent]) -> LiquidationEvent:
    assert len(events) == 1, events
    return events[0]


# -- raw messages (shapes from VENUES.md and ccxt's parser docstrings) -------------------------------------

BINANCE_LONG: dict[str, Any] = {
    "e": "forceOrder",
    "E": 1568014460893,
    "o": {
        "s": "BTCUSDT",
        "S": "SELL",
        "o": "LIMIT",
        "f": "IOC",
        "q": "0.014",
        "p": "9910",
        "ap": "9910",
        "X": "FILLED",
        "l": "0.014",
        "z": "0.014",
        "T": 1568014460893,
    },
}
BINANCE_SHORT = {
    "e": "forceOrder",
    "E": 1698871323061,
    "o": {
        "s": "BTCUSDT",
        "S": "BUY",
        "o": "LIMIT",
        "f": "IOC",
        "q": "1.437",
        "p": "35100.81",
        "ap": "34959.70",
        "X": "FILLED",
        "l": "1.437",
        "z": "1.437",
        "T": 1698871323059,
    },
}


def bybit_message(*items: dict[str, Any]) -> dict[str, Any]:
    return {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": 1739502303204, "data": list(items)}


BYBIT_LONG = {"T": 1739502302929, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": "75190.5"}
BYBIT_SHORT = {"T": 1739502302931, "s": "BTCUSDT", "S": "Sell", "v": "1.2", "p": "75000"}

OKX_LONG = {
    "bkLoss": "0",
    "bkPx": "75180.1",
    "ccy": "",
    "posSide": "long",
    "side": "sell",
    "sz": "13",
    "ts": "1692266434010",
}
OKX_SHORT = {
    "bkLoss": "0",
    "bkPx": "75200.5",
    "ccy": "",
    "posSide": "short",
    "side": "buy",
    "sz": "5",
    "ts": "1692266434020",
}


def okx_message(*details: dict[str, Any], inst_id: str = "BTC-USDT-SWAP") -> dict[str, Any]:
    family = inst_id.removesuffix("-SWAP")
    item = {
        "instId": inst_id,
        "instFamily": family,
        "instType": "SWAP",
        "uly": family,
        "details": list(details),
    }
    return {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [item]}


GATE_SHORT = {
    "contract": "BTC_USDT",
    "left": 0,
    "size": -165,
    "fill_price": "28070",
    "order_price": "28225",
    "time": 1696736132,
}
GATE_LONG = {
    "contract": "BTC_USDT",
    "left": 0,
    "size": 200,
    "fill_price": "27950",
    "order_price": "27800",
    "time": 1696736190,
}

HTX_SHORT = {
    "id": "150153038758",
    "contract_code": "BTC-USDT",
    "liquidation_time": "1781849094165",
    "side": "buy",
    "position_side": "short",
    "volume": "2",
    "amount": "2",
    "bankrupt_price": "62978.5",
    "trade_turnover": "125.957",
}
HTX_LONG = {
    "id": "150153038901",
    "contract_code": "BTC-USDT",
    "liquidation_time": "1781849095000",
    "side": "sell",
    "position_side": "long",
    "volume": "30",
    "amount": "30",
    "bankrupt_price": "63000",
    "trade_turnover": "1890",
}


# -- sides, notionals, prices, times, symbols per venue -----------------------------------------------------


def test_binance_sell_order_is_a_long_liquidated() -> None:
    ex = binance()
    (liq,) = streamed(ex, BINANCE_LONG)
    assert liq["side"] == "sell" and liq["contractSize"] is None and liq["quoteValue"] is None  # ccxt quirks
    e = only(normalize("binanceusdm", liq, ex.market(BTC)))
    assert (e.side, e.venue, e.symbol, e.ts_ms) == ("long", "Binance", BTC, 1568014460893)
    assert e.price == 9910.0
    assert e.notional_usd == pytest.approx(0.014 * 1 * 9910)  # 138.74


def test_binance_buy_order_is_a_short_liquidated() -> None:
    ex = binance()
    (liq,) = streamed(ex, BINANCE_SHORT)
    e = only(normalize("binanceusdm", liq, ex.market(BTC)))
    assert (e.side, e.ts_ms, e.price) == ("short", 1698871323059, 34959.70)
    assert e.notional_usd == pytest.approx(50_237.0889)  # 1.437 BTC x 34,959.70


def test_binance_uses_the_accumulated_fill_not_the_last_fill() -> None:
    ex = binance()
    message = copy.deepcopy(BINANCE_LONG)
    message["o"].update(q="1.5", l="0.5", z="1.5", ap="10000")
    (liq,) = streamed(ex, message)
    assert liq["contracts"] == 0.5  # ccxt reads "l", the last fill only
    assert only(normalize("binanceusdm", liq, ex.market(BTC))).notional_usd == pytest.approx(15_000.0)


def test_binance_order_that_filled_nothing_gives_no_event() -> None:
    ex = binance()
    message = copy.deepcopy(BINANCE_LONG)
    message["o"].update(X="EXPIRED", l="0", z="0", ap="0")
    (liq,) = streamed(ex, message)
    assert normalize("binanceusdm", liq, ex.market(BTC)) == []


def test_bybit_buy_is_a_long_liquidated() -> None:
    ex = bybit()
    (liq,) = streamed(ex, bybit_message(BYBIT_LONG))
    assert liq["side"] == "buy"  # ccxt copies the venue's position side
    e = only(normalize("bybit", liq, ex.market(BTC)))
    assert (e.side, e.venue, e.symbol, e.ts_ms, e.price) == ("long", "Bybit", BTC, 1739502302929, 75190.5)
    assert e.notional_usd == pytest.approx(37_595.25)  # 0.5 BTC x 75,190.5


def test_bybit_sell_is_a_short_liquidated() -> None:
    ex = bybit()
    (liq,) = streamed(ex, bybit_message(BYBIT_SHORT))
    e = only(normalize("bybit", liq, ex.market(BTC)))
    assert (e.side, e.ts_ms, e.price) == ("short", 1739502302931, 75000.0)
    assert e.notional_usd == pytest.approx(90_000.0)  # 1.2 BTC x 75,000


def test_okx_every_detail_is_an_event_with_its_own_side() -> None:
    ex = okx()
    (liq,) = streamed(ex, okx_message(OKX_LONG, OKX_SHORT))
    assert liq["contracts"] == 13 and liq["price"] == 75180.1  # ccxt reads details[0] only
    long_, short = normalize("okx", liq, ex.market(BTC))
    assert (long_.side, long_.venue, long_.symbol, long_.ts_ms, long_.price) == (
        "long",
        "OKX",
        BTC,
        1692266434010,
        75180.1,
    )
    assert long_.notional_usd == pytest.approx(9_773.413)  # 13 contracts x 0.01 BTC x 75,180.1
    assert (short.side, short.ts_ms, short.price) == ("short", 1692266434020, 75200.5)
    assert short.notional_usd == pytest.approx(3_760.025)  # 5 x 0.01 x 75,200.5


def test_okx_short_alone_and_one_way_mode_uses_the_order_side() -> None:
    ex = okx()
    (liq,) = streamed(ex, okx_message(OKX_SHORT))
    assert only(normalize("okx", liq, ex.market(BTC))).side == "short"
    net_sell = {**OKX_LONG, "posSide": "net"}  # one-way mode: the sell order closed a long
    (liq,) = streamed(ex, okx_message(net_sell))
    assert only(normalize("okx", liq, ex.market(BTC))).side == "long"


def test_okx_inverse_contract_is_worth_fixed_usd() -> None:
    ex = okx()
    detail = {**OKX_LONG, "sz": "20", "bkPx": "75000"}
    (liq,) = streamed(ex, okx_message(detail, inst_id="BTC-USD-SWAP"), BTC_INVERSE)
    e = only(normalize("okx", liq, ex.market(BTC_INVERSE)))
    assert (e.side, e.symbol) == ("long", BTC_INVERSE)
    assert e.notional_usd == pytest.approx(2_000.0)  # 20 contracts x 100 USD


def test_gate_negative_size_is_a_short_liquidated() -> None:
    (liq,), market = gate_fetch([GATE_SHORT])
    assert market["contractSize"] == 0.0001
    assert liq["side"] == "sell"
    e = only(normalize("gate", liq, market))
    assert (e.side, e.venue, e.symbol, e.ts_ms, e.price) == ("short", "Gate", BTC, 1696736132000, 28070.0)
    assert e.notional_usd == pytest.approx(463.155)  # 165 contracts x 0.0001 BTC x 28,070


def test_gate_positive_size_is_a_long_liquidated() -> None:
    (liq,), market = gate_fetch([GATE_LONG])
    e = only(normalize("gate", liq, market))
    assert (e.side, e.ts_ms, e.price) == ("long", 1696736190000, 27950.0)
    assert e.notional_usd == pytest.approx(559.0)  # 200 x 0.0001 x 27,950


# Gate's current liq_orders schema: `size` is the user's position, `order_size` what the liquidation closed.
GATE_PARTIAL = {
    "time": 1696736200,
    "contract": "BTC_USDT",
    "size": -5000,
    "order_size": 2000,
    "order_price": "3490",
    "fill_price": "3480",
    "left": 0,
}


def test_gate_partial_liquidation_counts_the_order_not_the_position() -> None:
    (liq,), market = gate_fetch([GATE_PARTIAL])
    e = only(normalize("gate", liq, market))
    assert (e.side, e.price) == ("short", 3480.0)  # the side still comes from the position's sign
    assert e.notional_usd == pytest.approx(696.0)  # 2,000 (not 5,000) x 0.0001 x 3,480


def test_gate_maker_part_of_the_liquidation_order_is_still_liquidated() -> None:
    partly_maker = {**GATE_PARTIAL, "left": 500}
    all_maker = {**GATE_PARTIAL, "left": 2000, "fill_price": "0"}
    (a, b), market = gate_fetch([partly_maker, all_maker])
    assert only(normalize("gate", a, market)).notional_usd == pytest.approx(696.0)  # left is not subtracted
    e = only(normalize("gate", b, market))
    assert e.price == 3490.0 and e.notional_usd == pytest.approx(698.0)  # nothing taken: the order price
    (c,), market = gate_fetch([{**GATE_PARTIAL, "order_size": 0}])
    assert normalize("gate", c, market) == []  # the order closed nothing


def test_gate_without_a_taker_fill_prices_at_the_order_price() -> None:
    (liq,), market = gate_fetch([{**GATE_LONG, "fill_price": "0"}])
    e = only(normalize("gate", liq, market))
    assert e.price == 27800.0 and e.notional_usd == pytest.approx(556.0)


def test_htx_position_side_short_is_a_short_liquidated() -> None:
    (liq,), market = htx_fetch([HTX_SHORT])
    assert market["contractSize"] == 0.001
    e = only(normalize("htx", liq, market))
    assert (e.side, e.venue, e.symbol, e.ts_ms, e.price) == ("short", "HTX", BTC, 1781849094165, 62978.5)
    assert e.notional_usd == pytest.approx(125.957)  # 2 contracts x 0.001 BTC x 62,978.5
    assert e.notional_usd == pytest.approx(float(HTX_SHORT["trade_turnover"]))  # the venue agrees


def test_htx_position_side_long_is_a_long_liquidated() -> None:
    (liq,), market = htx_fetch([HTX_LONG])
    e = only(normalize("htx", liq, market))
    assert (e.side, e.ts_ms, e.price) == ("long", 1781849095000, 63000.0)
    assert e.notional_usd == pytest.approx(1_890.0)  # 30 x 0.001 x 63,000


def test_htx_notional_is_the_venues_exact_turnover() -> None:
    # 2 x 0.001 x 62,978.5 is 125.95700000000001 in floats; the venue's own figure is the exact one.
    (liq,), market = htx_fetch([HTX_SHORT])
    assert only(normalize("htx", liq, market)).notional_usd == 125.957
    (liq,), market = htx_fetch([{**HTX_SHORT, "trade_turnover": "125.96"}])
    assert only(normalize("htx", liq, market)).notional_usd == 125.96
    (liq,), market = htx_fetch([{k: v for k, v in HTX_SHORT.items() if k != "trade_turnover"}])
    assert only(normalize("htx", liq, market)).notional_usd == pytest.approx(125.957)  # computed


def test_htx_v3_row_uses_direction_and_query_id() -> None:
    (_, market) = htx_fetch([])
    row = {
        "query_id": 452057,
        "contract_code": "BTC-USDT",
        "symbol": "USDT",
        "direction": "sell",
        "offset": "close",
        "volume": 479.0,
        "price": 51441.7,
        "created_at": 1638593647864,
        "amount": 0.479,
        "trade_turnover": 24640.5743,
        "business_type": "swap",
        "pair": "BTC-USDT",
    }
    liq = ccxt_async.htx().parse_liquidation(row, market)
    e = only(normalize("htx", liq, market))
    assert (e.side, e.ts_ms, e.price) == ("long", 1638593647864, 51441.7)
    assert e.notional_usd == pytest.approx(24_640.5743)  # 479 x 0.001 x 51,441.7
    # The print identity the stream gives the same print (its rows carry no id): content and occurrence.
    assert event_key("htx", e) == ("HTX", BTC, 1638593647864, "long", 479.0, 51441.7, 0)
    assert isinstance(e, VenueLiquidationEvent)
    assert e.twin_key == ('["452057"]',)  # the id still tells twins of one poll apart


def test_normalized_events_compare_equal_to_plain_events() -> None:
    ex = bybit()
    (liq,) = streamed(ex, bybit_message(BYBIT_LONG))
    e = only(normalize("bybit", liq, ex.market(BTC)))
    assert isinstance(e, VenueLiquidationEvent)
    plain = LiquidationEvent(e.ts_ms, "Bybit", BTC, "long", e.notional_usd, 75190.5)
    assert e == plain and plain == e and hash(e) == hash(plain)


# -- identity and de-duplication ----------------------------------------------------------------------------


def test_same_message_twice_is_dropped() -> None:
    ex = binance()
    dedup = Deduper()
    events = norm("binanceusdm", streamed(ex, BINANCE_LONG), ex.market(BTC))
    again = norm("binanceusdm", streamed(ex, BINANCE_LONG), ex.market(BTC))
    assert dedup.fresh(events) == events
    assert dedup.fresh(again) == []


def test_repeats_out_of_order_are_dropped_and_new_ones_kept() -> None:
    ex = bybit()
    items = [BYBIT_LONG, BYBIT_SHORT, {**BYBIT_LONG, "T": 1739502303500}, {**BYBIT_SHORT, "T": 1739502303600}]
    a, b, c, d = (only(norm("bybit", streamed(ex, bybit_message(i)), ex.market(BTC))) for i in items)
    dedup = Deduper()
    assert dedup.fresh([a, b, c]) == [a, b, c]
    assert dedup.fresh([c, a]) == []
    assert dedup.fresh([d, b, d]) == [d]


def test_okx_repeat_with_one_new_detail_keeps_only_the_new_one() -> None:
    ex = okx()
    market = ex.market(BTC)
    dedup = Deduper()
    first = norm("okx", streamed(ex, okx_message(OKX_LONG, OKX_SHORT)), market)
    assert len(dedup.fresh("okx", first)) == 2
    newer = {**OKX_SHORT, "ts": "1692266435000"}
    second = norm("okx", streamed(ex, okx_message(OKX_SHORT, newer)), market)
    assert [e.ts_ms for e in dedup.fresh("okx", second)] == [1692266435000]


def test_htx_ids_keep_identical_liquidations_apart() -> None:
    twin = {**HTX_SHORT, "id": "150153038759"}  # same ms, side, size and price: a different liquidation
    liqs, market = htx_fetch([HTX_SHORT, twin, HTX_SHORT])
    events = norm("htx", liqs, market)
    assert len(events) == 3
    dedup = Deduper()
    assert [event_key("htx", e)[-1] for e in dedup.fresh("htx", events)] == [0, 1]  # twins numbered
    assert dedup.fresh("htx", events) == []  # the overlapping next poll


def test_without_venue_ids_identical_content_collapses() -> None:
    # Documented limitation: Bybit sends no id, so two liquidations identical in every field are one.
    ex = bybit()
    liqs = streamed(ex, bybit_message(BYBIT_LONG, dict(BYBIT_LONG)))
    events = norm("bybit", liqs, ex.market(BTC))
    assert len(events) == 2 and len(Deduper().fresh(events)) == 1
    bigger = {**BYBIT_LONG, "v": "0.6"}  # same ms and price, different size: kept apart
    liqs = streamed(ex, bybit_message(BYBIT_LONG, bigger))
    assert len(Deduper().fresh(norm("bybit", liqs, ex.market(BTC)))) == 2


def test_gate_same_second_differs_by_position_size() -> None:
    # Two users liquidated in the same second for the same order at the same prices: two liquidations.
    other = {**GATE_PARTIAL, "size": -2000}
    liqs, market = gate_fetch([GATE_PARTIAL, other, GATE_PARTIAL])
    assert len(Deduper().fresh("gate", norm("gate", liqs, market))) == 2


def test_gate_same_second_differs_by_order_price() -> None:
    other = {**GATE_SHORT, "order_price": "28230"}
    liqs, market = gate_fetch([GATE_SHORT, other, GATE_SHORT])
    events = norm("gate", liqs, market)
    assert len(Deduper().fresh("gate", events)) == 2


def test_event_key_of_raw_structure_matches_its_event() -> None:
    ex = binance()
    (liq,) = streamed(ex, BINANCE_LONG)
    (again,) = streamed(ex, BINANCE_LONG)
    e = only(normalize("binanceusdm", liq, ex.market(BTC)))
    assert event_key("binanceusdm", liq) == event_key("binanceusdm", again) == event_key("binanceusdm", e)
    assert event_key("binanceusdm", e)[0] == "Binance"
    ex = okx()
    (liq,) = streamed(ex, okx_message(OKX_LONG, OKX_SHORT))
    keys = [event_key("okx", e) for e in normalize("okx", liq, ex.market(BTC))]
    assert event_key("okx", liq) == ("OKX", "message", tuple(keys))


def test_plain_events_are_keyed_by_content() -> None:
    a = LiquidationEvent(1_700_000_000_000, "SimEx Alpha", "BTC", "long", 1000.0, 50_000.0)
    b = LiquidationEvent(1_700_000_000_000, "SimEx Alpha", "BTC", "short", 1000.0, 50_000.0)
    dedup = Deduper()
    assert dedup.fresh([a, b, a]) == [a, b]
    assert dedup.fresh("SimEx Alpha", [a]) == []


def test_deduper_memory_is_bounded_by_count_and_time() -> None:
    def ev(ts: int, price: float = 1.0) -> LiquidationEvent:
        return LiquidationEvent(ts, "V", "S", "long", 1.0, price)

    t0 = 1_700_000_000_000
    dedup = Deduper(horizon_ms=60_000, max_keys=3)
    assert len(dedup.fresh([ev(t0, p) for p in (1, 2, 3, 4)])) == 4
    assert len(dedup) == 3
    assert dedup.fresh([ev(t0, 1)]) == [ev(t0, 1)]  # forgotten (count): passes again
    dedup = Deduper(horizon_ms=60_000, max_keys=100)
    dedup.fresh([ev(t0), ev(t0 + 30_000)])
    dedup.fresh([ev(t0 + 90_000)])  # t0 is now more than a minute older than the newest
    assert len(dedup) == 2
    assert dedup.fresh([ev(t0 + 30_000)]) == []
    with pytest.raises(ValueError):
        Deduper(horizon_ms=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 7), max_size=40), st.lists(st.integers(1, 6), min_size=1, max_size=10))
def test_dedup_keeps_each_event_once_in_first_arrival_order(picks: list[int], cuts: list[int]) -> None:
    pool = [
        LiquidationEvent(1_700_000_000_000 + i % 3, "V", "S", "long" if i % 2 else "short", float(i), 1.0)
        for i in range(8)
    ]
    stream = [pool[i] for i in picks]
    batches, start, k = [], 0, 0
    while start < len(stream):
        batches.append(stream[start : start + cuts[k % len(cuts)]])
        start += cuts[k % len(cuts)]
        k += 1
    dedup = Deduper()
    kept = [e for batch in batches for e in dedup.fresh(batch)]
    assert kept == list(dict.fromkeys(stream))


# -- malformed messages -------------------------------------------------------------------------------------


def raises(venue: str, field: str, call: Callable[[], object]) -> MalformedLiquidation:
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, MalformedLiquidation)
    assert venue in str(info.value) and field in str(info.value), str(info.value)
    assert info.value.field.startswith(field.split(" ")[0])
    return info.value


def test_binance_missing_side() -> None:
    ex = binance()
    message = copy.deepcopy(BINANCE_LONG)
    del message["o"]["S"]
    (liq,) = streamed(ex, message)
    raises("Binance", "info.S", lambda: normalize("binanceusdm", liq, ex.market(BTC)))


def test_bybit_unknown_side_and_non_numeric_size() -> None:
    ex = bybit()
    (liq,) = streamed(ex, bybit_message({**BYBIT_LONG, "S": "None"}))
    raises("Bybit", "info.S", lambda: normalize("bybit", liq, ex.market(BTC)))
    (liq,) = streamed(ex, bybit_message({**BYBIT_LONG, "v": "lots"}))
    raises("Bybit", "info.v", lambda: normalize("bybit", liq, ex.market(BTC)))
    (liq,) = streamed(ex, bybit_message({**BYBIT_LONG, "p": "NaN"}))
    raises("Bybit", "info.p", lambda: normalize("bybit", liq, ex.market(BTC)))


def test_okx_bad_second_detail_and_contradicting_sides() -> None:
    ex = okx()
    (liq,) = streamed(ex, okx_message(OKX_LONG, {**OKX_SHORT, "sz": "abc"}))
    raises("OKX", "info.details[1].sz", lambda: normalize("okx", liq, ex.market(BTC)))
    (liq,) = streamed(ex, okx_message({**OKX_LONG, "side": "buy"}))
    raises("OKX", "info.details[0].posSide", lambda: normalize("okx", liq, ex.market(BTC)))
    (liq,) = streamed(ex, okx_message({**OKX_LONG, "posSide": "net", "side": ""}))
    raises("OKX", "info.details[0].side", lambda: normalize("okx", liq, ex.market(BTC)))
    (liq,) = streamed(ex, okx_message())
    raises("OKX", "info.details", lambda: normalize("okx", liq, ex.market(BTC)))


def test_gate_missing_or_zero_size() -> None:
    row = {k: v for k, v in GATE_LONG.items() if k != "size"}
    (liq,), market = gate_fetch([row])
    raises("Gate", "info.size", lambda: normalize("gate", liq, market))
    (liq,), market = gate_fetch([{**GATE_LONG, "size": 0}])
    raises("Gate", "info.size", lambda: normalize("gate", liq, market))


def test_htx_missing_side() -> None:
    row = {k: v for k, v in HTX_LONG.items() if k not in ("side", "position_side")}
    (liq,), market = htx_fetch([row])
    raises("HTX", "info.direction", lambda: normalize("htx", liq, market))
    (liq,), market = htx_fetch([{**HTX_LONG, "volume": "two"}])
    raises("HTX", "info.volume", lambda: normalize("htx", liq, market))


def test_market_without_contract_size_or_for_another_symbol() -> None:
    ex = okx()
    (liq,) = streamed(ex, okx_message(OKX_LONG))
    market = {**ex.market(BTC), "contractSize": None}
    raises("OKX", "market.contractSize", lambda: normalize("okx", liq, market))
    raises("OKX", "symbol", lambda: normalize("okx", liq, ex.market(BTC_INVERSE)))


def test_unknown_venue_and_missing_info() -> None:
    ex = bybit()
    (liq,) = streamed(ex, bybit_message(BYBIT_LONG))
    raises("kraken", "venue", lambda: normalize("kraken", liq, ex.market(BTC)))
    raises("Bybit", "info", lambda: normalize("bybit", {**liq, "info": None}, ex.market(BTC)))
    raises(
        "Bybit",
        "info.T",
        lambda: normalize("bybit", {**liq, "info": {**BYBIT_LONG, "T": 1739502302}}, ex.market(BTC)),
    )  # seconds, not milliseconds


def test_a_venue_events_string_identity_is_always_its_tuple() -> None:
    (liq,), market = htx_fetch([HTX_SHORT])
    e = only(normalize("htx", liq, market))
    assert e.key == e.event_id == json.dumps(event_key("htx", e)) and isinstance(e, VenueLiquidationEvent)
    made = VenueLiquidationEvent(1, "HTX", BTC, "long", 1.0, 1.0, event_id="other", identity=("HTX", "x"))
    assert made.key == '["HTX", "x"]'
