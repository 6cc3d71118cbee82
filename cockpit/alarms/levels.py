"""Resolve computed level names ("fib 0.618", "bounce trigger", "support", ...) from the latest analysis."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cockpit.alarms.model import fib_ratio

if TYPE_CHECKING:
    from cockpit.analytics.pipeline import Analysis


def resolve_level(analysis: Analysis | None, ref: str) -> float | None:
    """The price of one canonical reference now, or None when the analysis does not have it."""
    if analysis is None:
        return None
    ratio = fib_ratio(ref)
    if ratio is not None:
        return analysis.ladder.level(ratio) if analysis.ladder is not None else None
    zones, plans = analysis.zones, analysis.scenarios
    if ref in ("support", "resistance"):
        zone = zones.support if ref == "support" else zones.resistance
        return zone.mid if zone is not None else None
    if ref == "key support":
        return plans.key.price if plans.key is not None else None
    name, _, part = ref.partition(" ")
    plan = plans.bounce if name == "bounce" else plans.breakdown if name == "breakdown" else None
    if plan is None:
        return None
    return plan.trigger if part == "trigger" else plan.target if part == "target" else None


def resolve_levels(analysis: Analysis | None, refs: Iterable[str]) -> dict[str, float | None]:
    """Every requested reference resolved against one analysis."""
    return {ref: resolve_level(analysis, ref) for ref in refs}
