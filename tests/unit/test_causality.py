"""Nothing repaints: what is known at bar n never changes when bars n+1..n+k arrive."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics import Candles, analyze, fib_ladder, find_fvgs, find_swings, find_zones, rsi
from cockpit.analytics.pipeline import AnalyticsConfig

STATUS_ORDER = {"pending": 0, "triggered": 1, "target_hit": 2, "invalidated": 2}


@st.composite
def candle_paths(draw: st.DrawFn, min_size: int = 20, max_size: int = 220) -> Candles:
    """Random walks with wicks; coarse tick sizes make equal highs/lows (ties) common."""
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    tick = draw(st.sampled_from([0.5, 1.0, 5.0]))
    rng = np.random.default_rng(seed)
    close = np.maximum(1000 + np.cumsum(rng.normal(0, 8, n)), 10)
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.round((np.maximum(open_, close) + rng.exponential(4, n)) / tick) * tick
    low = np.round((np.minimum(open_, close) - rng.exponential(4, n)) / tick) * tick
    low = np.minimum(low, high)
    return Candles.from_arrays(np.arange(n) * 60_000, open_, high, low, close, np.ones(n))


@settings(max_examples=80, deadline=None)
@given(candle_paths(), st.integers(1, 6), st.data())
def test_swings_fib_and_zones_depend_only_on_confirmed_bars(
    c: Candles, length: int, data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, len(c)))
    early = find_swings(c.high[:n], c.low[:n], length)
    late = find_swings(c.high, c.low, length)
    # Exactly the later swings that were confirmed by bar n-1, with identical values.
    assert early == [s for s in late if s.confirmed_index <= n - 1]
    assert fib_ladder(early) == fib_ladder([s for s in late if s.confirmed_index <= n - 1])
    for s in early:
        assert s.confirmed_index == s.index + length <= n - 1
    price = float(c.close[n - 1])
    assert find_zones(early, price) == find_zones([s for s in late if s.confirmed_index <= n - 1], price)


@settings(max_examples=80, deadline=None)
@given(candle_paths(min_size=3), st.data())
def test_gaps_once_known_never_change(c: Candles, data: st.DataObject) -> None:
    n = data.draw(st.integers(3, len(c)))
    early = find_fvgs(c.high[:n], c.low[:n]).records()
    late = {g.index: g for g in find_fvgs(c.high, c.low).records()}
    assert all(g.confirmed_index <= n - 1 for g in early)
    assert [g.index for g in early] == [i for i, g in late.items() if g.confirmed_index <= n - 1]
    for g in early:
        full = late[g.index]
        assert (g.kind, g.top, g.bottom) == (full.kind, full.top, full.bottom)
        # Set values stay; unset ones may only be set later, after bar n-1.
        for before, after in ((g.touched_index, full.touched_index), (g.filled_index, full.filled_index)):
            if before is not None:
                assert after == before
            elif after is not None:
                assert after > n - 1


@settings(max_examples=60, deadline=None)
@given(candle_paths(min_size=30), st.data())
def test_rsi_and_scenario_status_never_go_back(c: Candles, data: st.DataObject) -> None:
    cfg = AnalyticsConfig(swing_length=data.draw(st.integers(2, 5)))
    n = data.draw(st.integers(20, len(c)))
    early, late = analyze(c.head(n), cfg), analyze(c, cfg)
    assert np.allclose(early.rsi, late.rsi[:n], equal_nan=True, rtol=0, atol=1e-9)
    assert np.allclose(early.rsi, rsi(c.close[:n]), equal_nan=True, rtol=0, atol=0)
    ek, lk = early.scenarios.key, late.scenarios.key
    if ek is None or lk is None or (ek.price, ek.anchor_index) != (lk.price, lk.anchor_index):
        return  # a new plan, not a repaint of the old one
    for name in ("bounce", "breakdown"):
        before, after = getattr(early.scenarios, name), getattr(late.scenarios, name)
        if before.target != after.target:
            continue  # the target zone moved: a different plan on the same support
        assert STATUS_ORDER[after.status] >= STATUS_ORDER[before.status]
        if before.status in ("target_hit", "invalidated"):
            assert (after.status, after.status_index) == (before.status, before.status_index)
