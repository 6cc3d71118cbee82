"""The human-readable report of `cockpit analyze`."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from cockpit.analytics import Analysis, AnalyticsConfig, Candles, Scenario
from cockpit.analytics.zones import Zone


def _ts(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _px(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}%"


def _zone(z: Zone | None) -> str:
    if z is None:
        return "none"
    band = _px(z.mid) if z.low == z.high else f"{_px(z.low)}–{_px(z.high)}"
    extra = f", ${z.notional_usd:,.0f} liquidated" if z.notional_usd else ""
    return f"{band} ({z.touches} swing{'s' if z.touches != 1 else ''}{extra}, strength {z.strength:.1f})"


def _rsi_label(value: float) -> str:
    if value <= 30:
        return "oversold"
    if value >= 70:
        return "overbought"
    return "neutral"


def _scenario(s: Scenario | None, in_play: bool) -> list[str]:
    if s is None:
        return []
    mark = "  ◀ in play" if in_play else ""
    rr = "—" if s.reward_risk is None else f"{s.reward_risk:.2f}"
    lines = [
        f"  {s.name.upper()} [{s.status}]{mark}",
        f"    trigger       {_px(s.trigger):>12}  {_pct(s.distance_pct['trigger']):>8}  {s.trigger_text}",
        f"    target        {_px(s.target):>12}  {_pct(s.distance_pct['target']):>8}  {s.target_text}",
        f"    invalidation  {_px(s.invalidation):>12}  {_pct(s.distance_pct['invalidation']):>8}  "
        f"{s.invalidation_text}",
        f"    reward:risk   {rr:>12}",
    ]
    if s.waypoint:
        lines.append(f"    on the way    gap {_px(s.waypoint[0])}–{_px(s.waypoint[1])} to fill")
    return lines


def render_summary(
    path: str, timeframe: str, cfg: AnalyticsConfig, c: Candles, a: Analysis, note: str | None = None
) -> str:
    """Plain text, one section per analytic, nearest levels first."""
    price = float(c.close[-1])
    bars = "bar" if len(c) == 1 else "bars"
    out = [
        f"{path}: {len(c):,} {timeframe} {bars}, {_ts(int(c.ts_ms[0]))} → {_ts(int(c.ts_ms[-1]))}",
        f"last close {_px(price)}   swing length {cfg.swing_length}",
        *([f"note: {note}"] if note else []),
        "",
        *_momentum(cfg, a),
        "",
        *_fibonacci(a, price),
        "",
        *_gaps(cfg, a, price),
        "",
        *_zones(a),
        "",
        *_scenarios(a),
    ]
    return "\n".join(out) + "\n"


def _momentum(cfg: AnalyticsConfig, a: Analysis) -> list[str]:
    last_rsi = a.rsi[-1] if len(a.rsi) else np.nan
    if np.isnan(last_rsi):
        rsi = f"RSI({cfg.rsi_period}): warming up (needs {cfg.rsi_period + 1} bars)"
    else:
        rsi = f"RSI({cfg.rsi_period}): {last_rsi:.2f} ({_rsi_label(float(last_rsi))})"
    recent = ", ".join(f"{s.kind} {_px(s.price)} @{s.index}" for s in a.swings[-4:]) or "none"
    return [rsi, f"Swings: {len(a.swings)} confirmed; latest: {recent}"]


def _fibonacci(a: Analysis, price: float) -> list[str]:
    lad = a.ladder
    if lad is None:
        return ["Fibonacci: fewer than two swings yet"]
    out = [
        f"Fibonacci ({lad.direction}-move, low {_px(lad.swing_low)} → high {_px(lad.swing_high)}):"
        if lad.direction == "up"
        else f"Fibonacci (down-move, high {_px(lad.swing_high)} → low {_px(lad.swing_low)}):"
    ]
    for ratio, level in lad.levels:
        where = "above" if level > price else "below"
        out.append(f"  {ratio:5.3f}  {_px(level):>12}  {_pct((level / price - 1) * 100):>8} ({where})")
    return out


def _gaps(cfg: AnalyticsConfig, a: Analysis, price: float) -> list[str]:
    above = sorted((g for g in a.gaps if g.bottom > price), key=lambda g: g.bottom)[:3]
    below = sorted((g for g in a.gaps if g.top < price), key=lambda g: -g.top)[:3]
    total_open = int((a.fvgs.filled_index < 0).sum())
    out = [
        f"Fair value gaps: {len(a.fvgs)} found, {total_open} unfilled, {len(a.gaps)} drawn "
        f"(≥ {cfg.fvg_min_rel_size:.2%} of price)"
    ]
    for label, gaps in (("above", above), ("below", below)):
        for g in gaps:
            state = "touched" if g.touched_index is not None else "untouched"
            out.append(f"  {label}: {g.kind} {_px(g.bottom)}–{_px(g.top)} ({state}, bar {g.index})")
    return out


def _zones(a: Analysis) -> list[str]:
    z = a.zones
    return [
        f"Zones: {len(z.zones)}",
        f"  resistance       {_zone(z.resistance)}",
        f"  support          {_zone(z.support)}",
        f"  liquidity above  {_zone(z.liquidity_above)}",
        f"  liquidity below  {_zone(z.liquidity_below)}",
    ]


def _scenarios(a: Analysis) -> list[str]:
    sc = a.scenarios
    if sc.key is None:
        return ["Scenarios: no key support below price"]
    play = sc.in_play
    return [
        f"Scenarios around key support {_px(sc.key.price)} ({sc.key.source}, "
        f"buffer {_px(sc.key.buffer)}, from bar {sc.key.anchor_index}):",
        *_scenario(sc.bounce, play is sc.bounce and play is not None),
        *_scenario(sc.breakdown, play is sc.breakdown and play is not None),
    ]
