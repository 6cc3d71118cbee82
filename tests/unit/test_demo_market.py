"""The simulated market: determinism, the reference day's opening figures, and live behaviour.

The opening figures are checked the way the cockpit would see them: the real analytics on the 1h candles
aggregated from the simulated minutes, and the real rolling liquidation windows on the simulated prints.
The expected values come from SCENARIO.md, never from the simulator's own constants. The market
simulates many coins: price, levels and scenarios are BTC's, liquidation totals market-wide (every coin),
as the report's are. (The other coins are checked in test_demo_coins.py.)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pytest

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.pipeline import Analysis, AnalyticsConfig, analyze
from cockpit.analytics.resample import resample
from cockpit.analytics.rsi import rsi
from cockpit.analytics.scenarios import build_scenarios
from cockpit.analytics.sentiment import fear_greed_band
from cockpit.analytics.windows import LiquidationWindows
from cockpit.models import CandleClosed, DerivativesUpdate, MarketEvent, PriceTick, SentimentUpdate
from cockpit.sources.demo.market import (
    DEFAULT_SEED,
    OPENING_MS,
    SYMBOL,
    SYMBOLS,
    VENUES,
    DemoHistory,
    DemoMarket,
    LeverageMap,
)

T = TypeVar("T")
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
OTHER_SEEDS = (1, 2, 3, 4, 5)

# SCENARIO.md, "The figures at the opening moment", with its tolerances. The liquidation totals are
# market-wide: within 10% on any seed (SCENARIO.md), within 5% on the default seed (the product's demo).
PRICE, PRICE_TOL = 75_203.0, 0.01
CHANGE_24H_PCT, CHANGE_TOL_POINTS = -4.42, 1.0
LIQ_1H_USD, LIQ_24H_USD, LIQ_TOL, LIQ_TOL_DEFAULT_SEED = 144e6, 659e6, 0.10, 0.05
# BTC's own share of the market's liquidations: aggregators typically show BTC at a quarter to two fifths.
BTC_SHARE_RANGE = (0.25, 0.40)
FIB_0618, FIB_TOL = 74_800.0, 0.005
RESISTANCE, NEXT_LIQUIDITY, LEVEL_TOL = 77_000.0, 72_500.0, 0.01


@functools.cache
def history(seed: int = DEFAULT_SEED) -> DemoHistory:
    return DemoMarket(seed).history()


def opening_analysis(h: DemoHistory) -> tuple[Candles, Analysis]:
    """What the cockpit computes at the opening: closed 1h bars from the minutes, swing length 5."""
    candles_1h = resample(h.candles_1m, HOUR_MS)
    return candles_1h, analyze(candles_1h, AnalyticsConfig(swing_length=5))


def windows(h: DemoHistory, symbol: str | None = None) -> LiquidationWindows:
    """The rolling windows over the history's prints: every coin's, or one symbol's."""
    w = LiquidationWindows((3600, 14_400, 86_400))
    w.ingest(e for e in h.liquidations if symbol is None or e.symbol == symbol)
    return w


@functools.cache
def live(seed: int, minutes: int) -> tuple[MarketEvent, ...]:
    return tuple(DemoMarket(seed).advance(OPENING_MS + minutes * 60_000))


def of_type(events: Sequence[object], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


def btc(events: Sequence[MarketEvent]) -> list[MarketEvent]:
    """BTC's events (and the market's sentiment): what BTC's own checks are about."""
    return [e for e in events if getattr(e, "symbol", SYMBOL) == SYMBOL]


def within(value: float, target: float, rel: float) -> bool:
    return abs(value / target - 1.0) <= rel


# -- determinism ----------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_history_and_other_seeds_differ() -> None:
    a, b, c = DemoMarket(7).history(), DemoMarket(7).history(), DemoMarket(8).history()
    for name in ("ts_ms", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(a.candles_1m, name), getattr(b.candles_1m, name))
    assert a.liquidations == b.liquidations and a.fear_greed == b.fear_greed
    assert (a.funding_rate, a.open_interest_usd) == (b.funding_rate, b.open_interest_usd)
    assert not np.array_equal(a.candles_1m.close, c.candles_1m.close)
    assert a.liquidations != c.liquidations
    assert [r.value for r in a.fear_greed] != [r.value for r in c.fear_greed]


def test_history_is_cached_and_read_only() -> None:
    market = DemoMarket()
    h = market.history()
    assert market.history() is h
    with pytest.raises(ValueError):
        h.candles_1m.close[0] = 1.0


def test_advance_does_not_depend_on_how_time_is_stepped() -> None:
    end = OPENING_MS + 7 * 60_000 + 250
    one_call = DemoMarket().advance(end)
    rng = np.random.default_rng(0)
    stepped_market, stepped, t = DemoMarket(), [], OPENING_MS
    while t < end:
        # Sub-second, multi-minute and exact-boundary steps, plus repeated and backward times.
        t = min(end, t + int(rng.choice([1, 499, 500, 1000, 59_999, 60_000, 130_000])))
        stepped += stepped_market.advance(t)
        assert stepped_market.advance(t) == [] and stepped_market.advance(t - 5) == []
    assert stepped == one_call
    assert one_call == DemoMarket().advance(end)  # same seed, same events
    other = DemoMarket(DEFAULT_SEED + 1).advance(end)
    assert [e.price for e in of_type(other, PriceTick)] != [e.price for e in of_type(one_call, PriceTick)]


def test_advance_before_the_opening_gives_nothing() -> None:
    market = DemoMarket()
    assert market.advance(OPENING_MS) == [] and market.advance(OPENING_MS - 60_000) == []
    first = market.advance(OPENING_MS + 1000)
    assert [t.ts_ms for t in of_type(btc(first), PriceTick)] == [OPENING_MS + 500]
    assert [t.symbol for t in of_type(first, PriceTick)] == list(SYMBOLS)  # every coin ticks
    assert all(OPENING_MS < delivery_ms(e) <= OPENING_MS + 1000 for e in first)


# -- history shape --------------------------------------------------------------------------------------


def test_candles_cover_a_week_without_gaps_and_are_consistent() -> None:
    c = history().candles_1m
    assert len(c) >= 7 * 1440
    assert int(c.ts_ms[-1]) == OPENING_MS - 60_000
    assert np.all(np.diff(c.ts_ms) == 60_000) and np.all(c.ts_ms % 60_000 == 0)
    assert np.all(c.low <= np.minimum(c.open, c.close)) and np.all(c.high >= np.maximum(c.open, c.close))
    assert np.all(c.low > 0) and np.all(c.volume > 0)
    assert np.allclose(c.open[1:], c.close[:-1])  # a perpetual trades around the clock: no jumps


def test_fear_and_greed_history_drifts_into_extreme_fear() -> None:
    readings = history().fear_greed
    assert len(readings) >= 30
    stamps = np.array([r.ts_ms for r in readings])
    assert np.all(stamps % DAY_MS == 0) and np.all(np.diff(stamps) == DAY_MS)
    assert readings[-1].ts_ms == OPENING_MS // DAY_MS * DAY_MS
    assert (readings[-1].value, readings[-1].label) == (14, "Extreme Fear")
    assert all(r.label == fear_greed_band(r.value) for r in readings)
    first_week, last_week = (
        np.mean([r.value for r in readings[:7]]),
        np.mean([r.value for r in readings[-7:]]),
    )
    assert first_week >= 47 and last_week < first_week - 25  # from neutral/greed a month earlier, down
    assert all(
        r.value == 14 and r.label == "Extreme Fear" for r in (history(s).fear_greed[-1] for s in OTHER_SEEDS)
    )


def test_funding_is_negative_after_the_flush_and_open_interest_is_plausible() -> None:
    h = history()
    assert -0.001 < h.funding_rate < 0
    assert 5e9 < h.open_interest_usd < 1e11


# -- the opening figures (SCENARIO.md) -------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    price: float
    change_24h_pct: float
    fib_0618: float
    swing_low: float
    swing_high: float
    key_source: str
    resistance: float
    bounce_target: float
    breakdown_target: float
    breakdown_text: str
    liq_1h: float
    liq_24h: float
    long_share_1h: float
    long_share_24h: float
    btc_share_1h: float
    btc_share_24h: float


def opening_figures(seed: int) -> Opening:
    h = history(seed)
    c = h.candles_1m
    _, a = opening_analysis(h)
    assert a.ladder is not None and a.ladder.direction == "up"
    s = a.scenarios
    assert s.key is not None and s.bounce is not None and s.breakdown is not None
    assert a.zones.resistance is not None and s.bounce.target is not None and s.breakdown.target is not None
    w = windows(h)
    t1, t24 = w.totals(3600, OPENING_MS), w.totals(86_400, OPENING_MS)
    assert t1.long_share is not None and t24.long_share is not None
    own = windows(h, SYMBOL)
    return Opening(
        price=float(c.close[-1]),
        change_24h_pct=(float(c.close[-1]) / float(c.close[-1 - 1440]) - 1.0) * 100.0,
        fib_0618=a.ladder.level(0.618),
        swing_low=a.ladder.swing_low,
        swing_high=a.ladder.swing_high,
        key_source=s.key.source,
        resistance=a.zones.resistance.mid,
        bounce_target=s.bounce.target,
        breakdown_target=s.breakdown.target,
        breakdown_text=s.breakdown.target_text,
        liq_1h=t1.total_usd,
        liq_24h=t24.total_usd,
        long_share_1h=t1.long_share,
        long_share_24h=t24.long_share,
        btc_share_1h=own.totals(3600, OPENING_MS).total_usd / t1.total_usd,
        btc_share_24h=own.totals(86_400, OPENING_MS).total_usd / t24.total_usd,
    )


def assert_reference_day(o: Opening, liq_tol: float = LIQ_TOL) -> None:
    assert within(o.price, PRICE, PRICE_TOL), o.price
    assert abs(o.change_24h_pct - CHANGE_24H_PCT) <= CHANGE_TOL_POINTS, o.change_24h_pct
    assert within(o.swing_low, 72_200.0, 0.01) and within(o.swing_high, 79_000.0, 0.01), o
    assert within(o.fib_0618, FIB_0618, FIB_TOL), o.fib_0618
    assert o.key_source == "fib 0.618"
    assert within(o.resistance, RESISTANCE, LEVEL_TOL), o.resistance
    assert within(o.bounce_target, RESISTANCE, LEVEL_TOL), o.bounce_target
    assert within(o.breakdown_target, NEXT_LIQUIDITY, LEVEL_TOL), o.breakdown_target
    assert o.breakdown_text == "next liquidity zone"
    assert within(o.liq_1h, LIQ_1H_USD, liq_tol), o.liq_1h
    assert within(o.liq_24h, LIQ_24H_USD, liq_tol), o.liq_24h
    assert o.long_share_1h >= 0.8 and o.long_share_24h >= 0.9
    low, high = BTC_SHARE_RANGE
    assert low <= o.btc_share_1h <= high and low <= o.btc_share_24h <= high, o


def test_default_seed_opens_on_the_reference_day() -> None:
    assert_reference_day(opening_figures(DEFAULT_SEED), LIQ_TOL_DEFAULT_SEED)


@pytest.mark.parametrize("seed", OTHER_SEEDS)
def test_other_seeds_open_on_the_reference_day_too(seed: int) -> None:
    assert_reference_day(opening_figures(seed))


def test_the_last_hour_is_the_peak_hour_of_the_day() -> None:
    h = history()
    ts = np.array([e.ts_ms for e in h.liquidations])
    usd = np.array([e.notional_usd for e in h.liquidations])
    day = ts > OPENING_MS - DAY_MS
    hourly = np.bincount((ts[day] - (OPENING_MS - DAY_MS + 1)) // HOUR_MS, usd[day], minlength=24)
    assert len(hourly) == 24 and int(np.argmax(hourly)) == 23
    assert 0.18 <= hourly[-1] / hourly.sum() <= 0.26  # SCENARIO.md: ~22% of the day


def test_the_break_left_a_bearish_fair_value_gap_and_4h_momentum_is_weak() -> None:
    h = history()
    last_close = float(h.candles_1m.close[-1])
    fresh = []
    for tf_ms in (HOUR_MS, 15 * 60_000):
        c = resample(h.candles_1m, tf_ms)
        a = analyze(c, AnalyticsConfig(swing_length=5))
        recent = len(c) - 3 * HOUR_MS // tf_ms  # formed in the last three hours
        fresh += [g for g in a.gaps if g.kind == "bearish" and g.index >= recent and g.bottom > last_close]
    assert fresh, "the break should leave an unfilled bearish gap above the price on 1h or 15m"
    rsi_4h = rsi(resample(h.candles_1m, 4 * HOUR_MS).close)[-1]
    assert 25.0 <= rsi_4h < 50.0  # SCENARIO.md wants "approaching oversold"; closed 4h bars only


# -- liquidation prints ---------------------------------------------------------------------------------


def test_liquidations_cover_the_day_are_ordered_and_spread_over_simulated_venues() -> None:
    liqs = history().liquidations
    ts = [e.ts_ms for e in liqs]
    assert ts == sorted(ts) and ts[0] <= OPENING_MS - DAY_MS and ts[-1] < OPENING_MS
    day = [e for e in liqs if e.ts_ms > OPENING_MS - DAY_MS]
    assert {e.symbol for e in day} == set(SYMBOLS)  # every coin liquidates, and only the simulated ones
    assert len(VENUES) >= 3 and all(v.startswith("Sim") for v in VENUES)
    by_venue = {v: sum(e.notional_usd for e in liqs if e.venue == v) for v in VENUES}
    assert set(by_venue) == {e.venue for e in liqs}
    shares = sorted(by_venue.values())
    assert shares[0] > 0 and shares[-1] / shares[0] > 1.5  # uneven, as market shares are


def test_liquidation_sizes_are_heavy_tailed() -> None:
    usd = np.sort([e.notional_usd for e in history().liquidations])[::-1]
    top = usd[: len(usd) // 100].sum() / usd.sum()
    assert top > 0.20  # the top 1% of prints hold more than a fifth of the notional
    assert np.mean((usd >= 1e3) & (usd <= 1e5)) > 0.7  # most prints are $1k-$100k
    assert 3 <= int(np.sum(usd >= 1e6)) < len(usd) // 50  # a few $1M+ prints


def test_liquidations_come_in_cascades() -> None:
    liqs = history().liquidations
    minute = np.array([(e.ts_ms - OPENING_MS) // 60_000 for e in liqs])
    per_minute = np.bincount(minute - minute.min(), [e.notional_usd for e in liqs])
    busiest = np.sort(per_minute)[::-1][: len(per_minute) // 20]
    assert busiest.sum() > 0.5 * per_minute.sum()  # 5% of the minutes carry most of the notional


def test_leverage_map_releases_a_burst_when_price_falls_through_a_crowded_band() -> None:
    m = LeverageMap()
    m.open_positions(76_000.0, 50e6, 50e6)  # an even spread of leverage below and above
    m.add_band("long", 74_300.0, 74_650.0, 200e6)
    thin = m.copy().sweep(np.linspace(75_400.0, 74_900.0, 60))[0].sum()
    crowded = m.copy().sweep(np.linspace(74_900.0, 74_400.0, 60))[0].sum()
    assert crowded > 10 * thin  # the same 500-point fall, through a crowded band
    long_up, short_up = m.copy().sweep(np.linspace(76_000.0, 76_600.0, 60))
    assert long_up.sum() == 0 and short_up.sum() > 0  # rising prices liquidate shorts only
    first = m.sweep(np.array([75_000.0, 74_000.0]))[0].sum()
    again = m.sweep(np.array([75_000.0, 74_000.0]))[0].sum()
    assert first > 200e6 and again == 0  # swept positions are gone


def test_opening_leverage_sits_in_clusters_below_and_above_the_price() -> None:
    lev = DemoMarket().leverage()
    near_support = lev.resting("long", 74_300.0, 74_650.0) / 350
    gap_below = lev.resting("long", 73_700.0, 74_050.0) / 350
    assert near_support > 3 * gap_below
    assert lev.resting("long", 72_150.0, 72_650.0) > 3 * lev.resting("long", 72_700.0, 73_050.0)
    assert lev.resting("short", 75_300.0, 78_000.0) > 100e6 and lev.resting("long", 75_300.0, 78_000.0) == 0


# -- live -----------------------------------------------------------------------------------------------


def delivery_ms(e: MarketEvent) -> int:
    return e.ts_ms + 60_000 if isinstance(e, CandleClosed) else int(cast(Any, e).ts_ms)


def test_live_ticks_every_second_and_candles_match_their_ticks() -> None:
    market_events = live(DEFAULT_SEED, 30)
    assert [delivery_ms(e) for e in market_events] == sorted(delivery_ms(e) for e in market_events)
    events = btc(market_events)
    ticks = of_type(events, PriceTick)
    gaps = np.diff([OPENING_MS] + [t.ts_ms for t in ticks])
    assert len(ticks) == 30 * 60 and np.all(gaps <= 1000)
    assert within(ticks[0].price, PRICE, 0.005)  # continues from the last close
    candles = of_type(events, CandleClosed)
    assert [c.ts_ms for c in candles] == [OPENING_MS + 60_000 * i for i in range(30)]
    for c in candles:
        inside = [t.price for t in ticks if c.ts_ms <= t.ts_ms < c.ts_ms + 60_000]
        assert (c.open, c.high, c.low, c.close) == (inside[0], max(inside), min(inside), inside[-1])
        assert c.volume > 0
    derivs = of_type(events, DerivativesUpdate)
    assert [d.ts_ms for d in derivs] == [c.ts_ms + 60_000 for c in candles]
    assert all(d.funding_rate is not None and d.open_interest_usd for d in derivs)
    assert all(cast(Any, e).symbol == SYMBOL for e in events if not isinstance(e, SentimentUpdate))
    assert of_type(events, LiquidationEvent)  # the tape never goes silent for half an hour


def test_live_liquidations_follow_the_direction_and_fall_through_leverage() -> None:
    events = btc(live(DEFAULT_SEED, 180))  # BTC's own prints against BTC's own moves
    candles = of_type(events, CandleClosed)
    liqs = of_type(events, LiquidationEvent)
    minute = {c.ts_ms: i for i, c in enumerate(candles)}
    long_usd, short_usd = np.zeros(len(candles)), np.zeros(len(candles))
    for e in liqs:
        target = long_usd if e.side == "long" else short_usd
        target[minute[e.ts_ms // 60_000 * 60_000]] += e.notional_usd
    move = np.array([c.close / c.open - 1.0 for c in candles])
    fell, rose = move < -0.0005, move > 0.0005
    assert fell.sum() > 10 and rose.sum() > 10
    assert long_usd[fell].mean() > 5 * long_usd[rose].mean()
    assert short_usd[rose].mean() > 2 * short_usd[fell].mean()
    # The biggest minutes are crowded leverage being crossed: they are a handful, not spread out.
    assert np.sort(long_usd)[-5:].sum() > 0.4 * long_usd.sum()
    oi = [float(d.open_interest_usd or 0.0) for d in of_type(events, DerivativesUpdate)]
    worst = int(np.argmax(long_usd))
    assert worst > 0 and oi[worst] < oi[worst - 1]  # open interest drops in a cascade


def test_a_new_utc_day_publishes_a_sentiment_reading() -> None:
    midnight = OPENING_MS // DAY_MS * DAY_MS + DAY_MS
    market = DemoMarket()
    before = market.history().fear_greed
    events = market.advance(midnight)
    updates = of_type(events, SentimentUpdate)
    assert len(updates) == 1 and events[-1] is updates[0]
    u = updates[0]
    assert u.latest.ts_ms == midnight and u.history[:-1] == before and u.history[-1] == u.latest
    assert 1 <= u.latest.value <= 99 and u.latest.label == fear_greed_band(u.latest.value)
    assert of_type(market.advance(midnight + HOUR_MS), SentimentUpdate) == []


def scenario_after(seed: int, minutes: int) -> tuple[str, str, str]:
    """Which of the opening's targets the price reached first in ``minutes`` of live trading, and the
    bounce and breakdown statuses the analytics replay on the hourly bars (levels fixed at the opening)."""
    h = history(seed)
    _, a = opening_analysis(h)
    plan = a.scenarios
    assert plan.bounce is not None and plan.breakdown is not None
    assert plan.bounce.target is not None and plan.breakdown.target is not None
    events = btc(live(seed, minutes))
    ticks = np.array([t.price for t in of_type(events, PriceTick)])
    up = np.flatnonzero(ticks >= plan.bounce.target)
    down = np.flatnonzero(ticks <= plan.breakdown.target)
    first_up = int(up[0]) if len(up) else len(ticks)
    first_down = int(down[0]) if len(down) else len(ticks)
    reached = "neither" if first_up == first_down else "bounce" if first_up < first_down else "breakdown"
    closed = of_type(events, CandleClosed)
    c = h.candles_1m
    live_cols = [np.array([getattr(x, k) for x in closed]) for k in ("ts_ms", "open", "high", "low", "close")]
    merged = Candles.from_arrays(
        *(
            np.concatenate((old, new))
            for old, new in zip((c.ts_ms, c.open, c.high, c.low, c.close), live_cols, strict=True)
        )
    )
    replay = build_scenarios(resample(merged, HOUR_MS), a.ladder, a.gaps, a.zones)
    assert replay.bounce is not None and replay.breakdown is not None
    return reached, replay.bounce.status, replay.breakdown.status


def test_default_seed_plays_out_the_breakdown() -> None:
    reached, bounce, breakdown = scenario_after(DEFAULT_SEED, 180)
    # The default day fails a squeeze, closes an hour below the 0.618 support within three hours and
    # slides on to the next liquidity zone (reached after about four and a half hours).
    assert (reached, bounce, breakdown) == ("neither", "invalidated", "triggered")
    assert scenario_after(DEFAULT_SEED, 300)[0] == "breakdown"


def test_either_scenario_can_play_out_depending_on_the_seed() -> None:
    outcomes: dict[int, str] = {}
    for seed in range(1, 13):  # stop as soon as both have been seen
        outcomes[seed] = scenario_after(seed, 180)[0]
        if {"bounce", "breakdown"} <= set(outcomes.values()):
            break
    assert {"bounce", "breakdown"} <= set(outcomes.values()), outcomes
