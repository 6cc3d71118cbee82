"""A perpetual's funding interval (hours between settlements): what a funding rate is "per".

What ccxt 4.5.90's ``fetch_funding_rate`` gives per venue:
- okx, htx: ``interval`` from the gap between the current and next funding times ("8h"; a millisecond count
  as a string when it is not one of ccxt's named intervals).
- gate: ``interval`` from the contract's ``funding_interval`` (seconds), the same way.
- bybit: ``interval`` from instruments-info ``fundingInterval`` (minutes) truncated to whole hours ("0h" for
  a 30-minute market), so the minutes are read from the market instead.
- binanceusdm: nothing (premiumIndex has no interval). ``fetch_funding_intervals`` reads
  ``/fapi/v1/fundingInfo``, which lists only the symbols whose interval or caps Binance adjusted (its docs);
  a symbol not listed settles every 8 h.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

# A venue whose interval is only published when it differs from its default.
DEFAULT_INTERVAL_H = {"binanceusdm": 8.0}


Rest = Callable[[Awaitable[Any]], Awaitable[Any]]  # a REST call checked for a non-JSON answer


async def funding_interval_h(
    exchange: Any, venue_id: str, symbol: str, funding: Mapping[str, Any], rest: Rest
) -> float | None:
    """What the rate is per: from the funding answer or the market, else (Binance) from the list of symbols
    whose interval was adjusted (weight 0, so asking on every derivatives poll costs nothing)."""
    hours = interval_hours(venue_id, funding, exchange.market(symbol))
    if hours is None and exchange.has.get("fetchFundingIntervals") is True:
        listed = await rest(exchange.fetch_funding_intervals([symbol]))
        hours = listed_interval_hours(venue_id, listed or {}, symbol)
    return hours


def interval_hours(venue_id: str, funding: Mapping[str, Any], market: Mapping[str, Any]) -> float | None:
    """The interval from a ccxt funding-rate structure and the market, or None when neither says."""
    if venue_id == "bybit":
        minutes = _positive((market.get("info") or {}).get("fundingInterval"))
        if minutes is not None:
            return minutes / 60
    return parse_interval(funding.get("interval"))


def listed_interval_hours(venue_id: str, listed: Mapping[str, Any], symbol: str) -> float | None:
    """The interval from ``fetch_funding_intervals`` (keyed by symbol), or the venue's default when the
    symbol is not listed."""
    entry = listed.get(symbol) or {}
    return parse_interval(entry.get("interval")) or DEFAULT_INTERVAL_H.get(venue_id)


def parse_interval(value: object) -> float | None:
    """Hours from ccxt's ``interval``: "8h", or a millisecond count ("7200000") ccxt had no name for."""
    if not isinstance(value, str) or not value:
        return None
    if value.endswith("h"):
        return _positive(value[:-1])
    ms = _positive(value)
    return None if ms is None else ms / 3_600_000


def _positive(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None
