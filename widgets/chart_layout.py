"""Chart geometry, free of Textual and plotext: which row a price lands on, where the RSI strip sits, where
labels go so that none overlaps another, tick positions, and liquidation marker sizes.

The row mapping reproduces plotext's own (``_utility.get_matrix_data``): a value's cell is
``floor(0.5 + (cells - 1) * (v - lo) / (hi - lo))`` counted from the bottom, rounded to 8 decimals first.
Labels are placed in the rows that mapping gives, so a label sits on its line and never on another's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# plotext draws a frame line above and below the plot and one row of x tick labels.
FRAME_ROWS = 3
RSI_GUIDES = (30.0, 70.0)
MIN_ROWS_FOR_STRIP = 12  # below this many plot rows the candles need every row; no RSI strip


def cell(value: float, lo: float, hi: float, cells: int) -> int:
    """plotext's cell index for ``value`` on an axis of ``cells`` cells spanning [lo, hi] (0 = low end)."""
    return math.floor(round(0.5 + (cells - 1) * (value - lo) / (hi - lo), 8))


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area: ``rows`` rows showing [y_lo, y_hi] (row 0 at the top)."""

    rows: int
    y_lo: float
    y_hi: float

    def row(self, y: float) -> int:
        """Row (0 = top) that plotext draws ``y`` on; may fall outside [0, rows) for off-range values."""
        return self.rows - 1 - cell(y, self.y_lo, self.y_hi, self.rows)

    def y_at(self, row: int) -> float:
        """The value at the centre of a row: drawing there lands exactly on that row."""
        return self.y_lo + (self.rows - 1 - row) * self.step

    @property
    def step(self) -> float:
        """Price per row."""
        return (self.y_hi - self.y_lo) / max(1, self.rows - 1)


@dataclass(frozen=True, slots=True)
class Layout:
    """Price rows on top; optionally a separator row and an RSI strip of ``strip_rows`` under them."""

    frame: Frame
    price_rows: int
    strip_rows: int

    @property
    def price_bottom_row(self) -> int:
        return self.price_rows - 1

    def rsi_y(self, value: float) -> float:
        """Where an RSI value (0..100) is drawn: the strip's bottom row is 0, its top row 100."""
        top = self.price_rows + 1  # first strip row (after the separator)
        bottom = self.frame.rows - 1
        row = bottom - (bottom - top) * (min(100.0, max(0.0, value)) / 100.0)
        return self.frame.y_at(0) - row * self.frame.step

    @property
    def separator_y(self) -> float:
        return self.frame.y_at(self.price_rows)


def strip_rows_for(plot_rows: int) -> int:
    """RSI strip height: a fifth of the plot, at least 4 rows so 30 and 70 get rows of their own; none
    on a small plot."""
    if plot_rows < MIN_ROWS_FOR_STRIP:
        return 0
    return max(4, plot_rows // 5)


def layout(p_lo: float, p_hi: float, plot_rows: int, strip_rows: int) -> Layout:
    """Stretch the y axis so [p_lo, p_hi] fills the top rows and the strip (plus a separator) the rest.

    The strip lives on the same axes as the candles, so it shares their time axis cell for cell.
    """
    plot_rows = max(2, plot_rows)
    strip_rows = strip_rows if strip_rows and plot_rows - strip_rows - 1 >= 2 else 0
    price_rows = plot_rows - strip_rows - (1 if strip_rows else 0)
    span = max(p_hi - p_lo, abs(p_hi) * 1e-9, 1e-9)
    step = span / max(1, price_rows - 1)
    y_lo = p_lo - (plot_rows - price_rows) * step
    return Layout(Frame(plot_rows, y_lo, p_hi), price_rows, strip_rows)


@dataclass(frozen=True, slots=True)
class Label:
    """Text to pin to a price, on the left or right edge; lower ``priority`` wins a contested row."""

    price: float
    text: str
    priority: int
    side: str = "left"
    variable: str = "foreground"


@dataclass(frozen=True, slots=True)
class Placed:
    row: int
    label: Label


def place_labels(
    labels: Sequence[Label], frame: Frame, first: int, last: int, shift: int = 1
) -> list[Placed]:
    """Give each label a row of its own on its side, within [first, last].

    A label wants its line's row; if taken, it may move up to ``shift`` rows (nearest first, above before
    below); otherwise it is dropped (its line is still drawn). Higher priority labels are placed first,
    so a crowded chart keeps the levels that matter most.
    """
    taken: set[tuple[str, int]] = set()
    out: list[Placed] = []
    for lab in sorted(labels, key=lambda x: (x.priority, -x.price)):
        want = frame.row(lab.price)
        for d in _offsets(shift):
            r = want + d
            if first <= r <= last and (lab.side, r) not in taken:
                taken.add((lab.side, r))
                out.append(Placed(r, lab))
                break
    return sorted(out, key=lambda p: p.row)


def _offsets(shift: int) -> list[int]:
    out = [0]
    for d in range(1, shift + 1):
        out += [-d, d]
    return out


def nice_ticks(lo: float, hi: float, frame: Frame, first: int, last: int, min_gap: int = 3) -> list[float]:
    """Round-number ticks (1, 2, 2.5, 5 × 10^k) within [lo, hi], at least ``min_gap`` rows apart."""
    rows = last - first + 1
    if hi <= lo or rows < 1:
        return [lo]
    want = max(1, rows // min_gap)
    raw = (hi - lo) / want
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks: list[float] = []
    used: list[int] = []
    t = math.ceil(lo / step) * step
    while t <= hi + step * 1e-9:
        r = frame.row(t)
        if first <= r <= last and all(abs(r - u) >= min_gap for u in used):
            ticks.append(t)
            used.append(r)
        t += step
    return ticks


def marker_sizes(notional: Sequence[float], floor_share: float = 0.02) -> list[int]:
    """Size class per marker relative to the largest one shown: 0 none (under ``floor_share`` of the max),
    1 small, 2 medium (≥ 10%), 3 large (≥ 40%)."""
    top = max(notional, default=0.0)
    out = []
    for v in notional:
        share = v / top if top > 0 else 0.0
        out.append(0 if share < floor_share or v <= 0 else 3 if share >= 0.4 else 2 if share >= 0.1 else 1)
    return out
