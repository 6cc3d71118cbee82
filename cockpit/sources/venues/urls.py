"""Build ccxt exchange instances for the perpetual-swap venues and point them at other hosts.

`make_exchange` creates a `ccxt.pro` (streaming) or `ccxt.async_support` instance configured for
USDT-margined perpetual swaps, with market loading limited to the USDT linear swaps where ccxt allows it
(fewer requests at start-up). `rewrite_urls` points every REST and websocket base URL of an instance at
another host while keeping the original path: used for local fake venues in tests, testnets and relays.

Venue notes (ccxt 4.5.90, see VENUES.md): binanceusdm turns a linear websocket URL ending in ``/ws`` into
``.../market/ws/<n>``; bybit streams from ``urls["api"]["ws"]["public"]["linear"]``; okx appends ``/public``
(``/business`` for candles) to ``urls["api"]["ws"]``. Keeping the original path keeps those rewrites working.
ccxt is imported lazily: the demo path never loads it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from cockpit.sources.venues import throttle
from cockpit.sources.venues.ccxt_lean import install as install_lean_ccxt
from cockpit.venues import VENUE_IDS

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://[^/?#]*(?P<rest>.*)$", re.DOTALL)

# Per-venue options that keep load_markets to the USDT-margined perpetual swaps (and skip calls that a
# swap-only cockpit never needs). Values are deep-merged into ccxt's defaults, so every flag is explicit.
_VENUE_CONFIG: dict[str, dict[str, Any]] = {
    "binanceusdm": {
        # One call: GET /fapi/v1/exchangeInfo. fetch_currencies is a private (keyed) call anyway.
        "options": {"fetchMarkets": {"types": ["linear"]}, "fetchCurrencies": False},
    },
    "bybit": {
        # GET /v5/market/instruments-info?category=linear (+ status=PreLaunch): no spot, inverse, options.
        "options": {"fetchMarkets": {"types": ["linear"]}},
    },
    "okx": {
        # GET /api/v5/public/instruments?instType=SWAP only (no spot, futures, options).
        "options": {"fetchMarkets": {"types": ["swap"]}},
    },
    "gate": {
        # GET /api/v4/futures/usdt/contracts only; the public spot currency list is skipped (currencies are
        # then derived from the markets: no deposit/withdrawal network details, which the cockpit never uses).
        "options": {
            "fetchMarkets": {"types": ["swap"]},
            "swap": {"fetchMarkets": {"settlementCurrencies": ["usdt"]}},
        },
        "has": {"fetchCurrencies": False},
    },
    "htx": {
        # GET /linear-swap-api/v1/swap_contract_info only; spot symbols and inverse contracts are skipped,
        # and so is the public spot currency list.
        "options": {"fetchMarkets": {"types": {"spot": False, "linear": True, "inverse": False}}},
        "has": {"fetchCurrencies": False},
    },
}


def _rebase(url: str, base: str) -> str:
    """`base` followed by the path (and query) of `url`."""
    m = _URL.match(url)
    rest = m.group("rest") if m else ""
    return base.rstrip("/") + rest


def _rewrite(node: Any, rest_url: str | None, ws_url: str | None) -> Any:
    if isinstance(node, dict):
        return {key: _rewrite(value, rest_url, ws_url) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(value, rest_url, ws_url) for value in node]
    if isinstance(node, str):
        m = _URL.match(node)
        if m is None:
            return node
        scheme = m.group("scheme").lower()
        if scheme in ("http", "https") and rest_url is not None:
            return _rebase(node, rest_url)
        if scheme in ("ws", "wss") and ws_url is not None:
            return _rebase(node, ws_url)
    return node


def rewrite_urls(exchange: Any, rest_url: str | None, ws_url: str | None) -> None:
    """Point every http(s) URL in ``exchange.urls["api"]`` at `rest_url` and every ws(s) URL at `ws_url`.

    The original path is kept: ``https://fapi.binance.com/fapi/v1`` with
    ``rest_url="http://127.0.0.1:8080"`` becomes ``http://127.0.0.1:8080/fapi/v1``. Host templates such as
    ``https://api.{hostname}`` lose their host part, so ccxt's hostname options no longer matter. ``None``
    leaves that kind of URL unchanged. Nested dicts and lists are walked; non-URL strings are kept.
    Only ``urls["api"]`` is touched: a later ``set_sandbox_mode(True)`` would bring the venue's testnet URLs
    back.
    """
    if rest_url is None and ws_url is None:
        return
    urls = getattr(exchange, "urls", None)
    if not isinstance(urls, dict) or "api" not in urls:
        raise ValueError(f"{getattr(exchange, 'id', exchange)!r} has no urls['api'] to rewrite")
    urls["api"] = _rewrite(urls["api"], rest_url, ws_url)


def exchange_config(venue_id: str) -> dict[str, Any]:
    """The constructor config `make_exchange` uses for `venue_id` (a fresh copy)."""
    if venue_id not in _VENUE_CONFIG:
        raise ValueError(f"unknown venue {venue_id!r}; expected one of {', '.join(VENUE_IDS)}")
    venue = _VENUE_CONFIG[venue_id]
    options: dict[str, Any] = {"defaultType": "swap", "defaultSubType": "linear"}
    options.update(copy.deepcopy(venue.get("options", {})))
    config: dict[str, Any] = {"enableRateLimit": True, "options": options}
    if "has" in venue:
        config["has"] = copy.deepcopy(venue["has"])
    return config


def make_exchange(
    venue_id: str,
    rest_url: str | None = None,
    ws_url: str | None = None,
    *,
    streaming: bool,
) -> Any:
    """A ccxt instance for `venue_id`'s USDT-margined perpetual swaps, optionally pointed at other hosts.

    `streaming` selects ``ccxt.pro`` (watch_* methods, websockets) over ``ccxt.async_support``. Rate limiting
    is on; share one instance per venue and always ``await exchange.close()``.
    """
    config = exchange_config(venue_id)
    install_lean_ccxt()  # lazily, and only the exchanges used: see ccxt_lean
    if streaming:
        import ccxt.pro as ccxt_module
    else:
        import ccxt.async_support as ccxt_module
    exchange = getattr(ccxt_module, venue_id)(config)
    throttle.install(exchange)
    rewrite_urls(exchange, rest_url, ws_url)
    return exchange
