"""Fair value gaps: three-candle wick gaps, with when each was first touched and filled.

Bullish at middle candle i when ``low[i+1] > high[i-1]``: zone [high[i-1], low[i+1]]. Bearish when
``high[i+1] < low[i-1]``: zone [high[i+1], low[i-1]]. A gap exists from ``confirmed_index = i + 1``.
``touched_index`` is the first bar j >= i+2 whose wick reaches the near edge (bullish: low[j] <= top;
bearish: high[j] >= bottom) and ``filled_index`` the first whose wick reaches the far edge (bullish:
low[j] <= bottom; bearish: high[j] >= top); -1 (None in JSON) while it has not happened. Both only ever
go from unset to a bar at or before the last one, so a value once set never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from cockpit.analytics.candles import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

GapKind = Literal["bullish", "bearish"]


@dataclass(frozen=True, slots=True)
class FairValueGaps:
    """Every gap in a candle series, as parallel arrays ordered by middle-candle index."""

    index: IntArray
    bullish: BoolArray
    top: FloatArray
    bottom: FloatArray
    touched_index: IntArray
    filled_index: IntArray

    def __len__(self) -> int:
        return len(self.index)

    @property
    def confirmed_index(self) -> IntArray:
        """Bar at which each gap exists: the candle after the middle one."""
        return self.index + 1

    def records(self, min_rel_size: float = 0.0, *, open_only: bool = False) -> list[FairValueGap]:
        """Gaps as objects, keeping those whose height / mid-price is at least ``min_rel_size``.

        ``open_only`` drops filled gaps (they are not drawn and no plan targets them).
        """
        keep = self.relative_size() >= min_rel_size
        if open_only:
            keep &= self.filled_index < 0
        kinds = np.where(self.bullish[keep], "bullish", "bearish").tolist()
        return [
            FairValueGap(i, kind, top, bottom, i + 1, None if t < 0 else t, None if f < 0 else f)
            for i, kind, top, bottom, t, f in zip(
                self.index[keep].tolist(),
                kinds,
                self.top[keep].tolist(),
                self.bottom[keep].tolist(),
                self.touched_index[keep].tolist(),
                self.filled_index[keep].tolist(),
                strict=True,
            )
        ]

    def relative_size(self) -> FloatArray:
        """Gap height divided by its mid price (for a display threshold that works at any price)."""
        mid = (self.top + self.bottom) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(mid > 0, (self.top - self.bottom) / mid, 0.0)


@dataclass(frozen=True, slots=True)
class FairValueGap:
    """One gap; indexes are bars in ascending time order, None when it has not happened yet."""

    index: int
    kind: GapKind
    top: float
    bottom: float
    confirmed_index: int
    touched_index: int | None
    filled_index: int | None

    def state(self) -> Literal["unfilled", "touched", "filled"]:
        """Display state: unfilled gaps are prominent, touched ones dimmer, filled ones hidden."""
        if self.filled_index is not None:
            return "filled"
        return "touched" if self.touched_index is not None else "unfilled"


def find_fvgs(high: FloatArray, low: FloatArray, *, search_levels: int = 12) -> FairValueGaps:
    """Detect every gap and resolve its touch and fill bars (O(n log n), vectorised).

    ``search_levels`` only tunes the search structure (tests shrink it to exercise every path).
    """
    high = np.asarray(high, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    n = len(high)
    if n < 3:
        e_i = np.empty(0, dtype=np.int64)
        e_f = np.empty(0)
        return FairValueGaps(e_i, np.empty(0, dtype=bool), e_f, e_f, e_i, e_i)
    mid = np.arange(1, n - 1)
    bull = low[2:] > high[:-2]
    bear = high[2:] < low[:-2]
    is_gap = bull | bear
    index = mid[is_gap].astype(np.int64)
    bullish = bull[is_gap]
    top = np.where(bullish, low[index + 1], low[index - 1])
    bottom = np.where(bullish, high[index - 1], high[index + 1])
    start = index + 2
    touched = np.full(len(index), -1, dtype=np.int64)
    filled = np.full(len(index), -1, dtype=np.int64)
    if bullish.any():
        lows = _MinSearch(low, search_levels)
        touched[bullish] = lows.first_at_or_below(start[bullish], top[bullish])
        filled[bullish] = lows.first_at_or_below(start[bullish], bottom[bullish])
    bear_sel = ~bullish
    if bear_sel.any():
        # A high reaching up to a level is a negated low reaching down to its negation.
        highs = _MinSearch(-high, search_levels)
        touched[bear_sel] = highs.first_at_or_below(start[bear_sel], -bottom[bear_sel])
        filled[bear_sel] = highs.first_at_or_below(start[bear_sel], -top[bear_sel])
    return FairValueGaps(index, bullish, top, bottom, touched, filled)


class _MinSearch:
    """Answers "first j >= start with values[j] <= level" for many queries at once.

    Most gaps are touched within a few bars, so those are settled by looking directly. The rest use
    binary lifting over a sparse table (the minimum of every run of 2^k values) that only goes up to
    runs of ``_SPAN`` bars; a query that finds nothing that close jumps ahead through a table of block
    minima (one value per ``_SPAN`` bars) to the first block that reaches the level, then searches inside
    it. Capping the fine table at 2^12 instead of 2^20 halves the cost at 10^6 candles.
    """

    _DIRECT = 4  # bars checked directly before any table is needed

    def __init__(self, values: FloatArray, levels: int = 12) -> None:
        self._LEVELS = levels
        self._SPAN = 1 << levels
        self.n = len(values)
        nb = -(-self.n // self._SPAN)
        # +inf past the end means "never reaches", for positions and for the padding of the last block.
        self.values = np.full(nb * self._SPAN + 1, np.inf)
        self.values[: self.n] = values
        self._fine: list[FloatArray] | None = None
        self._coarse: list[FloatArray] | None = None

    @staticmethod
    def _table(base: FloatArray, levels: int) -> list[FloatArray]:
        table = [base]
        width = 1
        for _ in range(levels):
            if width >= len(base):
                break
            prev = table[-1]
            nxt = np.empty_like(prev)
            np.minimum(prev[:-width], prev[width:], out=nxt[:-width])
            nxt[-width:] = prev[-width:]  # runs cut short by the end keep the values that exist
            table.append(nxt)
            width *= 2
        return table

    @staticmethod
    def _descend(table: list[FloatArray], pos: IntArray, level: FloatArray) -> IntArray:
        """First index at or after pos within 2^len(table) - 1 bars that reaches level (or past it)."""
        last = len(table[0]) - 1
        for k in range(len(table) - 1, -1, -1):
            above = table[k][pos] > level
            pos = np.minimum(pos + (above.astype(np.int64) << k), last)
        return pos

    def first_at_or_below(self, start: IntArray, level: FloatArray) -> IntArray:
        """Index per query, -1 when no bar from ``start`` on reaches the level."""
        result = np.full(len(start), -1, dtype=np.int64)
        todo = np.flatnonzero(start < self.n)
        for step in range(self._DIRECT):
            if not len(todo):
                return result
            pos = np.minimum(start[todo] + step, self.n)
            hit = self.values[pos] <= level[todo]
            result[todo[hit]] = pos[hit]
            todo = todo[~hit]
        if not len(todo):
            return result
        if self._fine is None:
            self._fine = self._table(self.values, self._LEVELS)
            blocks = self.values[:-1].reshape(-1, self._SPAN).min(axis=1)
            self._coarse = self._table(np.concatenate((blocks, [np.inf])), 64)
        assert self._coarse is not None
        lv = level[todo]
        origin = np.minimum(start[todo] + self._DIRECT, self.n)
        pos = self._descend(self._fine, origin, lv)
        hit = self.values[pos] <= lv
        result[todo[hit]] = pos[hit]
        todo, lv, origin = todo[~hit], lv[~hit], origin[~hit]
        if len(todo):
            # The fine search covered at least _SPAN bars from origin: the rest of origin's block.
            first_block = np.minimum(origin // self._SPAN + 1, len(self._coarse[0]) - 1)
            block = self._descend(self._coarse, first_block, lv)
            reach = self._coarse[0][block] <= lv
            todo, lv, block = todo[reach], lv[reach], block[reach]
            pos = self._descend(self._fine, block * self._SPAN, lv)
            result[todo] = pos
        return result
