"""Every fact about each venue the cockpit knows, in one table: its ccxt id, the name shown on screen, how
its liquidations arrive, and whether they are a sample. Details and sources: VENUES.md in the docs."""

from __future__ import annotations

VENUE_IDS: tuple[str, ...] = ("binanceusdm", "bybit", "okx", "gate", "htx")

# ccxt id -> the venue name shown on screen (and carried by the events); ccxt's other ids for the same
# exchange map to the same name.
VENUE_NAMES: dict[str, str] = {
    "binanceusdm": "Binance",
    "binancecoinm": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "gate": "Gate",
    "gateio": "Gate",
    "htx": "HTX",
    "huobi": "HTX",
}

# Liquidations by websocket (ccxt watch_liquidations); the others are polled (fetch_liquidations).
STREAMING_VENUES = frozenset({"binanceusdm", "bybit", "okx"})

# Venues whose liquidation feeds are samples, so totals including them are lower bounds.
SAMPLED_VENUES = frozenset({"binanceusdm", "okx"})

GEO_HINT = "geo-blocked (HTTP 451/403): this venue refuses this region; try another venue, a VPN, or --demo"
