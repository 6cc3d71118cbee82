"""Chart geometry: rows agree with what plotext really draws, labels never share a row, the RSI strip."""

from __future__ import annotations

import re

import numpy as np
import plotext as plx
import pytest
from cockpit.widgets import chart_layout as geo
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.windows import LiquidationWindows

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plotext_row(price: float, lo: float, hi: float, rows: int) -> int:
    """Draw one marker with real plotext and read back the plot row it landed on (0 = top)."""
    plx.clear_figure()
    plx.limit_size(False, False)  # else plotext clips to the (non-)terminal it runs in
    plx.plotsize(30, rows + geo.FRAME_ROWS)
    plx.ylim(lo, hi)
    plx.xlim(0, 10)
    plx.scatter([5], [price], marker="X")
    plx.yticks([lo], [" "])
    lines = ANSI.sub("", plx.build()).splitlines()
    body = lines[1 : 1 + rows]  # the frame's top line comes first
    hits = [i for i, line in enumerate(body) if "X" in line]
    assert len(hits) == 1, body
    return hits[0]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(4, 40),
    lo=st.floats(1_000, 90_000),
    span=st.floats(10, 20_000),
    t=st.floats(0.0, 1.0),
)
def test_row_of_a_price_is_the_row_plotext_draws_it_on(rows: int, lo: float, span: float, t: float) -> None:
    hi = lo + span
    price = lo + t * span
    assert geo.Frame(rows, lo, hi).row(price) == plotext_row(price, lo, hi, rows)


@given(rows=st.integers(2, 60), lo=st.floats(1, 1e5), span=st.floats(1e-3, 1e5))
def test_every_row_centre_maps_back_to_its_row(rows: int, lo: float, span: float) -> None:
    f = geo.Frame(rows, lo, lo + span)
    assert [f.row(f.y_at(r)) for r in range(rows)] == list(range(rows))


def test_known_rows_at_a_given_size_and_range() -> None:
    # 9 rows over 0..100: 100 is the top row, 0 the bottom, 50 the middle; 33 rounds to 3 rows up.
    f = geo.Frame(9, 0.0, 100.0)
    assert [f.row(v) for v in (100, 90, 50, 33, 0)] == [0, 1, 4, 5, 8]
    assert f.row(120) < 0 and f.row(-20) > 8  # off-range prices fall outside the plot


labels_strategy = st.lists(
    st.tuples(st.floats(70_000, 80_000), st.integers(0, 6), st.sampled_from(["left", "right"])),
    max_size=25,
)


@given(labels=labels_strategy, rows=st.integers(3, 30), shift=st.integers(0, 2))
def test_placed_labels_never_share_a_row_and_stay_near_their_line(
    labels: list[tuple[float, int, str]], rows: int, shift: int
) -> None:
    f = geo.Frame(rows, 70_000.0, 80_000.0)
    items = [geo.Label(p, f"L{i}", prio, side) for i, (p, prio, side) in enumerate(labels)]
    placed = geo.place_labels(items, f, 0, rows - 1, shift)
    seen = [(p.label.side, p.row) for p in placed]
    assert len(seen) == len(set(seen))  # no two labels on one row of one side
    for p in placed:
        assert 0 <= p.row < rows and abs(p.row - f.row(p.label.price)) <= shift
    # The single most important label always gets its own line's row.
    if items:
        best = min(items, key=lambda x: (x.priority, -x.price))
        assert geo.Placed(f.row(best.price), best) in placed


def test_a_crowded_row_keeps_the_more_important_label() -> None:
    f = geo.Frame(10, 0.0, 90.0)
    fib = geo.Label(50.0, "fib 0.5", 4)
    target = geo.Label(50.5, "bounce target", 2)
    gap = geo.Label(49.8, "FVG", 5)
    placed = geo.place_labels([fib, target, gap], f, 0, 9, shift=1)
    rows = {p.label.text: p.row for p in placed}
    assert rows["bounce target"] == f.row(50.5)
    assert rows["fib 0.5"] == rows["bounce target"] - 1 and rows["FVG"] == rows["bounce target"] + 1
    assert [p.label.text for p in geo.place_labels([fib, target, gap], f, 0, 9, shift=0)] == ["bounce target"]


@pytest.mark.parametrize("plot_rows", [12, 14, 17, 24, 40])
def test_rsi_strip_sits_under_the_candles_with_distinct_guides(plot_rows: int) -> None:
    strip = geo.strip_rows_for(plot_rows)
    lay = geo.layout(74_000.0, 79_000.0, plot_rows, strip)
    f = lay.frame
    assert strip >= 4 and lay.price_rows + 1 + strip == plot_rows
    assert f.row(79_000.0) == 0 and f.row(74_000.0) == lay.price_rows - 1  # candles keep the top rows
    assert f.row(lay.separator_y) == lay.price_rows
    r70, r30 = f.row(lay.rsi_y(70)), f.row(lay.rsi_y(30))
    assert lay.price_rows < f.row(lay.rsi_y(100)) <= r70 < r30 <= f.row(lay.rsi_y(0)) == plot_rows - 1


def test_small_plots_get_no_strip() -> None:
    assert geo.strip_rows_for(11) == 0
    lay = geo.layout(1.0, 2.0, 8, 0)
    assert lay.strip_rows == 0 and lay.price_rows == 8 and lay.frame.y_lo == 1.0


@given(lo=st.floats(100, 1e5), span=st.floats(1, 1e4), rows=st.integers(3, 40))
def test_ticks_are_round_in_range_and_apart(lo: float, span: float, rows: int) -> None:
    f = geo.Frame(rows, lo, lo + span)
    ticks = geo.nice_ticks(lo, lo + span, f, 0, rows - 1)
    tick_rows = [f.row(t) for t in ticks]
    assert all(lo - 1e-6 <= t <= lo + span + 1e-6 for t in ticks)
    assert all(b - a >= 3 for a, b in zip(sorted(tick_rows), sorted(tick_rows)[1:], strict=False))


def test_marker_sizes_grow_with_notional() -> None:
    sizes = geo.marker_sizes([0.0, 1e3, 3e5, 2e6, 5e6, 1e7])
    assert sizes == [0, 0, 1, 2, 3, 3]
    assert geo.marker_sizes([]) == []


def test_per_bucket_matches_a_loop_over_the_events() -> None:
    rng = np.random.default_rng(7)
    events = [
        LiquidationEvent(
            int(rng.integers(0, 36_000_000)),
            str(rng.choice(["a", "b"])),
            "BTC/USDT:USDT",
            "long" if rng.random() < 0.7 else "short",
            float(rng.uniform(1e3, 1e6)),
            float(rng.uniform(70_000, 80_000)),
        )
        for _ in range(2_000)
    ]
    w = LiquidationWindows((3600, 86_400))
    w.ingest(events)
    edges = np.arange(0, 36_000_001, 3_600_000, dtype=np.int64)[3:]  # bars from hour 3 on
    long_usd, short_usd, long_px, short_px = w.per_bucket(edges)
    for i in range(len(edges) - 1):
        for side, usd, px in (("long", long_usd, long_px), ("short", short_usd, short_px)):
            inside = [e for e in events if e.side == side and edges[i] <= e.ts_ms < edges[i + 1]]
            total = sum(e.notional_usd for e in inside)
            assert usd[i] == pytest.approx(total, rel=1e-9)
            if inside:
                vwap = sum(e.notional_usd * e.price for e in inside) / total
                assert px[i] == pytest.approx(vwap, rel=1e-9)
            else:
                assert np.isnan(px[i])
