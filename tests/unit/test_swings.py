"""Swings as arrays: equal to the pivot definition (a slow loop) and to the loop form of ``alternating``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics import Candles, Swing, Swings, alternating, find_swings
from cockpit.analytics.swings import swing_flags


def slow_swings(high: list[float], low: list[float], length: int) -> list[Swing]:
    """The definition, bar by bar: strictly beyond the L bars before, not beaten by the L bars after."""
    out: list[Swing] = []
    for i in range(length, len(high) - length):
        before, after = range(i - length, i), range(i + 1, i + length + 1)
        if all(high[i] > high[j] for j in before) and all(high[i] >= high[j] for j in after):
            out.append(Swing(i, "high", high[i], i + length))
        if all(low[i] < low[j] for j in before) and all(low[i] <= low[j] for j in after):
            out.append(Swing(i, "low", low[i], i + length))
    return out


def slow_alternating(swings: list[Swing]) -> list[Swing]:
    out: list[Swing] = []
    for s in swings:
        if out and out[-1].kind == s.kind:
            if (s.price >= out[-1].price) if s.kind == "high" else (s.price <= out[-1].price):
                out[-1] = s
        else:
            out.append(s)
    return out


# Few distinct price levels, so equal highs and lows (ties) are common; a bar can be both kinds.
bars = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=120)


@settings(max_examples=300, deadline=None)
@given(bars, st.integers(1, 8))
def test_find_swings_equals_the_definition(rows: list[tuple[int, int]], length: int) -> None:
    high = [float(max(a, b)) for a, b in rows]
    low = [float(min(a, b)) for a, b in rows]
    got = find_swings(np.array(high), np.array(low), length)
    want = slow_swings(high, low, length)
    assert list(got) == want
    highs, lows = swing_flags(np.array(high), np.array(low), length)
    assert highs.tolist() == [s.index for s in want if s.kind == "high"]
    assert lows.tolist() == [s.index for s in want if s.kind == "low"]
    assert got.confirmed_index.tolist() == [s.index + length for s in want]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), max_size=60))
def test_alternating_equals_the_loop(items: list[tuple[bool, int]]) -> None:
    # Arbitrary kind sequences with many equal prices: runs, ties and single swings.
    swings = [Swing(i, "high" if h else "low", float(p), i + 2) for i, (h, p) in enumerate(items)]
    want = slow_alternating(swings)
    assert list(alternating(swings)) == want
    assert list(alternating(Swings.of(swings))) == want


def test_on_real_candles_equals_the_definition(btc_1h: Candles) -> None:
    high, low = btc_1h.high[:3000], btc_1h.low[:3000]
    got = find_swings(high, low, 5)
    assert len(got) > 100
    assert list(got) == slow_swings(high.tolist(), low.tolist(), 5)
    assert list(alternating(got)) == slow_alternating(list(got))


def test_swings_behave_like_a_sequence_of_swing() -> None:
    s = Swings.of([Swing(3, "high", 10.0, 5), Swing(3, "low", 7.0, 5), Swing(8, "low", 6.5, 10)])
    assert len(s) == 3 and s[0] == Swing(3, "high", 10.0, 5) and s[-1] == Swing(8, "low", 6.5, 10)
    assert list(s[1:]) == [Swing(3, "low", 7.0, 5), Swing(8, "low", 6.5, 10)]
    assert s == list(s) and s == Swings.of(list(s)) and s != list(s)[:2]
    assert s.index.dtype == np.int64 and s.is_high.tolist() == [True, False, False]
    empty = find_swings(np.ones(3), np.ones(3), 2)
    assert len(empty) == 0 and list(empty) == [] and len(alternating(empty)) == 0
    with pytest.raises(ValueError):
        find_swings(np.ones(10), np.ones(10), 0)
