"""One full analytics pass over a candle series: what every pane of the cockpit shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.fibonacci import FIB_RATIOS, FibLadder, fib_ladder
from cockpit.analytics.fvg import FairValueGap, FairValueGaps, find_fvgs
from cockpit.analytics.rsi import rsi
from cockpit.analytics.scenarios import Scenario, Scenarios, build_scenarios
from cockpit.analytics.swings import Swings, find_swings
from cockpit.analytics.zones import Zone, Zones, find_zones


@dataclass(frozen=True, slots=True)
class AnalyticsConfig:
    """Parameters of one pass; defaults are the shipped config's 1h values."""

    rsi_period: int = 14
    swing_length: int = 5
    fib_ratios: tuple[float, ...] = FIB_RATIOS
    fvg_min_rel_size: float = 0.0  # display threshold; the raw list always has every gap
    zone_tolerance: float = 0.004
    atr_period: int = 14
    invalidation_atr: float = 1.0


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything computed from candles up to and including the last (closed) bar."""

    rsi: FloatArray
    swings: Swings
    ladder: FibLadder | None
    fvgs: FairValueGaps
    gaps: list[FairValueGap]  # unfilled gaps at or above the display threshold
    zones: Zones
    scenarios: Scenarios


def analyze(
    c: Candles,
    cfg: AnalyticsConfig | None = None,
    liq_price: FloatArray | None = None,
    liq_notional: FloatArray | None = None,
) -> Analysis:
    """Run every analytic; liquidations (price, notional), when given, weigh into the zones."""
    cfg = cfg or AnalyticsConfig()
    swings = find_swings(c.high, c.low, cfg.swing_length)
    ladder = fib_ladder(swings, cfg.fib_ratios)
    fvgs = find_fvgs(c.high, c.low)
    gaps = fvgs.records(cfg.fvg_min_rel_size, open_only=True)
    price = float(c.close[-1]) if len(c) else float("nan")
    zones = find_zones(swings, price, cfg.zone_tolerance, liq_price, liq_notional)
    structure = int(swings.confirmed_index.max()) if len(swings) else None
    scenarios = build_scenarios(c, ladder, gaps, zones, cfg.atr_period, cfg.invalidation_atr, structure)
    return Analysis(rsi(c.close, cfg.rsi_period), swings, ladder, fvgs, gaps, zones, scenarios)


def to_json(a: Analysis, c: Candles) -> dict[str, Any]:
    """The documented JSON shape of ``cockpit analyze --json`` (indexes are rows in ascending time)."""
    return {
        "rows": len(c),
        "first_ts_ms": int(c.ts_ms[0]) if len(c) else None,
        "last_ts_ms": int(c.ts_ms[-1]) if len(c) else None,
        "last_close": float(c.close[-1]) if len(c) else None,
        "rsi": [None if np.isnan(v) else float(v) for v in a.rsi],
        "swings": _swings_json(a.swings),
        "fib": ladder_json(a.ladder),
        "fvgs": [
            {
                "index": g.index,
                "kind": g.kind,
                "top": g.top,
                "bottom": g.bottom,
                "confirmed_index": g.confirmed_index,
                "touched_index": g.touched_index,
                "filled_index": g.filled_index,
            }
            for g in a.fvgs.records()
        ],
        "zones": _zones_json(a.zones),
        "scenarios": scenarios_json(a.scenarios),
    }


def _swings_json(swings: Swings) -> list[dict[str, Any]]:
    # Straight from the arrays: one Swing object per swing would cost more than the dicts themselves.
    columns = (swings.index.tolist(), swings.is_high.tolist(), swings.price.tolist())
    return [
        {"index": i, "kind": "high" if high else "low", "price": price, "confirmed_index": confirmed}
        for i, high, price, confirmed in zip(*columns, swings.confirmed_index.tolist(), strict=True)
    ]


def ladder_json(ladder: FibLadder | None) -> dict[str, Any] | None:
    """The ladder as JSON (None stays None)."""
    if ladder is None:
        return None
    return {
        "direction": ladder.direction,
        "swing_high": ladder.swing_high,
        "swing_low": ladder.swing_low,
        "start_index": ladder.start.index,
        "end_index": ladder.end.index,
        "confirmed_index": ladder.confirmed_index,
        "levels": ladder.as_dict(),
    }


def zone_json(z: Zone | None) -> dict[str, Any] | None:
    """A zone as JSON (None stays None)."""
    if z is None:
        return None
    return {
        "low": z.low,
        "high": z.high,
        "mid": z.mid,
        "side": z.side,
        "touches": z.touches,
        "notional_usd": z.notional_usd,
        "strength": z.strength,
        "liquidity": z.is_liquidity,
    }


def _zones_json(zones: Zones) -> dict[str, Any]:
    return {
        "all": [zone_json(z) for z in zones.zones],
        "support": zone_json(zones.support),
        "resistance": zone_json(zones.resistance),
        "liquidity_below": zone_json(zones.liquidity_below),
        "liquidity_above": zone_json(zones.liquidity_above),
    }


def _scenario_json(s: Scenario | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "trigger": s.trigger,
        "trigger_text": s.trigger_text,
        "target": s.target,
        "target_text": s.target_text,
        "invalidation": s.invalidation,
        "invalidation_text": s.invalidation_text,
        "waypoint": list(s.waypoint) if s.waypoint else None,
        "status": s.status,
        "status_index": s.status_index,
        "reward_risk": s.reward_risk,
        "distance_pct": s.distance_pct,
    }


def scenarios_json(s: Scenarios) -> dict[str, Any]:
    """Key support, both plans and which one is in play, as JSON."""
    key = s.key
    return {
        "key_support": None
        if key is None
        else {
            "price": key.price,
            "source": key.source,
            "anchor_index": key.anchor_index,
            "buffer": key.buffer,
        },
        "bounce": _scenario_json(s.bounce),
        "breakdown": _scenario_json(s.breakdown),
        "in_play": s.in_play.name if s.in_play else None,
    }
