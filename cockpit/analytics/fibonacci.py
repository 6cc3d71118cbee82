"""The Fibonacci ladder of the latest swing pair."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cockpit.analytics.swings import Swing, Swings, alternating

FIB_RATIOS: tuple[float, ...] = (0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)


@dataclass(frozen=True, slots=True)
class FibLadder:
    """Retracement levels of the move from ``start`` to ``end`` (the last two alternating swings).

    After an up-move (low then high) ``level(r) = high - r * (high - low)``: 0 sits at the high.
    After a down-move (high then low) ``level(r) = low + r * (high - low)``: 0 sits at the low.
    """

    direction: Literal["up", "down"]
    swing_high: float
    swing_low: float
    start: Swing
    end: Swing
    levels: tuple[tuple[float, float], ...]  # (ratio, price) in FIB_RATIOS order

    @property
    def confirmed_index(self) -> int:
        """The bar from which this ladder exists (both swings confirmed)."""
        return max(self.start.confirmed_index, self.end.confirmed_index)

    def level(self, ratio: float) -> float:
        """Price of any retracement ratio (not only the standard ones)."""
        span = self.swing_high - self.swing_low
        if self.direction == "up":
            return self.swing_high - ratio * span
        return self.swing_low + ratio * span

    def as_dict(self) -> dict[str, float]:
        """Levels keyed like the JSON output: {"0.618": price}."""
        return {_ratio_key(r): p for r, p in self.levels}


def _ratio_key(ratio: float) -> str:
    return f"{ratio:g}" if ratio in (0.0, 1.0) else f"{ratio:.3f}".rstrip("0")


def fib_ladder(swings: Swings | Sequence[Swing], ratios: tuple[float, ...] = FIB_RATIOS) -> FibLadder | None:
    """Ladder of the last two alternating swings, or None with fewer than two."""
    alt = alternating(swings)
    if len(alt) < 2:
        return None
    start, end = alt[-2], alt[-1]
    if start.kind == "low":
        direction: Literal["up", "down"] = "up"
        high, low = end.price, start.price
    else:
        direction = "down"
        high, low = start.price, end.price
    span = high - low
    if direction == "up":
        levels = tuple((r, high - r * span) for r in ratios)
    else:
        levels = tuple((r, low + r * span) for r in ratios)
    return FibLadder(direction, high, low, start, end, levels)
