"""The loopback fake venues, exercised through the real ccxt 4.5.90 code path (``make_exchange`` at them).

Only 127.0.0.1 is contacted: every ccxt URL is rewritten (asserted) and host name resolution is refused.

What ccxt 4.5.90 raises per fault. REST rows: measured below on fetch_ticker and fetch_ohlcv; a one-off run
gave the same classes for fetch_funding_rate, fetch_open_interest and load_markets. Abbreviations: Timeout =
RequestTimeout, DDoS = DDoSProtection, RateLimit = RateLimitExceeded, NotAvail = ExchangeNotAvailable.

| fault scripted in the fake      | binanceusdm | bybit     | okx       | gate         | htx       |
|---------------------------------|-------------|-----------|-----------|--------------|-----------|
| never answers                   | Timeout     | Timeout   | Timeout   | Timeout      | Timeout   |
| slow, under exchange.timeout    | ok          | ok        | ok        | ok           | ok        |
| 429 + the venue's JSON body     | DDoS        | RateLimit | RateLimit | RateLimit    | RateLimit |
| 429 + plain-text body           | DDoS        | RateLimit | NotAvail  | RateLimit    | RateLimit |
| 418                             | DDoS        | DDoS      | DDoS      | DDoS         | DDoS      |
| 500 / 502 / 503 (HTML body)     | NotAvail    | NotAvail  | NotAvail  | NotAvail     | NotAvail  |
| 504                             | Timeout     | Timeout   | Timeout   | Timeout      | Timeout   |
| 451 (binance: its JSON body)    | NotAvail    | NotAvail  | NotAvail  | NotAvail     | NotAvail  |
| 403                             | NotAvail    | RateLimit | NotAvail  | NotAvail     | NotAvail  |
| HTML page or bad JSON, 200      | no error    | no error  | no error  | NullResponse | no error  |

- Class tree: RateLimitExceeded and DDoSProtection are SIBLINGS under NetworkError (catch both);
  ExchangeNotAvailable and RequestTimeout are NetworkError too; NullResponse < BadResponse < OperationFailed.
- Retry-After never appears in the exception text; read ``exchange.last_response_headers["Retry-After"]``.
  ccxt does not wait for it on REST. On a websocket handshake it does: the next dial waits max(backoff, it).
- Non-JSON 200 bodies ("no error" above) parse into garbage, validate results: fetch_ticker gives all-None
  fields; fetch_ohlcv gives [] (bybit, okx, htx) or one all-None row per CHARACTER of the body (binance,
  gate); fetch_open_interest raises builtins.IndexError (bybit, okx) or gives None fields; bybit
  fetch_funding_rate raises NullResponse; load_markets returns {} (binance, bybit, okx) and CACHES it: later
  calls raise BadSymbol until ``load_markets(reload=True)``; gate's load_markets raises
  builtins.AttributeError, htx's OperationFailed.

Websocket faults (binanceusdm, bybit and okx behave the same):

| fault                                | the pending watch_* call, and after                                 |
|--------------------------------------|---------------------------------------------------------------------|
| server closes mid-stream (1011)      | NetworkError "...closing code 1011"; next watch reconnects + resubs |
| half a frame, then TCP drop          | NetworkError "...closing code 1006"; next watch reconnects + resubs |
| a whole frame with truncated JSON    | nothing raised: orjson.JSONDecodeError escapes into asyncio's       |
|                                      | exception handler and the receive loop stops; watches hang until    |
|                                      | the keepalive watchdog: RequestTimeout after ~2 x keepAlive (60 s)  |
| no pong to pings                     | RequestTimeout "...ping-pong keepalive missing on time"             |
| handshake 429 / 451 / 503            | NetworkError "451, message='Invalid response status'"               |
| handshake never answered             | RequestTimeout "Connection timeout" (connectionTimeout, whole s)    |
| duplicate / out-of-order messages    | passed through: exchange.liquidations keeps both, arrival order     |

A watch returns only the first event of a burst; the others are only in ``exchange.liquidations``.
REST liquidations (gate, htx): duplicates kept; ccxt sorts by timestamp. ccxt 4.5.90 sends gate's ``from`` in
milliseconds (Gate documents seconds), so ``fetch_liquidations(symbol, since)`` finds nothing on the fake;
pass ``params={"from": since // 1000}``. Units: gate OHLCV volume is in contracts; htx and okx
openInterestAmount are contracts (okx baseVolume is BTC).
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import ccxt
import pytest

from cockpit.sources.venues.market_wide import linear_perpetuals
from cockpit.sources.venues.urls import exchange_config, make_exchange, rewrite_urls
from cockpit.venues import VENUE_IDS as VENUES
from tests.fakes import binanceusdm, bybit, gate, htx, okx
from tests.fakes.base import Fault
from tests.fakes.cluster import (
    POLLED_VENUES,
    STREAMING_VENUES,
    SYMBOL,
    FakeVenues,
    foreign_urls,
    until_pending,
    watch_liquidations_after,
)
from tests.fakes.harness import (
    connected,
    is_text_ping,
    loopback_only,  # noqa: F401  (autouse fixture: refuses host name lookups)
    with_fakes,
)
from tests.fakes.perpetuals import perpetuals

MARKET_CALLS: dict[str, list[Any]] = {
    "binanceusdm": [("/fapi/v1/exchangeInfo", {})],
    "bybit": [
        ("/v5/market/instruments-info", {"category": "linear", "limit": "1000"}),
        ("/v5/market/instruments-info", {"category": "linear", "limit": "1000", "status": "PreLaunch"}),
    ],
    "okx": [("/api/v5/public/instruments", {"instType": "SWAP"})],
    "gate": [("/api/v4/futures/usdt/contracts", {})],
    "htx": [("/linear-swap-api/v1/swap_contract_info", {"business_type": "all"})],
}
LAST = {"binanceusdm": 73369.84, "bybit": 63958.6, "okx": 63921.0, "gate": 71478.2, "htx": 71478.2}
FUNDING = {
    "binanceusdm": 0.0001,
    "bybit": 0.0000544,
    "okx": 0.0000792386885340,
    "gate": 0.0001,
    "htx": 8.3024939363172e-05,
}
OPEN_INTEREST = {"binanceusdm": 80412.114, "bybit": 57798.137, "okx": 2125419.1, "htx": 32476092.0}
ONE_MINUTE_VOLUME = {"binanceusdm": 0.002, "bybit": 0.002, "okx": 0.002, "gate": 20.0, "htx": 0.002}

DDOS, RATE, DOWN, TIMEOUT = "DDoSProtection", "RateLimitExceeded", "ExchangeNotAvailable", "RequestTimeout"
REST_FAULTS: dict[str, tuple[Fault, dict[str, str]]] = {
    "429-json": (Fault.rate_limited(retry_after=3), {"binanceusdm": DDOS}),
    "429-text": (
        Fault.http(429, "Too Many Requests", content_type="text/plain"),
        {"binanceusdm": DDOS, "okx": DOWN},
    ),
    "418": (Fault.http(418), dict.fromkeys(VENUES, DDOS)),
    "500": (Fault.http(500), dict.fromkeys(VENUES, DOWN)),
    "502": (Fault.http(502), dict.fromkeys(VENUES, DOWN)),
    "503": (Fault.http(503), dict.fromkeys(VENUES, DOWN)),
    "504": (Fault.http(504), dict.fromkeys(VENUES, TIMEOUT)),
    "451": (Fault.http(451), dict.fromkeys(VENUES, DOWN)),
    "403": (Fault.http(403), {**dict.fromkeys(VENUES, DOWN), "bybit": RATE}),
    "never-answers": (Fault.timeout(), dict.fromkeys(VENUES, TIMEOUT)),
}


# ---------------------------------------------------------------- urls.py (no server)
@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("streaming", [True, False])
def test_make_exchange_rewrites_every_url(venue: str, streaming: bool) -> None:
    exchange = make_exchange(venue, "http://127.0.0.1:1", "ws://127.0.0.1:2", streaming=streaming)
    assert foreign_urls(exchange) == []
    assert exchange.enableRateLimit is True
    assert exchange.options["defaultType"] == "swap"
    assert type(exchange).__module__.startswith("ccxt.pro" if streaming else "ccxt.async_support")


def test_rewrite_urls_keeps_paths_and_follows_venue_layouts() -> None:
    rest, ws = "http://127.0.0.1:1", "ws://127.0.0.1:2"
    binance = make_exchange("binanceusdm", rest, ws, streaming=True)
    assert binance.urls["api"]["fapiPublic"] == rest + "/fapi/v1"
    assert binance.urls["api"]["ws"]["linear"] == ws + "/ws"  # ccxt turns it into /market/ws/<n>
    bybit_urls = make_exchange("bybit", rest, ws, streaming=True).urls["api"]
    assert bybit_urls["ws"]["public"]["linear"] == ws + "/v5/public/linear"
    okx_urls = make_exchange("okx", rest, ws, streaming=True).urls["api"]
    assert okx_urls["ws"] == ws + "/ws/v5"  # ccxt appends /public (candles: /business)
    htx_urls = make_exchange("htx", rest, None, streaming=False).urls["api"]
    assert htx_urls["contract"] == rest  # was https://{hostname}
    untouched = make_exchange("gate", None, None, streaming=False)
    assert untouched.urls["api"]["public"]["futures"].startswith("https://")
    partial = make_exchange("okx", rest, None, streaming=True)
    assert partial.urls["api"]["rest"] == rest and partial.urls["api"]["ws"].startswith("wss://")


def test_host_name_lookups_are_refused() -> None:
    with pytest.raises(AssertionError, match="must not resolve"):
        socket.getaddrinfo("localhost", 80)


def test_rewrite_urls_rejects_objects_without_api_urls_and_unknown_venues() -> None:
    class NoUrls:
        def __init__(self) -> None:
            self.urls: dict[str, Any] = {}

    with pytest.raises(ValueError):
        rewrite_urls(NoUrls(), "http://127.0.0.1:1", None)
    with pytest.raises(ValueError):
        exchange_config("binance")
    assert exchange_config("htx")["options"]["fetchMarkets"]["types"] == {
        "spot": False,
        "linear": True,
        "inverse": False,
    }


# ---------------------------------------------------------------- REST market data
@pytest.mark.parametrize("venue", VENUES)
def test_load_markets_only_the_usdt_perpetual(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        exchange = fakes.exchange(venue)
        try:
            markets = await exchange.load_markets()
            # Every fake lists the same USDT perpetuals (tests/data/markets/perpetuals.json, the
            # market-wide feeds); OKX also a coin-margined swap, which those feeds leave out.
            perps = linear_perpetuals(markets)
            assert SYMBOL in perps and sorted(perps) == sorted(f"{c}/USDT:USDT" for c in perpetuals())
            extra = {"BTC/USD:BTC"} if venue == "okx" else set()
            assert set(markets) - set(perps) == extra
            calls = sorted(((c.path, c.query) for c in fakes[venue].calls(kind="rest")), key=repr)
            assert calls == sorted(MARKET_CALLS[venue], key=repr)
        finally:
            await exchange.close()

    body()


# Contracts per coin: the recorded sizes (tests/data/markets/perpetuals.json); Binance USD-M and Bybit
# linear contracts are one base unit.
SIZE_FIELD = {"okx": "okx_ct_val", "gate": "gate_multiplier", "htx": "htx_size"}


@pytest.mark.parametrize("venue", VENUES)
def test_every_fake_lists_at_least_20_perpetuals_with_the_recorded_contract_sizes(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        exchange = fakes.exchange(venue)
        try:
            perps = linear_perpetuals(await exchange.load_markets())
            assert len(perps) >= 20 and len(perpetuals()) >= 20
            for coin, p in perpetuals().items():
                market = perps[f"{coin}/USDT:USDT"]
                assert market["linear"] and market["swap"] and market["base"] == coin, coin
                want = float(getattr(p, SIZE_FIELD[venue])) if venue in SIZE_FIELD else 1.0
                assert market["contractSize"] == want, (coin, market["contractSize"], want)
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", VENUES)
def test_market_data_through_ccxt(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        exchange = await connected(fakes, venue)
        try:
            minute = await exchange.fetch_ohlcv(SYMBOL, "1m", limit=3)
            assert [row[0] for row in minute] == [1712738460000, 1712738520000, 1712738580000]
            assert minute[0][4] == 71481.9 and minute[0][5] == pytest.approx(ONE_MINUTE_VOLUME[venue])
            hourly = await exchange.fetch_ohlcv(SYMBOL, "1h", since=1706630400000)
            assert hourly[0][:5] == [1706630400000, 43519.34, 43936.0, 43171.0, 43488.71] and len(hourly) == 3
            assert (await exchange.fetch_ticker(SYMBOL))["last"] == LAST[venue]
            funding = await exchange.fetch_funding_rate(SYMBOL)
            assert funding["fundingRate"] == pytest.approx(FUNDING[venue])
            assert funding["fundingTimestamp"] % 3_600_000 == 0  # the next settlement, on the hour
            if venue == "gate":
                with pytest.raises(ccxt.NotSupported):
                    await exchange.fetch_open_interest(SYMBOL)
            else:
                interest = await exchange.fetch_open_interest(SYMBOL)
                assert interest["openInterestAmount"] == OPEN_INTEREST[venue]
            assert {c.endpoint for c in fakes[venue].calls()} >= {"ohlcv", "ticker"}
        finally:
            await exchange.close()

    body()


# ---------------------------------------------------------------- liquidations
LONG_LIQUIDATED = {
    "binanceusdm": (binanceusdm.force_order("SELL", qty="0.014", price="9910"), "sell", 0.014, 9910.0),
    "bybit": (bybit.all_liquidation("Buy", size="0.5", price="75190.5"), "buy", 0.5, 75190.5),
    "okx": (okx.liquidation_order("sell", "long", contracts="13", price="75180.1"), "sell", 13.0, 75180.1),
}
SUBSCRIPTION: dict[str, dict[str, Any]] = {
    "binanceusdm": {"method": "SUBSCRIBE", "params": ["btcusdt@forceOrder"]},
    "bybit": {"op": "subscribe", "args": ["allLiquidation.BTCUSDT"]},
    "okx": {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]},
}


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_watch_liquidations_returns_the_scripted_events(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        raw, side, contracts, price = LONG_LIQUIDATED[venue]
        try:
            got = await watch_liquidations_after(exchange, lambda: fake.push_liquidations(raw))
            assert [(x["symbol"], x["side"], x["contracts"], x["price"]) for x in got] == [
                (SYMBOL, side, contracts, price)
            ]
            sent = fake.ws_received()[0]
            assert {k: sent[k] for k in SUBSCRIPTION[venue]} == SUBSCRIPTION[venue]
            burst = [raw, raw, raw]
            got = await watch_liquidations_after(exchange, lambda: fake.push_liquidations(*burst))
            assert len(got) == 1  # the rest of the burst is only in the cache
            await fake.wait_until(lambda: len(exchange.liquidations) == 4)
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", POLLED_VENUES)
def test_fetch_liquidations_since(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        now_s = int(time.time())
        if venue == "gate":
            rows = [gate.liq_order(600, ts_s=now_s - 5000), gate.liq_order(600, ts_s=now_s - 300)]
            await fake.push_liquidations(*rows, gate.liq_order(-200, ts_s=now_s - 100))
        else:
            rows = [
                htx.liquidation_order(ts=(now_s - 5000) * 1000),
                htx.liquidation_order(ts=(now_s - 300) * 1000),
            ]
            await fake.push_liquidations(
                *rows, htx.liquidation_order("buy", "short", ts=(now_s - 100) * 1000)
            )
        # A minute inside Gate's one-hour from..to limit: the request is made a second or more after now_s.
        since_ms = (now_s - 3540) * 1000
        try:
            got = await exchange.fetch_liquidations(SYMBOL, since_ms, 10)
            if venue == "gate":  # ccxt sends `since` in ms as gate's `from`, which is in seconds
                assert got == [] and fake.calls("liquidations")[0].query["from"] == str(since_ms)
                got = await exchange.fetch_liquidations(SYMBOL, since_ms, 10, {"from": since_ms // 1000})
            assert [x["side"] for x in got] == (["buy", "sell"] if venue == "gate" else ["sell", "buy"])
            assert [x["timestamp"] for x in got] == [(now_s - 300) * 1000, (now_s - 100) * 1000]
            fake.set_fault("liquidations", Fault.duplicate(times=1))
            doubled = await exchange.fetch_liquidations(SYMBOL, since_ms, 10, {"from": since_ms // 1000})
            assert len(doubled) == 4  # no de-duplication in ccxt
            fake.set_fault("liquidations", Fault.out_of_order(times=1))
            shuffled = await exchange.fetch_liquidations(SYMBOL, since_ms, 10, {"from": since_ms // 1000})
            assert [x["timestamp"] for x in shuffled] == [x["timestamp"] for x in got]  # ccxt sorts
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_watch_ticker(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        exchange = await connected(fakes, venue)
        try:
            ticker = await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1)
            expected = {"binanceusdm": 71481.9, "bybit": 63958.6, "okx": 63921.0}[venue]
            assert ticker["symbol"] == SYMBOL and ticker["last"] == expected
            assert len(fakes[venue].ws_received()) == 1
        finally:
            await exchange.close()

    body()


@with_fakes("fng")
async def test_fear_and_greed(fakes: FakeVenues) -> None:
    fng = fakes.fng
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fng.rest_url}/fng/?limit=2&format=json") as response:
            body = await response.json()
        assert [row["value"] for row in body["data"]] == ["9", "9"] and body["metadata"] == {"error": None}
        assert "time_until_update" in body["data"][0] and "time_until_update" not in body["data"][1]
        async with session.get(f"{fng.rest_url}/fng/?limit=0&format=json") as response:
            assert len((await response.json())["data"]) == 3
        fng.set_fault("fng", Fault.http(503, times=1))
        async with session.get(f"{fng.rest_url}/fng/?limit=1&format=json") as response:
            assert response.status == 503
    assert [c.query["limit"] for c in fng.calls("fng")] == ["2", "0", "1"]


# ---------------------------------------------------------------- REST faults
@pytest.mark.parametrize("fault_name", list(REST_FAULTS))
@pytest.mark.parametrize("venue", VENUES)
def test_rest_fault_classes(venue: str, fault_name: str) -> None:
    fault, overrides = REST_FAULTS[fault_name]
    expected = overrides.get(venue, RATE)

    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        exchange = await connected(fakes, venue, timeout_ms=300)
        try:
            for endpoint, call in (("ticker", exchange.fetch_ticker), ("ohlcv", exchange.fetch_ohlcv)):
                fakes[venue].set_fault(endpoint, dataclasses.replace(fault))
                with pytest.raises(ccxt.NetworkError) as raised:
                    await call(SYMBOL)
                assert type(raised.value).__name__ == expected
                if fault.headers:
                    assert exchange.last_response_headers["Retry-After"] == "3"
            fakes[venue].clear_faults()
            assert (await exchange.fetch_ticker(SYMBOL))["last"] == LAST[venue]
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("kind", [Fault.html, Fault.malformed_json])
@pytest.mark.parametrize("venue", VENUES)
def test_non_json_200_is_not_an_error(venue: str, kind: Any) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        try:
            fake.set_fault("ticker", kind())
            if venue == "gate":
                with pytest.raises(ccxt.NullResponse):
                    await exchange.fetch_ticker(SYMBOL)
            else:
                ticker = await exchange.fetch_ticker(SYMBOL)
                assert ticker["last"] is None and ticker["symbol"] == SYMBOL
            fake.set_fault("ohlcv", kind())
            rows = await exchange.fetch_ohlcv(SYMBOL, "1m", limit=3)
            assert all(value is None for row in rows for value in row[1:])
            assert (rows == []) == (venue in ("bybit", "okx", "htx"))
        finally:
            await exchange.close()

        fresh = fakes.exchange(venue)
        fake.set_fault("markets", kind())
        try:
            if venue in ("gate", "htx"):
                error = AttributeError if venue == "gate" else ccxt.OperationFailed
                with pytest.raises(error):
                    await fresh.load_markets()
                return
            assert await fresh.load_markets() == {}
            fake.clear_faults()
            assert await fresh.load_markets() == {}  # the empty result is cached
            with pytest.raises(ccxt.BadSymbol):
                await fresh.fetch_ticker(SYMBOL)
            assert SYMBOL in await fresh.load_markets(reload=True)
        finally:
            await fresh.close()

    body()


@pytest.mark.parametrize("venue", ["binanceusdm", "okx"])
def test_slow_answers_and_one_shot_faults(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue, timeout_ms=400)
        try:
            fake.set_fault("ticker", Fault.slow(0.15, times=1))
            started = time.monotonic()
            assert (await exchange.fetch_ticker(SYMBOL))["last"] == LAST[venue]
            assert time.monotonic() - started >= 0.15
            fake.set_fault("ticker", Fault.slow(0.6, times=1))
            with pytest.raises(ccxt.RequestTimeout):
                await exchange.fetch_ticker(SYMBOL)
            fake.set_fault("ohlcv", Fault.http(503, times=2))
            for _ in range(2):
                with pytest.raises(ccxt.ExchangeNotAvailable):
                    await exchange.fetch_ohlcv(SYMBOL, "1m", limit=3)
            assert len(await exchange.fetch_ohlcv(SYMBOL, "1m", limit=3)) == 3
        finally:
            await exchange.close()

    body()


# ---------------------------------------------------------------- websocket faults
@pytest.mark.parametrize("kind", [Fault.ws_close, Fault.ws_truncated_frame])
@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_drop_then_reconnect_and_resubscribe(venue: str, kind: Any) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        raw = LONG_LIQUIDATED[venue][0]
        try:
            await watch_liquidations_after(exchange, lambda: fake.push_liquidations(raw))
            fake.set_fault("liquidations", kind())
            with pytest.raises(ccxt.NetworkError, match=r"closing code 10(11|06)"):
                await watch_liquidations_after(exchange, lambda: fake.push_liquidations(raw))
            again = await asyncio.wait_for(exchange.watch_liquidations(SYMBOL), 1)  # the queued event
            assert again[0]["contracts"] == LONG_LIQUIDATED[venue][2]
            assert len(fake.calls("ws", "ws-open")) == 2 and len(fake.ws_received()) == 2  # resubscribed
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_truncated_json_stalls_until_the_keepalive_watchdog(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        exchange.streaming = {**exchange.streaming, "keepAlive": 150}
        raw = LONG_LIQUIDATED[venue][0]
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, _context: None)  # the JSONDecodeError ccxt leaves to asyncio
        try:
            fake.set_fault("liquidations", Fault.ws_truncated_json())
            with pytest.raises(ccxt.RequestTimeout, match="ping-pong keepalive"):
                await watch_liquidations_after(exchange, lambda: fake.push_liquidations(raw), timeout=1.5)
            got = await watch_liquidations_after(exchange, lambda: fake.push_liquidations(raw))
            assert got[0]["contracts"] == LONG_LIQUIDATED[venue][2] and len(fake.calls("ws", "ws-open")) == 2
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_raw_text_frames_go_out_whole_before_the_batch(venue: str) -> None:
    """``ws_raw_text`` sends its frames as text frames, then the batch. Plain ccxt 4.5.90 hands such a frame
    to the venue's handler as a string: binance's raises TypeError on ``}{garbage`` (which, raised in its
    reader, would stop it), bybit's and okx's drop it silently."""

    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        seen: list[tuple[object, str]] = []  # (frame, what the handler raised)
        try:
            await watch_liquidations_after(
                exchange, lambda: fake.push_liquidations(LONG_LIQUIDATED[venue][0])
            )
            for client in exchange.clients.values():

                def spy(data: object, _decode: Any = client.handle_text_or_binary_message) -> None:
                    try:
                        _decode(data)
                        seen.append((data, ""))
                    except Exception as exc:  # kept from the reader, so that it goes on
                        seen.append((data, type(exc).__name__))

                client.handle_text_or_binary_message = spy
            fake.set_fault("liquidations", Fault.ws_raw_text(("}{garbage", "<html>502</html>")))
            await fake.push_liquidations(LONG_LIQUIDATED[venue][0])
            await fake.wait_until(lambda: any(str(d).startswith("{") for d, _ in seen))
            frames = [(d, raised) for d, raised in seen if d != "pong"]  # okx's keepalive answer
            assert [d for d, _ in frames[:2]] == ["}{garbage", "<html>502</html>"]
            assert frames[0][1] == ("TypeError" if venue == "binanceusdm" else "")
            assert str(frames[2][0]).startswith("{")  # then the batch, whole
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_duplicates_and_out_of_order_pass_through(venue: str) -> None:
    make: Callable[[int], dict[str, Any]] = {
        "binanceusdm": lambda i: binanceusdm.force_order(qty=f"0.00{i}"),
        "bybit": lambda i: bybit.all_liquidation(size=f"0.{i}"),
        "okx": lambda i: okx.liquidation_order(contracts=str(i)),
    }[venue]

    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        try:
            await watch_liquidations_after(exchange, lambda: fake.push_liquidations(make(1)))
            fake.set_fault("liquidations", Fault.duplicate(times=1))
            await watch_liquidations_after(exchange, lambda: fake.push_liquidations(make(2)))
            fake.set_fault("liquidations", Fault.out_of_order(times=1))
            await watch_liquidations_after(
                exchange, lambda: fake.push_liquidations(make(3), make(4), make(5))
            )
            await fake.wait_until(lambda: len(exchange.liquidations) == 6)
            sizes = [x["contracts"] for x in exchange.liquidations]
            unit = sizes[0]
            assert [round(s / unit) for s in sizes] == [1, 2, 2, 5, 4, 3]
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_handshake_faults(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        try:
            fake.set_fault("ws", Fault.http(451, times=1))
            with pytest.raises(ccxt.NetworkError, match="451"):
                await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1)
            await asyncio.sleep(0.25)  # ccxt's first dial backoff is 0.2 s
            fake.set_fault("ws", Fault.rate_limited(retry_after=0.5, times=1))
            with pytest.raises(ccxt.NetworkError, match="429"):
                await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1)
            started = time.monotonic()
            assert (await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1.5))["symbol"] == SYMBOL
            assert time.monotonic() - started >= 0.4  # the dial waited for Retry-After
        finally:
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_handshake_never_answered(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        exchange.streaming = {**exchange.streaming, "connectionTimeout": 1000}  # whole seconds only
        fake.set_fault("ws", Fault.timeout())
        try:
            with pytest.raises(ccxt.RequestTimeout, match="Connection timeout"):
                await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1.5)
        finally:
            fake.clear_faults()
            await exchange.close()

    body()


@pytest.mark.parametrize("venue", STREAMING_VENUES)
def test_ws_pings_answered_then_missing_pongs_time_out(venue: str) -> None:
    @with_fakes(venue)
    async def body(fakes: FakeVenues) -> None:
        fake, exchange = fakes[venue], await connected(fakes, venue)
        exchange.streaming = {**exchange.streaming, "keepAlive": 100}
        try:
            await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 1)
            if venue == "binanceusdm":  # protocol-level ping frames, both ways
                await fake.wait_until(lambda: len(fake.calls(None, "ws-ping")) >= 3)
                await fake.ping_clients()
                await fake.wait_until(lambda: len(fake.calls(None, "ws-pong")) == 1)
            else:
                await fake.wait_until(lambda: sum(map(is_text_ping, fake.ws_received())) >= 3)
            fake.set_fault("ws", Fault.no_pong())
            task = asyncio.create_task(exchange.watch_ticker(SYMBOL))
            with pytest.raises(ccxt.RequestTimeout, match="ping-pong keepalive"):
                await asyncio.wait_for(task, 1)
        finally:
            await exchange.close()

    body()


@with_fakes("binanceusdm")
async def test_drop_connections_rejects_pending_watch(fakes: FakeVenues) -> None:
    fake, exchange = fakes.binanceusdm, await connected(fakes, "binanceusdm")
    try:
        await asyncio.wait_for(exchange.watch_ticker(SYMBOL), 10)  # a bound for a hang, not a timing
        task = asyncio.create_task(exchange.watch_liquidations(SYMBOL))
        await until_pending(exchange, f"liquidations::{SYMBOL}")
        await fake.drop_connections()
        with pytest.raises(ccxt.NetworkError, match="closing code 1011"):
            await asyncio.wait_for(task, 10)
    finally:
        await exchange.close()
