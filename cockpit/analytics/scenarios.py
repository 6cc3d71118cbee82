"""The two plans a desk writes around the key support: bounce and breakdown.

Key support ``S``: the ladder's 0.618 level when price was above it as the ladder formed, else the nearest
support zone. The plan exists from its *anchor* bar (when the ladder or latest swing was confirmed) and
its status is replayed over the closed bars after the anchor, so it advances with price and never looks
ahead:

* **bounce**: trigger when a bar trades down to ``S + buffer`` and closes at or above ``S`` (support held);
  target the nearest resistance zone (else the far edge of the nearest unfilled gap above); invalidated by
  a close below ``S - buffer``.
* **breakdown**: trigger on a close below ``S``; target the next liquidity zone below ``S`` (else the next
  zone); invalidated by a close back above ``S + buffer`` (support reclaimed).

``buffer`` is ``invalidation_atr`` x the mean true range of the ``atr_period`` bars up to the anchor, so a
wick through a level is not a close through it, on any market and price scale. Status goes pending ->
triggered -> target_hit | invalidated; a bar that both reaches the target and closes through the stop
counts as invalidated (the order inside the bar is unknown, so assume the worse). Reward:risk is measured
from the trigger level: |target - S| / buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.fibonacci import FibLadder
from cockpit.analytics.fvg import FairValueGap
from cockpit.analytics.zones import Zones

Status = Literal["pending", "triggered", "target_hit", "invalidated"]
KEY_RATIO = 0.618


@dataclass(frozen=True, slots=True)
class KeySupport:
    """The level both plans revolve around and where it came from."""

    price: float
    source: str  # "fib 0.618" or "support zone"
    anchor_index: int
    buffer: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """One plan with its levels, distances from the last price, and replayed status."""

    name: Literal["bounce", "breakdown"]
    trigger: float
    trigger_text: str
    target: float | None
    target_text: str
    invalidation: float
    invalidation_text: str
    waypoint: tuple[float, float] | None  # an unfilled gap on the way (bottom, top)
    status: Status
    status_index: int  # bar where the status last changed (the anchor while pending)
    reward_risk: float | None
    distance_pct: dict[str, float | None]  # trigger / target / invalidation relative to the last price


@dataclass(frozen=True, slots=True)
class Scenarios:
    """Both plans, or none when no key support can be found."""

    key: KeySupport | None
    bounce: Scenario | None
    breakdown: Scenario | None

    @property
    def in_play(self) -> Scenario | None:
        """The plan whose trigger has fired and that has not ended yet."""
        for s in (self.bounce, self.breakdown):
            if s is not None and s.status == "triggered":
                return s
        return None


def mean_true_range(c: Candles, end: int, period: int) -> float:
    """Mean true range of the ``period`` bars ending at ``end`` (inclusive); causal by construction."""
    lo = max(0, end - period + 1)
    hi = c.high[lo : end + 1]
    low = c.low[lo : end + 1]
    prev = c.close[max(0, lo - 1) : end] if lo > 0 else np.concatenate(([c.close[0]], c.close[lo:end]))
    tr = np.maximum(hi, prev) - np.minimum(low, prev)
    return float(tr.mean()) if len(tr) else 0.0


def key_support(
    c: Candles,
    ladder: FibLadder | None,
    zones: Zones,
    atr_period: int,
    invalidation_atr: float,
    structure_index: int | None = None,
) -> KeySupport | None:
    """Fib 0.618 if it was below price when the ladder formed, else the nearest support zone below the
    price at the latest swing confirmation (``structure_index``), else None.

    The choice is made at the anchor bar, not at the current price: a close below the key support is the
    breakdown trigger and must not silently swap the key for another level.
    """
    last = len(c) - 1
    if ladder is not None and ladder.confirmed_index <= last:
        anchor = ladder.confirmed_index
        if ladder.level(KEY_RATIO) < float(c.close[anchor]):
            buffer = invalidation_atr * mean_true_range(c, anchor, atr_period)
            return KeySupport(ladder.level(KEY_RATIO), "fib 0.618", anchor, buffer)
    anchor = min(last, structure_index if structure_index is not None else last)
    zone = next(iter(zones.below(float(c.close[anchor]))), None)
    if zone is None:
        return None
    return KeySupport(
        zone.mid, "support zone", anchor, invalidation_atr * mean_true_range(c, anchor, atr_period)
    )


def build_scenarios(
    c: Candles,
    ladder: FibLadder | None,
    gaps: list[FairValueGap],
    zones: Zones,
    atr_period: int = 14,
    invalidation_atr: float = 1.0,
    structure_index: int | None = None,
) -> Scenarios:
    """Both plans from the last closed bar's point of view (``structure_index``: see ``key_support``)."""
    if len(c) == 0:
        return Scenarios(None, None, None)
    key = key_support(c, ladder, zones, atr_period, invalidation_atr, structure_index)
    if key is None:
        return Scenarios(None, None, None)
    return Scenarios(key, _bounce(c, key, gaps, zones), _breakdown(c, key, zones))


def _bounce(c: Candles, key: KeySupport, gaps: list[FairValueGap], zones: Zones) -> Scenario:
    s, buf = key.price, key.buffer
    price = float(c.close[-1])
    last = len(c) - 1
    # Unfilled gaps that stand above the support and have not been filled by the last bar.
    above = sorted(
        (g for g in gaps if g.filled_index is None and g.confirmed_index <= last and g.bottom > s),
        key=lambda g: g.bottom,
    )
    gap = above[0] if above else None
    resistance = next((z for z in zones.above(max(price, s))), None)
    target: float | None
    if resistance is not None:
        target, target_text = resistance.mid, "resistance zone"
    elif gap is not None:
        target, target_text = gap.top, "far edge of the gap above"
    else:
        target, target_text = None, "no resistance above"
    waypoint = (gap.bottom, gap.top) if gap is not None and (target is None or gap.top <= target) else None
    stop = s - buf
    lo, hi, cl = _after(c, key.anchor_index)
    trig = (lo <= s + buf) & (cl >= s)
    fail = cl < stop
    hit = hi >= target if target is not None else np.zeros(len(cl), dtype=bool)
    status, at = _replay(key.anchor_index, trig, fail, fail, hit)
    return Scenario(
        name="bounce",
        trigger=s,
        trigger_text=f"{key.source} holds",
        target=target,
        target_text=target_text,
        invalidation=stop,
        invalidation_text=f"close below {key.source}",
        waypoint=waypoint,
        status=status,
        status_index=at,
        reward_risk=_rr(target, s, buf),
        distance_pct=_distances(price, s, target, stop),
    )


def _breakdown(c: Candles, key: KeySupport, zones: Zones) -> Scenario:
    s, buf = key.price, key.buffer
    price = float(c.close[-1])
    below = zones.below(s - buf)
    liquidity = next((z for z in below if z.is_liquidity), None)
    zone = liquidity or (below[0] if below else None)
    target = zone.mid if zone is not None else None
    if liquidity is not None:
        target_text = "next liquidity zone"
    else:
        target_text = "next zone below" if zone is not None else "no zone below"
    reclaim = s + buf
    lo, _hi, cl = _after(c, key.anchor_index)
    trig = cl < s
    never = np.zeros(len(cl), dtype=bool)
    fail = cl > reclaim
    hit = lo <= target if target is not None else never
    status, at = _replay(key.anchor_index, trig, never, fail, hit)
    return Scenario(
        name="breakdown",
        trigger=s,
        trigger_text=f"close below {key.source}",
        target=target,
        target_text=target_text,
        invalidation=reclaim,
        invalidation_text=f"{key.source} reclaimed",
        waypoint=None,
        status=status,
        status_index=at,
        reward_risk=_rr(target, s, buf),
        distance_pct=_distances(price, s, target, reclaim),
    )


def _after(c: Candles, anchor: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    return c.low[anchor + 1 :], c.high[anchor + 1 :], c.close[anchor + 1 :]


def _replay(
    anchor: int,
    trigger: np.ndarray,
    fail_before: np.ndarray,
    fail_after: np.ndarray,
    hit: np.ndarray,
) -> tuple[Status, int]:
    """Walk pending -> triggered -> target_hit | invalidated over the bars after the anchor."""
    offset = anchor + 1
    first_fail = _first(fail_before, 0)
    first_trig = _first(trigger, 0)
    if first_trig is None or (first_fail is not None and first_fail < first_trig):
        if first_fail is not None:
            return "invalidated", offset + first_fail
        return "pending", anchor
    # The trigger bar itself may already reach the target; a stop on it cannot fire (it closed right).
    f = _first(fail_after, first_trig + 1)
    h = _first(hit, first_trig)
    if f is None and h is None:
        return "triggered", offset + first_trig
    if h is None or (f is not None and f <= h):
        return "invalidated", offset + int(f if f is not None else 0)
    return "target_hit", offset + h


def _first(mask: np.ndarray, start: int) -> int | None:
    idx = np.flatnonzero(mask[start:])
    return int(idx[0]) + start if len(idx) else None


def _rr(target: float | None, trigger: float, buffer: float) -> float | None:
    if target is None or buffer <= 0:
        return None
    return abs(target - trigger) / buffer


def _distances(
    price: float, trigger: float, target: float | None, invalidation: float
) -> dict[str, float | None]:
    def pct(level: float | None) -> float | None:
        return None if level is None or price == 0 else (level / price - 1.0) * 100.0

    return {"trigger": pct(trigger), "target": pct(target), "invalidation": pct(invalidation)}
