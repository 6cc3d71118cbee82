"""The simulated market's coins: every coin has a plausible level, moves with BTC and more than BTC,
liquidates through its own book, can be charted (history and live), and never moves BTC's own numbers.

The reference day itself (BTC's levels, the market-wide totals) is checked in test_demo_market.py.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.windows import LiquidationWindows
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.models import Backfill, CandleClosed, MarketEvent, PriceTick
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.coins import BTC_SHARE, COINS
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS, SYMBOL, SYMBOLS, DemoHistory, DemoMarket
from cockpit.sources.demo.path import history_path
from cockpit.sources.demo.source import DemoSource

HOUR_MS, DAY_MS = 3_600_000, 86_400_000
ALTS = SYMBOLS[1:]


@functools.cache
def history(seed: int = DEFAULT_SEED) -> DemoHistory:
    return DemoMarket(seed).history()


@functools.cache
def live(minutes: int) -> tuple[MarketEvent, ...]:
    return tuple(DemoMarket().advance(OPENING_MS + minutes * 60_000))


def returns(c: Candles) -> np.ndarray:
    return np.diff(np.log(np.concatenate(([c.open[0]], c.close))))


def test_the_market_is_15_to_20_usdt_perpetuals_with_btc_first() -> None:
    assert 15 <= len(SYMBOLS) <= 20 and SYMBOLS[0] == SYMBOL == "BTC/USDT:USDT"
    assert len(set(SYMBOLS)) == len(SYMBOLS)
    assert all(s.endswith("/USDT:USDT") and s.split("/")[0].isalnum() for s in SYMBOLS)
    assert {"ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT", "DOGE/USDT:USDT"} <= set(SYMBOLS)
    assert sum(c.share for c in COINS) == pytest.approx(1.0)
    assert 0.25 <= BTC_SHARE <= 0.40 and COINS[0].share == BTC_SHARE == max(c.share for c in COINS)


def test_every_coin_opens_at_its_level_after_a_market_wide_slide() -> None:
    h = history()
    assert set(h.coin_candles) == set(SYMBOLS) and h.coin_candles[SYMBOL] is h.candles_1m
    for coin in COINS[1:]:
        c = h.coin_candles[coin.symbol]
        assert np.array_equal(c.ts_ms, h.candles_1m.ts_ms)
        assert float(c.close[-1]) == pytest.approx(coin.price_usd, rel=1e-9)
        assert np.all(c.low <= np.minimum(c.open, c.close)) and np.all(c.high >= np.maximum(c.open, c.close))
        assert np.all(c.low > 0) and np.all(c.volume > 0) and np.allclose(c.open[1:], c.close[:-1])
        change = float(c.close[-1]) / float(c.close[-1441]) - 1.0
        assert -0.15 < change < 0.0, (coin.symbol, change)  # the whole market slid with BTC


def test_alts_move_with_btc_and_more_than_btc() -> None:
    h = history()
    btc = returns(h.candles_1m)
    for symbol in ALTS:
        alt = returns(h.coin_candles[symbol])
        corr = float(np.corrcoef(btc, alt)[0, 1])
        assert 0.4 < corr < 0.97, (symbol, corr)  # a market factor plus the coin's own noise
        assert np.std(alt) > np.std(btc), symbol
    # Memecoins swing harder than the large caps.
    pepe, eth = (np.std(returns(h.coin_candles[s])) for s in ("1000PEPE/USDT:USDT", "ETH/USDT:USDT"))
    assert pepe > 1.3 * eth


def test_btc_history_is_its_designed_path_whatever_the_other_coins_do() -> None:
    for seed in (DEFAULT_SEED, 3):
        path, c = history_path(seed, OPENING_MS), history(seed).candles_1m
        assert np.array_equal(path.close, c.close) and np.array_equal(path.volume, c.volume)
    a, b, other = history(), DemoMarket().history(), history(3)
    for symbol in ALTS:  # seeded: the same seed gives the same coins, another seed other coins
        assert np.array_equal(a.coin_candles[symbol].close, b.coin_candles[symbol].close)
        assert not np.array_equal(a.coin_candles[symbol].close, other.coin_candles[symbol].close)


def test_every_coin_liquidates_through_its_own_book_longs_in_the_flush() -> None:
    h = history()
    last_hour = [e for e in h.liquidations if e.ts_ms > OPENING_MS - HOUR_MS]
    total = sum(e.notional_usd for e in last_hour)
    for coin in COINS:
        mine = [e for e in last_hour if e.symbol == coin.symbol]
        usd = sum(e.notional_usd for e in mine)
        assert usd > 0 and sum(e.notional_usd for e in mine if e.side == "long") > 0.8 * usd, coin.symbol
        # Liquidation prints are at the coin's own prices (within the hour's range, a hair outside).
        c = h.coin_candles[coin.symbol]
        hour = c.ts_ms >= OPENING_MS - HOUR_MS
        assert all(0.99 * c.low[hour].min() <= e.price <= 1.01 * c.high[hour].max() for e in mine)
        assert 0.3 * coin.share < usd / total < 3.0 * coin.share, (coin.symbol, usd / total)
    assert all(e.venue.startswith("SimEx") for e in h.liquidations)


def test_every_coin_ticks_every_second_and_its_candles_match_its_ticks() -> None:
    events = live(10)
    for symbol in SYMBOLS:
        ticks = [e for e in events if isinstance(e, PriceTick) and e.symbol == symbol]
        assert [t.ts_ms for t in ticks] == [OPENING_MS + 500 + 1000 * k for k in range(600)]
        candles = [e for e in events if isinstance(e, CandleClosed) and e.symbol == symbol]
        assert [c.ts_ms for c in candles] == [OPENING_MS + 60_000 * k for k in range(10)]
        for c in candles:
            inside = [t.price for t in ticks if c.ts_ms <= t.ts_ms < c.ts_ms + 60_000]
            assert (c.open, c.high, c.low, c.close) == (inside[0], max(inside), min(inside), inside[-1])
        coin = COINS[SYMBOLS.index(symbol)]
        assert ticks[0].price == pytest.approx(coin.price_usd if symbol != SYMBOL else 75_203, rel=0.01)
        assert all(round(t.price, coin.decimals) == t.price for t in ticks)  # quoted to the coin's tick
    assert all(e.source == "simulator" for e in events if isinstance(e, PriceTick | CandleClosed))


def test_live_alts_follow_btc_minute_by_minute() -> None:
    events = live(120)
    closes = {
        s: np.array([e.close for e in events if isinstance(e, CandleClosed) and e.symbol == s])
        for s in SYMBOLS
    }
    btc = np.diff(np.log(closes[SYMBOL]))
    for symbol in ALTS:
        corr = float(np.corrcoef(btc, np.diff(np.log(closes[symbol])))[0, 1])
        assert corr > 0.3, (symbol, corr)
    liqs = [e for e in events if isinstance(e, LiquidationEvent)]
    assert {e.symbol for e in liqs} >= {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}


def test_the_source_gives_any_coins_candles_history_then_live() -> None:
    clock = ManualClock(OPENING_MS)
    source = DemoSource(DEFAULT_SEED, clock)
    assert source.symbols == SYMBOLS and source.simulated
    backfills = [e for e in source.backfill_events() if isinstance(e, Backfill)]
    assert [b.symbol for b in backfills] == list(SYMBOLS)
    assert all(e.symbol == b.symbol for b in backfills for e in b.liquidations)
    assert backfills[0].sentiment is not None and all(b.sentiment is None for b in backfills[1:])
    before = source.candles("SOL/USDT:USDT")
    assert np.array_equal(before.close, backfills[2].candles_1m.close)
    events = source.market.advance(OPENING_MS + 5 * 60_000 + 30_000)
    after = source.candles("SOL/USDT:USDT")
    assert len(after) == len(before) + 5 and int(after.ts_ms[-1]) == OPENING_MS + 4 * 60_000
    sol = [e for e in events if isinstance(e, CandleClosed) and e.symbol == "SOL/USDT:USDT"]
    assert after.close[-5:].tolist() == [c.close for c in sol]
    with pytest.raises(KeyError):
        source.candles("NOPE/USDT:USDT")


def test_the_engine_follows_btc_and_counts_every_coins_liquidations() -> None:
    clock = ManualClock(OPENING_MS)
    source = DemoSource(DEFAULT_SEED, clock)
    engine = Engine(Config(), [source], clock, symbol=SYMBOL, kind="demo")
    for opening in source.backfill_events():
        engine.emit(opening)
    clock.advance(30 * 60_000)
    events = source.market.advance(clock.now_ms())
    for event in events:
        engine.emit(event)
    snap = engine.snapshot()
    assert snap.symbol == SYMBOL and snap.price == pytest.approx(75_203, rel=0.03)
    assert len(snap.candles) and float(snap.candles.low.min()) > 30_000  # BTC's bars only
    # The windows add up every coin's prints, history and live: BTC is only its share of them.
    liqs = [*history().liquidations, *(e for e in events if isinstance(e, LiquidationEvent))]
    day = snap.liquidations.windows["24h"].total_usd
    everything, btc_only = (LiquidationWindows((86_400,)) for _ in range(2))
    everything.ingest(liqs)
    btc_only.ingest(e for e in liqs if e.symbol == SYMBOL)
    assert day == pytest.approx(everything.totals(86_400, clock.now_ms()).total_usd, rel=1e-9)
    assert 0.25 < btc_only.totals(86_400, clock.now_ms()).total_usd / day < 0.45
    assert set(snap.liquidations.scope) == set(SYMBOLS)
    marks = snap.chart_liquidations
    assert marks is not None
    prices = np.concatenate((marks.long_price, marks.short_price))
    prices = prices[~np.isnan(prices)]
    assert len(prices) and np.all(prices > 30_000)  # the chart's markers are BTC's, at BTC's prices


def test_every_simulated_coin_has_funding_and_open_interest() -> None:
    """Charting an alt shows its own derivatives (issue 18 §4): open interest in proportion to its share
    of the market's leverage, funding BTC's times its beta (same sign, larger for high-beta coins)."""
    from cockpit.sources.demo.coins import BTC_SHARE, COINS
    from cockpit.sources.demo.market import OPENING_MS
    from cockpit.wiring import demo_engine, demo_steps

    clock = ManualClock(OPENING_MS)
    engine = demo_engine(Config(), 7, clock)
    for _ in demo_steps(engine, clock, 120):
        pass
    _, views = engine.views([(c.symbol, "1h") for c in COINS])
    btc = views[(COINS[0].symbol, "1h")]
    assert btc.funding_rate is not None and btc.open_interest_usd is not None
    for coin in COINS[1:]:
        alt = views[(coin.symbol, "1h")]
        assert alt.symbol == coin.symbol and not alt.loading
        assert alt.open_interest_usd == pytest.approx(btc.open_interest_usd * coin.share / BTC_SHARE)
        assert alt.funding_rate == pytest.approx(btc.funding_rate * coin.beta)
        assert alt.price is not None and alt.price != btc.price
