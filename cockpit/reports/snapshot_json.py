"""The JSON face of a Snapshot (`cockpit snapshot --json`)."""

from __future__ import annotations

from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.pipeline import ladder_json, scenarios_json, zone_json
from cockpit.models import Snapshot, SourceCoverage, SourceStatus


def _event(e: LiquidationEvent) -> dict[str, Any]:
    return {
        "ts_ms": e.ts_ms,
        "venue": e.venue,
        "symbol": e.symbol,
        "side": e.side,
        "notional_usd": e.notional_usd,
        "price": e.price,
    }


def _coverage_json(c: SourceCoverage) -> dict[str, Any]:
    windows = {
        name: {"covered_s": w.covered_s, "partial": w.partial, "gaps": [list(g) for g in w.gaps]}
        for name, w in c.windows.items()
    }
    return {"venues": list(c.venues), "sampled": c.sampled, "since_ms": c.since_ms, **windows}


def liquidations_json(s: Snapshot) -> dict[str, Any]:
    """Totals per window (each saying whether it is a lower bound and whether a source has a hole in it),
    the day by venue, the largest prints, the cascade verdict, and coverage keyed by source (venue id)."""
    liq = s.liquidations
    windows = {
        name: {
            "long_usd": w.long_usd,
            "short_usd": w.short_usd,
            "total_usd": w.total_usd,
            "count": w.count,
            "long_share": w.long_share,
            "lower_bound": liq.lower_bound.get(name, False),
            "partial": liq.partial(name),
        }
        for name, w in liq.windows.items()
    }
    by_venue = {
        venue: {"long_usd": lo, "short_usd": sh} for venue, (lo, sh) in liq.windows["24h"].by_venue.items()
    }
    return {
        **windows,
        "by_venue": by_venue,
        "largest": [_event(e) for e in liq.largest],
        "scope": list(liq.scope),
        "cascade": liq.cascade,
        "cascade_judged": liq.judged,
        "cascade_ratio": liq.cascade_ratio,
        "hourly_average_usd": liq.hourly_average_24h_usd,
        "collecting_since_ms": liq.collecting_since_ms,
        "lower_bound": s.lower_bound,
        "coverage": {c.source: _coverage_json(c) for c in liq.coverage},
        "by_coin": _by_coin_json(s),
        "followed": _followed_json(s),
    }


def _by_coin_json(s: Snapshot) -> dict[str, dict[str, dict[str, float]]]:
    """{"BTC": {"1h": {"long_usd", "short_usd"}, "4h": ..., "24h": ...}, ...}: every coin with liquidations
    in the day, largest 24 h total first; a window where the coin had none holds zeros."""
    liq = s.liquidations
    day = liq.by_coin.get("24h", ())
    out: dict[str, dict[str, dict[str, float]]] = {}
    for coin in (c.coin for c in day):
        out[coin] = {}
        for name, table in liq.by_coin.items():
            hit = next((c for c in table if c.coin == coin), None)
            long_usd, short_usd = (hit.long_usd, hit.short_usd) if hit is not None else (0.0, 0.0)
            out[coin][name] = {"long_usd": long_usd, "short_usd": short_usd}
    return out


def _followed_json(s: Snapshot) -> dict[str, Any]:
    """The followed instrument's coin alone: its totals per window and its own cascade verdict."""
    liq = s.liquidations
    windows = {
        name: {"long_usd": w.long_usd, "short_usd": w.short_usd, "total_usd": w.total_usd, "count": w.count}
        for name, w in liq.followed.items()
    }
    return {
        "symbol": s.symbol,
        "coin": liq.followed_coin,
        **windows,
        "cascade": liq.followed_cascade,
        "cascade_ratio": liq.followed_cascade_ratio,
    }


def snapshot_to_json(s: Snapshot, rsi_timeframe: str = "4h") -> dict[str, Any]:
    """Everything a script needs from one snapshot; numbers in USD and percent."""
    a = s.analysis
    levels, scenarios = _levels_json(s)
    return {
        "source": s.source,
        "simulated": s.simulated,
        "symbol": s.symbol,
        "as_of_ms": s.as_of_ms,
        "price": {"last": s.price, "change_24h_pct": s.change_24h_pct},
        "liquidations": liquidations_json(s),
        "sentiment": _sentiment_json(s),
        "funding_rate": s.funding_rate,
        "funding_interval_h": s.funding_interval_h,  # what the rate is per
        "funding_venue": s.funding_venue,
        "open_interest_usd": s.open_interest_usd,
        "open_interest_venue": s.open_interest_venue,
        "levels": levels,
        "rsi": {
            "timeframe": rsi_timeframe,
            "value": s.rsi_by_timeframe.get(rsi_timeframe),
            "by_timeframe": s.rsi_by_timeframe,
        },
        "scenarios": scenarios,
        "in_play": a.scenarios.in_play.name if a is not None and a.scenarios.in_play else None,
        "sources": [_source_json(x) for x in s.sources],
    }


def _levels_json(s: Snapshot) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The levels the chart draws and the two plans, from the snapshot's analysis (empty without one)."""
    a = s.analysis
    if a is None:
        return {"fib": None, "support": None, "resistance": None, "liquidity_zones": [], "fvgs": []}, []
    # Only the pieces needed: to_json would also list RSI per bar and every gap ever found.
    fib, plans = ladder_json(a.ladder), scenarios_json(a.scenarios)
    z = a.zones
    levels = {
        "timeframe": s.levels_timeframe,
        "fib": fib,
        "support": zone_json(z.support),
        "resistance": zone_json(z.resistance),
        "key_support": plans["key_support"],
        "liquidity_zones": [zone_json(x) for x in z.zones if x.is_liquidity],
        "liquidity_below": zone_json(z.liquidity_below),
        "liquidity_above": zone_json(z.liquidity_above),
        "fvgs": [
            {"kind": g.kind, "top": g.top, "bottom": g.bottom, "index": g.index, "state": g.state()}
            for g in a.gaps
        ],
    }
    scenarios = [{"name": name, **plans[name]} for name in ("bounce", "breakdown") if plans[name] is not None]
    return levels, scenarios


def _sentiment_json(s: Snapshot) -> dict[str, Any] | None:
    if s.sentiment is None:
        return None
    latest = s.sentiment.latest
    return {
        "value": latest.value,
        "label": latest.label,
        "ts_ms": latest.ts_ms,
        "history": [{"ts_ms": r.ts_ms, "value": r.value} for r in s.sentiment.history],
    }


def _source_json(x: SourceStatus) -> dict[str, Any]:
    return {
        "name": x.name,
        "state": x.state,
        "last_ok_ms": x.last_ok_ms,
        "error": x.error,
        "last_data_ms": x.last_ok_ms,
        "per_min": x.per_minute,
        "simulated": x.simulated,
        "sampled": x.sampled,
        "coverage": x.coverage_note,  # what of the market it covers ("top 100 … by 24 h turnover")
        "retry_at_ms": x.retry_at_ms,
        "feeds": [
            {
                "name": f.name,
                "state": f.state,
                "last_ok_ms": f.last_ok_ms,  # last sign of life (data, a poll answered, connected)
                "last_data_ms": f.last_data_ms,
                "error": f.error,
                "retry_at_ms": f.retry_at_ms,
                "note": f.note,
            }
            for f in x.feeds
        ],
    }
