"""Swings, the Fibonacci ladder and fair value gaps: hand-worked examples and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from cockpit.analytics import FIB_RATIOS, Swing, alternating, fib_ladder, find_fvgs, find_swings
from tests.conftest import candles_from_hl


def test_swing_high_needs_strictly_higher_than_before_and_not_below_after() -> None:
    #        0  1  2  3  4  5  6
    high = [1, 2, 5, 3, 5, 1, 0]
    low = [0.5, 1.5, 4, 2.5, 4, 0.5, -1]
    swings = find_swings(np.array(high, float), np.array(low, float), 2)
    highs = [(s.index, s.price, s.confirmed_index) for s in swings if s.kind == "high"]
    # i=2: 5 > (1, 2) and 5 >= (3, 5) -> swing. i=4: 5 is not strictly above 5 at i=2 -> not.
    assert highs == [(2, 5.0, 4)]


def test_swing_low_mirror_and_edges() -> None:
    low = [5, 4, 1, 3, 1, 6, 7]
    high = [x + 1 for x in low]
    swings = find_swings(np.array(high, float), np.array(low, float), 2)
    lows = [(s.index, s.price) for s in swings if s.kind == "low"]
    assert lows == [(2, 1.0)]  # i=4 ties the earlier low, so it is not strictly below it
    # Bars without L bars on both sides are never pivots.
    assert all(2 <= s.index <= 4 for s in swings)


def test_swing_does_not_exist_before_its_confirmation_bar() -> None:
    high = np.array([1, 2, 9, 3, 2, 1, 1], float)
    low = high - 0.5
    assert not [s for s in find_swings(high[:4], low[:4], 2) if s.kind == "high"]  # bar 3: not yet
    assert [s.index for s in find_swings(high[:5], low[:5], 2) if s.kind == "high"] == [2]


def test_alternating_keeps_extreme_and_later_on_ties() -> None:
    s = [
        Swing(1, "low", 10, 3),
        Swing(3, "low", 8, 5),
        Swing(5, "low", 8, 7),
        Swing(7, "high", 20, 9),
        Swing(9, "high", 18, 11),
        Swing(11, "low", 12, 13),
    ]
    assert [(x.index, x.price) for x in alternating(s)] == [(5, 8), (7, 20), (11, 12)]


def test_fib_up_move_example_from_the_issue() -> None:
    ladder = fib_ladder([Swing(10, "low", 72_200, 15), Swing(30, "high", 79_000, 35)])
    assert ladder is not None and ladder.direction == "up"
    assert ladder.as_dict()["0.618"] == pytest.approx(74_797.6)
    assert ladder.as_dict()["0"] == 79_000 and ladder.as_dict()["1"] == 72_200
    assert ladder.confirmed_index == 35


def test_fib_down_move() -> None:
    ladder = fib_ladder([Swing(3, "high", 200, 5), Swing(8, "low", 100, 10)])
    assert ladder is not None and ladder.direction == "down"
    assert dict(ladder.levels) == pytest.approx({r: 100 + r * 100 for r in FIB_RATIOS})


def test_fib_uses_last_two_alternating_swings() -> None:
    swings = [
        Swing(1, "high", 50, 3),
        Swing(4, "low", 10, 6),
        Swing(7, "high", 40, 9),
        Swing(9, "high", 45, 11),  # same-kind run: the higher high replaces 40
    ]
    ladder = fib_ladder(swings)
    assert ladder is not None
    assert (ladder.swing_low, ladder.swing_high, ladder.end.index) == (10, 45, 9)
    assert fib_ladder(swings[:1]) is None


def test_bullish_and_bearish_gaps_by_hand() -> None:
    #             0    1    2    3    4    5    6
    high = [10, 12, 15, 14, 16, 13, 9]
    low = [9, 11, 13, 12, 14, 10, 8]
    g = find_fvgs(np.array(high, float), np.array(low, float))
    got = list(zip(g.index.tolist(), g.bullish.tolist(), g.top.tolist(), g.bottom.tolist(), strict=True))
    # i=1: low[2]=13 > high[0]=10 -> bullish [10, 13]. i=5: high[6]=9 < low[4]=14 -> bearish [9, 14].
    assert got == [(1, True, 13.0, 10.0), (5, False, 14.0, 9.0)]
    # Bullish [10,13]: bar 3 low 12 <= 13 touches; bar 5 low 10 reaches the far edge exactly: filled.
    assert g.touched_index[0] == 3 and g.filled_index[0] == 5
    # Bearish gap confirmed at bar 6, which is the last bar: nothing after it yet.
    assert g.touched_index[1] == -1 and g.filled_index[1] == -1
    recs = g.records()
    assert recs[1].touched_index is None and recs[1].state() == "unfilled"
    assert recs[0].confirmed_index == 2 and recs[0].state() == "filled"


def test_gap_touch_and_fill_only_count_from_two_bars_after() -> None:
    # The third candle of the pattern itself never touches its own gap.
    high = [10, 12, 20, 19]
    low = [9, 11, 15, 10.5]
    g = find_fvgs(np.array(high, float), np.array(low, float))
    assert g.index.tolist() == [1] and g.touched_index.tolist() == [3] and g.filled_index.tolist() == [-1]


def test_min_relative_size_filters_display_only() -> None:
    high = [100, 100.5, 101.0, 103, 104, 108]
    low = [99, 100.0, 100.51, 102, 103.5, 107]
    g = find_fvgs(np.array(high, float), np.array(low, float))
    # Four bullish gaps; the first is 0.51 high at ~100.25, about 0.51% of price.
    assert g.index.tolist() == [1, 2, 3, 4]
    assert [r.index for r in g.records(0.006)] == [2, 3, 4]
    assert len(g.records()) == 4


def _brute_first(values: np.ndarray, start: int, level: float) -> int:
    return next((j for j in range(start, len(values)) if values[j] <= level), -1)


@pytest.mark.parametrize("levels", [1, 2, 3, 12])
def test_gap_search_matches_brute_force_with_every_table_size(levels: int) -> None:
    rng = np.random.default_rng(levels)
    for _ in range(60):
        n = int(rng.integers(3, 300))
        close = 100 + np.cumsum(rng.normal(0, 1, n))
        high, low = close + rng.random(n), close - rng.random(n)
        g = find_fvgs(high, low, search_levels=levels)
        for k, i in enumerate(g.index.tolist()):
            if g.bullish[k]:
                t = _brute_first(low, i + 2, g.top[k])
                f = _brute_first(low, i + 2, g.bottom[k])
            else:
                t = _brute_first(-high, i + 2, -g.bottom[k])
                f = _brute_first(-high, i + 2, -g.top[k])
            assert (g.touched_index[k], g.filled_index[k]) == (t, f)


def test_candles_helper_round_trip() -> None:
    c = candles_from_hl([2, 3], [1, 2])
    assert c.close.tolist() == [1.5, 2.5] and len(c) == 2
