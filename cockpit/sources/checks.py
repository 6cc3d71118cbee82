"""What every event a source delivers must satisfy before it may count: one check at the boundary between
the sources and the engine, shared by every venue, the simulated market, the history loader and replays.

A venue (or a relay, or a crafted recording) can send anything: a quantity of 1e12, a price of -1 or 1e300,
a candle whose high is below its low, a timestamp in the year 3000 or beyond 2^63 ms. Any of those would
poison the windows for a day (a future stamp moves their retention clock; a huge print dwarfs every real
one), fire price alarms, or crash numpy. ``problem`` returns why an event must be dropped, or None.

Limits, and why:
- Prices: finite and in (0, 1e9] USD. The dearest perpetual trades around 1e5; 1e9 leaves room for any
  real instrument and still rejects the absurd.
- One liquidation: at most $1B notional, and never more than the open interest known for its instrument.
  The largest single liquidations on record are around $100M; a print ten times that is not a cascade but
  a broken feed, and no position can be larger than all open positions of the instrument on a major venue.
- Times: no more than ``FUTURE_SKEW_MS`` after the source's clock (venue clocks drift by seconds, not
  minutes) and, for live events, no older than ``MAX_AGE_MS`` (the longest window plus the history's
  reach; a backfill may bring a week of candles).
- Fear & Greed: an integer index in 0..100.
- Funding: a rate of at most 100% a period in size; open interest finite, >= 0 and below $1e13.
- A source's retry countdown: finite and at most a day (the longest backoff is five hours; NaN or 1e300
  from a crafted recording would break the status bar's countdown or the engine itself).
"""

from __future__ import annotations

import math

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import (
    Backfill,
    CandleClosed,
    Covered,
    DerivativesUpdate,
    FearGreedReading,
    MarketEvent,
    PriceTick,
    SentimentUpdate,
    SourceError,
)
from cockpit.text.excerpt import excerpt

MAX_PRICE_USD = 1e9
MAX_LIQUIDATION_USD = 1e9
MAX_OPEN_INTEREST_USD = 1e13
FUTURE_SKEW_MS = 5 * 60_000
MAX_AGE_MS = 8 * 86_400_000  # a week of backfilled minutes and the history's 7 days, with a day to spare
MAX_HISTORY_AGE_MS = 400 * 86_400_000  # Fear & Greed history and candle backfills reach further back
MAX_RETRY_S = 86_400.0


def problem(event: MarketEvent, now_ms: int, open_interest_usd: float | None = None) -> str | None:
    """Why ``event`` must not count (one line naming the field and value), or None if it may."""
    if isinstance(event, LiquidationEvent):
        return liquidation_problem(event, now_ms, open_interest_usd)
    if isinstance(event, PriceTick):
        return _price("price", event.price) or _time("ts_ms", event.ts_ms, now_ms)
    if isinstance(event, CandleClosed):
        return _candle(event.open, event.high, event.low, event.close, event.volume) or _time(
            "ts_ms", event.ts_ms, now_ms
        )
    if isinstance(event, DerivativesUpdate):
        return _derivatives(event)
    if isinstance(event, SentimentUpdate):
        return _reading(event.latest, now_ms) or next(
            (p for r in event.history if (p := _reading(r, now_ms)) is not None), None
        )
    if isinstance(event, Covered):
        return _time("end_ms", event.end_ms, now_ms) or (
            None if event.start_ms <= event.end_ms else f"start_ms {excerpt(event.start_ms)} is after end_ms"
        )
    if isinstance(event, SourceError) and event.retry_in_s is not None:
        retry = _number(event.retry_in_s)
        if retry is None or not 0 <= retry <= MAX_RETRY_S:
            return f"retry_in_s {excerpt(event.retry_in_s)} is not a wait within a day"
    return None  # Backfill is checked row by row (``clean_backfill``); SourceOk carries no numbers


def liquidation_problem(
    e: LiquidationEvent, now_ms: int, open_interest_usd: float | None = None
) -> str | None:
    """Why one liquidation must not count, or None."""
    bad = _price("price", e.price) or _time("ts_ms", e.ts_ms, now_ms)
    if bad:
        return bad
    ceiling = MAX_LIQUIDATION_USD
    if open_interest_usd is not None and math.isfinite(open_interest_usd) and open_interest_usd > 0:
        ceiling = min(ceiling, open_interest_usd)
    notional = _number(e.notional_usd)
    if notional is None or not 0 <= notional <= ceiling:
        shown = excerpt(e.notional_usd)
        return f"notional_usd {shown} is beyond the plausible {ceiling:.3g} for one liquidation"
    return None


def clean_backfill(b: Backfill, now_ms: int) -> tuple[Backfill, int, str | None]:
    """The backfill without its implausible rows, how many were dropped, and the first reason."""
    c = b.candles_1m
    finite = np.isfinite(c.open) & np.isfinite(c.high) & np.isfinite(c.low) & np.isfinite(c.close)
    positive = (c.low > 0) & (c.high <= MAX_PRICE_USD)
    ordered = (c.high >= np.maximum(c.open, c.close)) & (c.low <= np.minimum(c.open, c.close))
    timely = (c.ts_ms <= now_ms + FUTURE_SKEW_MS) & (c.ts_ms >= now_ms - MAX_HISTORY_AGE_MS)
    keep = finite & positive & ordered & timely & np.isfinite(c.volume) & (c.volume >= 0)
    reasons = []
    if not keep.all():
        k = int(np.argmin(keep))
        reasons.append(
            _candle(c.open[k], c.high[k], c.low[k], c.close[k], c.volume[k])
            or _time("candle ts_ms", int(c.ts_ms[k]), now_ms, MAX_HISTORY_AGE_MS)
        )
    liqs = []
    for e in b.liquidations:
        why = liquidation_problem(e, now_ms)
        if why is None:
            liqs.append(e)
        else:
            reasons.append(why)
    sentiment = b.sentiment
    if sentiment is not None and (why := problem(sentiment, now_ms)) is not None:
        reasons.append(why)
        sentiment = None
    dropped = int((~keep).sum()) + len(b.liquidations) - len(liqs) + (b.sentiment is not sentiment)
    if not dropped:
        return b, 0, None
    candles = Candles(c.ts_ms[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep], c.volume[keep])
    cleaned = Backfill(b.source, b.symbol, candles, tuple(liqs), sentiment)
    return cleaned, dropped, next((r for r in reasons if r), None)


def _number(value: object) -> float | None:
    """``value`` as a finite float, or None: a NaN, an infinity, a 400-digit integer (a float cannot hold
    it: OverflowError), or something that is no number at all (a recording can hold anything)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _price(name: str, value: float) -> str | None:
    number = _number(value)
    if number is None or not 0 < number <= MAX_PRICE_USD:
        return f"{name} {excerpt(value)} is not a price in (0, {MAX_PRICE_USD:.0e}]"
    return None


def _time(name: str, ts_ms: int, now_ms: int, max_age_ms: int = MAX_AGE_MS) -> str | None:
    if not (now_ms - max_age_ms <= ts_ms <= now_ms + FUTURE_SKEW_MS):
        days = max_age_ms // 86_400_000
        return f"{name} {excerpt(ts_ms)} is not within {days} days before and 5 minutes after now"
    return None


def _candle(o: float, h: float, lo: float, c: float, v: float) -> str | None:
    for name, value in (("open", o), ("high", h), ("low", lo), ("close", c)):
        if (bad := _price(name, value)) is not None:
            return bad
    fo, fh, fl, fc = (float(x) for x in (o, h, lo, c))  # each a finite price by now
    if not (fh >= max(fo, fc) and fl <= min(fo, fc)):
        return f"candle high {h!r} / low {lo!r} do not enclose open {o!r} and close {c!r}"
    volume = _number(v)
    if volume is None or volume < 0:
        return f"volume {excerpt(v)} is not a finite amount >= 0"
    return None


def _derivatives(d: DerivativesUpdate) -> str | None:
    rate = _number(d.funding_rate)
    if d.funding_rate is not None and (rate is None or abs(rate) > 1.0):
        return f"funding_rate {excerpt(d.funding_rate)} is not a rate within ±100%"
    oi = _number(d.open_interest_usd)
    if d.open_interest_usd is not None and (oi is None or not 0 <= oi < MAX_OPEN_INTEREST_USD):
        shown = excerpt(d.open_interest_usd)
        return f"open_interest_usd {shown} is not an amount in [0, {MAX_OPEN_INTEREST_USD:.0e})"
    return None


def _reading(r: FearGreedReading, now_ms: int) -> str | None:
    if isinstance(r.value, bool) or not isinstance(r.value, int) or not 0 <= r.value <= 100:
        return f"Fear & Greed value {excerpt(r.value)} is not an index in 0..100"
    return _time("Fear & Greed ts_ms", r.ts_ms, now_ms, MAX_HISTORY_AGE_MS * 20)
