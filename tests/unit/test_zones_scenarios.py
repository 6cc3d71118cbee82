"""Zones and the two desk scenarios: hand-worked cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics import Candles, Swing, build_scenarios, fib_ladder, find_zones
from cockpit.analytics.fvg import FairValueGap
from cockpit.analytics.scenarios import mean_true_range
from tests.conftest import candles_from_hl


def sw(i: int, kind: str, price: float) -> Swing:
    return Swing(i, kind, price, i + 3)  # type: ignore[arg-type]


def test_clusters_by_relative_tolerance_and_ranks_by_touches() -> None:
    swings = [sw(1, "low", 100.0), sw(5, "low", 100.3), sw(9, "high", 110.0), sw(12, "low", 100.1)]
    z = find_zones(swings, price=105.0, tolerance=0.004)
    assert [(x.low, x.high, x.touches) for x in z.zones] == [(100.0, 100.3, 3), (110.0, 110.0, 1)]
    assert z.zones[0].mid == pytest.approx((100.0 + 100.3 + 100.1) / 3)
    assert z.support is z.zones[0] and z.resistance is z.zones[1]
    assert z.zones[0].is_liquidity and not z.zones[1].is_liquidity
    assert z.zones[0].side == "support" and z.zones[1].side == "resistance"
    assert z.zones[0].last_index == 12
    # The same points 0.5% apart are separate zones at a 0.4% tolerance.
    assert len(find_zones([sw(1, "low", 100.0), sw(2, "low", 100.5)], 90.0, 0.004).zones) == 2


def test_liquidations_make_and_strengthen_zones() -> None:
    swings = [sw(1, "low", 100.0), sw(5, "high", 120.0)]
    liq_price = np.array([100.1, 100.2, 90.0, 90.05])
    liq_usd = np.array([1e6, 1e6, 5e6, 5e6])
    z = find_zones(swings, 110.0, 0.004, liq_price, liq_usd)
    lows = {round(x.mid): x for x in z.zones}
    assert lows[90].touches == 0 and lows[90].notional_usd == pytest.approx(10e6)
    assert lows[90].strength == pytest.approx(2.0)  # the biggest liquidation cluster scores 2
    assert lows[100].strength == pytest.approx(1 + 2.0 * 2e6 / 10e6)
    assert z.support is lows[100]
    assert z.liquidity_below is lows[90]  # next liquidity zone beyond the support


def test_next_liquidity_zone_skips_plain_zones() -> None:
    swings = [sw(1, "low", 80.0), sw(2, "low", 80.1), sw(3, "low", 90.0), sw(4, "low", 95.0)]
    z = find_zones(swings, 100.0, 0.004)
    assert z.support is not None and z.support.mid == 95.0
    assert z.liquidity_below is not None and z.liquidity_below.low == 80.0
    assert z.liquidity_above is None and z.resistance is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1, 1e5), min_size=0, max_size=60), st.floats(1, 1e5), st.floats(0.0005, 0.05))
def test_zones_are_ordered_disjoint_and_split_by_price(prices: list[float], price: float, tol: float) -> None:
    swings = [sw(i, "low" if i % 2 else "high", p) for i, p in enumerate(prices)]
    z = find_zones(swings, price, tol)
    assert sum(x.touches for x in z.zones) == len(prices)
    for a, b in zip(z.zones, z.zones[1:], strict=False):
        assert a.low <= a.mid <= a.high < b.low
        assert b.low - a.high > tol * b.low  # clusters only split across a real gap
    if z.support is not None:
        assert z.support.mid < price and all(x.mid >= price or x.mid <= z.support.mid for x in z.zones)
    if z.resistance is not None:
        assert z.resistance.mid > price


def _day(after: list[tuple[float, float, float]]) -> tuple[Candles, Any, list[Swing]]:
    """An up-move 72,200 -> 79,000 confirmed at bar 12, then the given (high, low, close) bars."""
    high: list[float] = [
        73000,
        72800,
        72500,
        73500,
        75000,
        77000,
        79000,
        78500,
        78000,
        77500,
        77800,
        77200,
        77000,
    ]
    low: list[float] = [
        72600,
        72400,
        72200,
        72600,
        74000,
        76000,
        78000,
        77500,
        77000,
        76800,
        76900,
        76500,
        76400,
    ]
    close = [(h + lo) / 2 for h, lo in zip(high, low, strict=True)]
    for h, lo, cl in after:
        high.append(h)
        low.append(lo)
        close.append(cl)
    c = candles_from_hl(high, low, close)
    ladder = fib_ladder([Swing(2, "low", 72200, 5), Swing(6, "high", 79000, 12)])
    swings = [
        Swing(2, "low", 72200, 5),
        Swing(0, "low", 72450, 3),
        Swing(6, "high", 79000, 12),
        Swing(10, "high", 77000, 12),
    ]
    return c, ladder, swings


def _plans(after: list[tuple[float, float, float]], gaps: list[FairValueGap] | None = None) -> Any:
    c, ladder, swings = _day(after)
    zones = find_zones(swings, float(c.close[-1]), 0.004)
    return build_scenarios(c, ladder, gaps or [], zones, atr_period=5, invalidation_atr=0.25)


def test_key_support_is_fib_618_with_an_atr_buffer() -> None:
    plans = _plans([(76000, 75100, 75203)])
    assert plans.key is not None
    assert plans.key.price == pytest.approx(74797.6) and plans.key.source == "fib 0.618"
    assert plans.key.anchor_index == 12
    c, _, _ = _day([(76000, 75100, 75203)])
    assert plans.key.buffer == pytest.approx(0.25 * mean_true_range(c, 12, 5))
    b, d = plans.bounce, plans.breakdown
    assert b is not None and d is not None
    assert b.status == d.status == "pending" and plans.in_play is None
    assert b.target == pytest.approx(77000.0) and b.target_text == "resistance zone"
    assert d.target is not None and d.target == pytest.approx((72200 + 72450) / 2)  # equal lows
    assert d.target_text == "next liquidity zone"
    assert b.distance_pct["trigger"] == pytest.approx((74797.6 / 75203 - 1) * 100)
    assert b.reward_risk == pytest.approx((77000 - 74797.6) / plans.key.buffer)


def test_bounce_triggers_on_a_held_test_then_hits_target() -> None:
    plans = _plans([(75500, 74700, 75100), (76000, 75000, 75900)])
    assert plans.bounce is not None and plans.bounce.status == "triggered"
    assert plans.bounce.status_index == 13 and plans.in_play is plans.bounce
    plans = _plans([(75500, 74700, 75100), (77100, 75000, 76900)])
    assert (
        plans.bounce is not None and plans.bounce.status == "target_hit" and plans.bounce.status_index == 14
    )


def test_breakdown_triggers_on_close_below_and_is_invalidated_by_reclaim() -> None:
    plans = _plans([(75000, 74000, 74200)])
    assert plans.breakdown is not None and plans.breakdown.status == "triggered"
    assert plans.bounce is not None and plans.bounce.status == "invalidated"  # closed below S - buffer
    plans = _plans([(75000, 74000, 74200), (76500, 74100, 76400)])
    assert plans.breakdown is not None and plans.breakdown.status == "invalidated"
    plans = _plans([(75000, 74000, 74200), (74300, 72300, 72500)])
    assert plans.breakdown is not None and plans.breakdown.status == "target_hit"


def test_same_bar_target_and_stop_counts_as_invalidated() -> None:
    # Triggered at 13 (close below), then one bar both reaches the target and closes above the reclaim.
    plans = _plans([(75000, 74000, 74200), (76500, 72000, 76400)])
    assert plans.breakdown is not None and plans.breakdown.status == "invalidated"


def test_unfilled_gap_above_is_a_waypoint_or_the_target() -> None:
    gap = FairValueGap(11, "bearish", 76200.0, 75600.0, 12, None, None)
    plans = _plans([(76000, 75100, 75203)], [gap])
    assert plans.bounce is not None and plans.bounce.waypoint == (75600.0, 76200.0)
    # Without a resistance zone above, the far edge of the gap becomes the target.
    c, ladder, swings = _day([(76000, 75100, 75203)])
    zones = find_zones([s for s in swings if s.kind == "low"], float(c.close[-1]))
    plans = build_scenarios(c, ladder, [gap], zones, atr_period=5, invalidation_atr=0.5)
    assert plans.bounce is not None and plans.bounce.target == 76200.0
    assert plans.bounce.target_text == "far edge of the gap above"


def test_no_key_support_means_no_plans() -> None:
    c = candles_from_hl([10, 11, 12], [9, 10, 11])
    plans = build_scenarios(c, None, [], find_zones([], 11.5))
    assert plans.key is None and plans.bounce is None and plans.in_play is None


def test_support_zone_is_the_fallback_key() -> None:
    c, _, swings = _day([(76000, 75100, 75203)])
    zones = find_zones(swings, float(c.close[-1]))
    ladder = fib_ladder([Swing(6, "high", 79000, 12), Swing(9, "low", 76800, 12)])  # 0.618 above price
    plans = build_scenarios(c, ladder, [], zones, structure_index=12)
    assert plans.key is not None and plans.key.source == "support zone" and plans.key.anchor_index == 12
    assert zones.support is not None and plans.key.price == zones.support.mid
