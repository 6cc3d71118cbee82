"""Liquidations of a venue's whole derivatives market, not only the configured symbols (issue 18).

What each venue offers (VENUES.md, checked against ccxt 4.5.90) decides how it is covered:

- binanceusdm: the all-market stream ``!forceOrder@arr`` (ccxt ``watch_liquidations_for_symbols([])``);
  a sample (one print per symbol per second), so its totals are lower bounds.
- okx: ``liquidation-orders`` for instType SWAP without an instrument (``watch_liquidations_for_symbols``
  with no symbols); a sample too.
- bybit: no all-market topic. ``allLiquidation.<symbol>`` for the ``top_n`` linear perpetuals with the
  largest 24 h turnover (its tickers), re-ranked every ``RERANK_S``; at most ``BYBIT_ARGS_PER_REQUEST``
  topics per subscribe request and ``BYBIT_TOPICS_PER_CONNECTION`` per connection, more connections when
  needed.
- gate: the REST history ``GET /futures/usdt/liq_orders`` without ``contract`` answers for every contract;
  ccxt's ``fetch_liquidations`` insists on a symbol, so the raw endpoint is called and each row parsed with
  its own contract's market.
- htx: its REST history is per contract: the ``top_n`` linear perpetuals by 24 h turnover are polled in
  turn, sharing the instance's rate limiter, while its all-market websocket is down (market_stream).
- gate and htx also read their all-market websockets (``[venues.X] stream``; market_stream says how the
  stream and the polls share the work).

Only USDT- and USDC-margined linear perpetuals count: coin-margined (inverse) swaps and dated futures are
left out (an OKX all-SWAP message about BTC-USD-SWAP is skipped). Every market's own contract size comes from
``load_markets`` (OKX ``ctVal``, Gate ``quanto_multiplier``, HTX ``contract_size`` differ by coin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

LINEAR_SETTLES = frozenset({"USDT", "USDC"})
ALL = "*"  # the poller's cursor key for Gate's all-contract query
RERANK_S = 3600.0  # how often the most active perpetuals are ranked again (and markets reloaded)
# Bybit's public stream: its docs and client libraries cap a subscribe request at 10 args; per connection
# 200 topics keeps each connection's share of a cascade (every symbol pushes every 500 ms) modest.
BYBIT_ARGS_PER_REQUEST = 10
BYBIT_TOPICS_PER_CONNECTION = 200
# Venues whose liquidations come from a feed of every market; the others rank their markets.
ALL_MARKET_VENUES = frozenset({"binanceusdm", "okx", "gate"})


def linear_perpetuals(markets: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """symbol -> market for every active USDT/USDC-margined linear perpetual (no inverse, no dated one)."""
    return {
        symbol: m
        for symbol, m in markets.items()
        if isinstance(m, Mapping)
        and m.get("swap") is True
        and m.get("linear") is True
        and m.get("settle") in LINEAR_SETTLES
        and m.get("active") is not False
    }


def coverage_note(
    venue_id: str, market_wide: bool, top_n: int, symbols: Sequence[str], *, stream: bool = False
) -> str:
    """What of its market a venue's liquidations cover, in words for the sources screen (``stream``: Gate's
    or HTX's all-market websocket is on, see market_stream)."""
    if not market_wide:
        return f"{len(symbols)} configured symbol{'s' if len(symbols) != 1 else ''}"
    if venue_id in ("binanceusdm", "okx"):
        return "all USDT/USDC perpetuals (all-market stream, sampled)"
    if venue_id == "gate":
        return (
            "all USDT perpetuals (polled; sampled stream for speed)"
            if stream
            else "all USDT perpetuals (polled)"
        )
    if venue_id == "htx" and stream:
        return f"all USDT perpetuals (all-market stream; top {top_n} polled while it is down)"
    how = "streamed" if venue_id == "bybit" else "polled"
    return f"top {top_n} USDT/USDC perpetuals by 24 h turnover ({how})"


def ranked_by_turnover(tickers: Mapping[str, Any], perpetuals: Iterable[str]) -> list[str]:
    """The perpetuals, largest 24 h turnover (``quoteVolume``) first; ties and unknowns by symbol."""

    def turnover(symbol: str) -> float:
        ticker = tickers.get(symbol)
        try:
            value = float(ticker.get("quoteVolume") or 0.0) if isinstance(ticker, Mapping) else 0.0
        except (TypeError, ValueError):
            return 0.0
        return value if value == value else 0.0  # NaN ranks last

    return sorted(perpetuals, key=lambda s: (-turnover(s), s))


def followed(ranked: Sequence[str], required: Sequence[str], top_n: int) -> tuple[str, ...]:
    """The ``top_n`` most active, plus the configured symbols that are not among them (made sure of)."""
    chosen = list(ranked[:top_n])
    return (*chosen, *(s for s in dict.fromkeys(required) if s not in chosen))


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in consecutive pieces of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def rank_by_turnover(exchange: Any, perpetuals: Iterable[str]) -> list[str]:
    """Every linear perpetual ranked by the venue's 24 h turnover (one tickers request)."""
    tickers = await exchange.fetch_tickers(None, {"type": "swap", "subType": "linear"})
    return ranked_by_turnover(tickers if isinstance(tickers, Mapping) else {}, perpetuals)


async def gate_all_contracts(
    exchange: Any, by_id: Mapping[str, Mapping[str, Any]], limit: int, params: Mapping[str, Any]
) -> list[Any]:
    """One page of Gate's liquidation history of every USDT contract, as ccxt liquidation structures.

    A row of a contract that is no linear perpetual we know (listed after the markets were loaded) is
    left out until the next reload."""
    rows = await exchange.publicFuturesGetSettleLiqOrders({"settle": "usdt", "limit": limit, **params})
    out = []
    for row in rows if isinstance(rows, list) else []:
        market = by_id.get(str(row.get("contract"))) if isinstance(row, Mapping) else None
        if market is not None:
            out.append(exchange.parse_liquidation(row, market))
    return out


async def bybit_watch(exchange: Any, url: str, symbols: Sequence[str]) -> Any:
    """Wait for the next ``allLiquidation`` message on one connection, subscribing what it lacks first.

    ccxt's ``watch_topics`` sends every topic it is given in one request; Bybit takes at most
    ``BYBIT_ARGS_PER_REQUEST`` args, so the missing ones are subscribed by separate calls of that many,
    each sent as soon as it is made (ccxt registers a subscription before its first await), and then one
    call that sends nothing waits for any of them."""
    client = exchange.client(url)
    markets = [exchange.market(s) for s in symbols]
    hashes = [f"liquidations::{m['symbol']}" for m in markets]
    topics = [f"allLiquidation.{m['id']}" for m in markets]
    for part in chunks(range(len(hashes)), BYBIT_ARGS_PER_REQUEST):
        if any(hashes[i] not in client.subscriptions for i in part):
            task = asyncio.ensure_future(
                exchange.watch_topics(url, [hashes[i] for i in part], [topics[i] for i in part], {})
            )
            # Its answer is the next message of its symbols (or the error that ends the connection), read
            # from the cache like every other; retrieving it keeps asyncio from reporting it unread.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
    await asyncio.sleep(0)  # let those calls send their requests before the waiting one is made
    return await exchange.watch_topics(url, hashes, topics, {})


def connection_url(base: str, k: int) -> str:
    """The URL of the ``k``-th Bybit connection: ccxt keeps one client per URL string, so a fragment (never
    sent on the wire) opens another connection to the same endpoint."""
    return base if k == 0 else f"{base}#{k}"
