"""Swing highs and lows: pivots that exist only once the bars that confirm them have closed.

A swing high at i with length L: ``high[i]`` is strictly above each of the L highs before it and not below
any of the L highs after it (mirror for lows). The pivot needs L bars after it, so it is confirmed at
``i + L`` and does not exist before that bar: nothing repaints. Bars with fewer than L bars before them are
never pivots (their left side is not known).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cockpit.analytics.candles import FloatArray, IntArray

SwingKind = Literal["high", "low"]


@dataclass(frozen=True, slots=True)
class Swing:
    """One confirmed pivot."""

    index: int
    kind: SwingKind
    price: float
    confirmed_index: int


def swing_flags(high: FloatArray, low: FloatArray, length: int) -> tuple[IntArray, IntArray]:
    """Indexes of swing highs and swing lows (ascending), vectorised with sliding windows."""
    if length < 1:
        raise ValueError("swings: length must be >= 1")
    high = np.asarray(high, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    n = len(high)
    if n < 2 * length + 1:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # Window w covers bars w .. w+L-1; the candidate i has "before" window i-L and "after" window i+1.
    hi_max = sliding_window_view(high, length).max(axis=1)
    lo_min = sliding_window_view(low, length).min(axis=1)
    centre = np.arange(length, n - length)
    is_high = (high[centre] > hi_max[centre - length]) & (high[centre] >= hi_max[centre + 1])
    is_low = (low[centre] < lo_min[centre - length]) & (low[centre] <= lo_min[centre + 1])
    return centre[is_high].astype(np.int64), centre[is_low].astype(np.int64)


def find_swings(high: FloatArray, low: FloatArray, length: int) -> list[Swing]:
    """Every swing confirmed by the last bar, ordered by index (a high before a low on the same bar)."""
    highs, lows = swing_flags(high, low, length)
    swings = [Swing(int(i), "high", float(high[i]), int(i) + length) for i in highs]
    swings += [Swing(int(i), "low", float(low[i]), int(i) + length) for i in lows]
    swings.sort(key=lambda s: (s.index, s.kind != "high"))
    return swings


def alternating(swings: list[Swing]) -> list[Swing]:
    """Reduce to alternating highs and lows: in a run of one kind keep the extreme (on ties, the later)."""
    out: list[Swing] = []
    for s in swings:
        if out and out[-1].kind == s.kind:
            prev = out[-1]
            more_extreme = s.price >= prev.price if s.kind == "high" else s.price <= prev.price
            if more_extreme:
                out[-1] = s
        else:
            out.append(s)
    return out
