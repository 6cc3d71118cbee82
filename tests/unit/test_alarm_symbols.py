"""Alarms per instrument: each alarm judges its own symbol's prices, whichever one is charted; level and
RSI alarms wait while their instrument is not the analysed one; liquidation alarms sum their coin's
markets or the whole market."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cockpit.alarms.evaluate import AlarmBook, stream_of
from cockpit.alarms.model import (
    MARKET,
    Alarm,
    AlarmError,
    AlarmFired,
    AlarmStatus,
    fng_alarm,
    level_alarm,
    liq_alarm,
    price_alarm,
    rsi_alarm,
    zone_alarm,
)
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import AlarmSettings, Config
from cockpit.engine.market_state import MarketState
from cockpit.models import PriceTick
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS
from cockpit.sources.demo.source import DemoSource
from cockpit.wiring import demo_engine

BTC, ETH, BTC_USDC = "BTC/USDT:USDT", "ETH/USDT:USDT", "BTC/USDC:USDC"
SETTINGS = AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.0)
T0 = 1_770_000_000_000


def state_with(*alarms: Alarm, charted: str = BTC) -> MarketState:
    """A market state charting ``charted`` whose alarm book holds ``alarms`` (ids 1, 2, ...)."""
    state = MarketState(Config(alarms=SETTINGS), charted, "live", False)
    state.alarm_book = AlarmBook(SETTINGS)
    state.alarm_book.load([replace(a, id=i, rev=1) for i, a in enumerate(alarms, 1)])
    return state


def ticks(state: MarketState, *prices: tuple[str, float]) -> list[AlarmFired]:
    """Apply (symbol, price) ticks a second apart, each as its own batch; the firings they caused."""
    for k, (symbol, price) in enumerate(prices):
        ts = T0 + (state.seq + k + 1) * 1_000
        state.apply_many([PriceTick("venue", symbol, ts, price)], ts)
    state.seq += len(prices)
    assert state.alarm_book is not None
    return list(state.alarm_book.take_fired())


def test_each_alarm_names_its_instrument_or_the_market() -> None:
    assert price_alarm(3_000, "above", symbol=ETH).describe() == "ETH/USDT:USDT price above 3,000"
    assert zone_alarm(1, 2, symbol=ETH).describe() == "ETH/USDT:USDT price enters 1–2"
    assert rsi_alarm(30, "1h", "below", symbol=ETH).describe() == "ETH/USDT:USDT RSI 1h below 30"
    assert liq_alarm(5e6, 3600, "long", symbol=BTC_USDC).describe() == "BTC liquidations 1h > $5M (long)"
    assert liq_alarm(1e8, 3600, symbol=MARKET).describe() == "market liquidations 1h > $100M"
    assert fng_alarm(20, "below", symbol=ETH).symbol == MARKET  # one index: always the market's
    assert price_alarm(1, "above").symbol == BTC  # built in code without one: the default instrument
    assert stream_of(price_alarm(1, "above", symbol=ETH)) == "price:ETH/USDT:USDT"
    assert stream_of(liq_alarm(1, 3600, "short", symbol=BTC_USDC)) == "liq:3600:short:BTC"
    assert stream_of(liq_alarm(1, 3600, symbol=MARKET)) == "liq:3600:all:market"


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        (MARKET, "a price alarm watches one instrument, not the whole market"),
        ("", "symbol must be a market such as BTC/USDT:USDT, got ''"),
        ("BTC USDT", "symbol must be a market such as BTC/USDT:USDT"),
        ("BTC\x1b]52;", "symbol must be a market such as BTC/USDT:USDT"),
        ("X" * 65, "symbol must be a market such as BTC/USDT:USDT"),
    ],
)
def test_a_symbol_is_checked_like_any_other_value(symbol: str, message: str) -> None:
    with pytest.raises(AlarmError, match=message.replace("(", r"\(")):
        price_alarm(1, "above", symbol=symbol)


def test_an_eth_alarm_fires_from_eth_ticks_while_btc_is_charted_never_from_btc() -> None:
    state = state_with(price_alarm(3_000, "above", symbol=ETH))
    assert ticks(state, (BTC, 2_900.0), (BTC, 80_000.0)) == []  # BTC "crossed" 3,000: not its market
    assert ticks(state, (ETH, 2_990.0), (BTC, 2_000.0), (BTC, 81_000.0)) == []
    (f,) = ticks(state, (ETH, 3_010.0))
    assert (f.alarm_id, f.prev_value, f.value, f.price, f.prev_price) == (
        1,
        2_990.0,
        3_010.0,
        3_010.0,
        2_990.0,
    )
    assert f.description == "ETH/USDT:USDT price above 3,000" and state.symbol == BTC


def test_a_btc_alarm_ignores_eth_prices_after_the_chart_switches_to_eth() -> None:
    state = state_with(price_alarm(80_000, "above"), zone_alarm(79_500, 79_900, symbol=BTC))
    assert ticks(state, (BTC, 79_000.0)) == []
    state.follow(ETH)
    state.feed_alarms(T0)
    assert ticks(state, (ETH, 79_000.0), (ETH, 79_700.0), (ETH, 81_000.0)) == []
    # Still watched off screen: its own ticks fire it.
    assert [(f.alarm_id, f.value) for f in ticks(state, (BTC, 79_700.0), (BTC, 80_500.0))] == [
        (2, 79_700.0),
        (1, 80_500.0),
    ]


def liq(ts: int, symbol: str, usd: float, side: str = "long") -> LiquidationEvent:
    return LiquidationEvent(ts, "Binance", symbol, side, usd, 1.0)  # type: ignore[arg-type]


def test_market_liquidation_alarms_sum_every_coin_coin_alarms_only_theirs() -> None:
    state = state_with(
        liq_alarm(10e6, 3600, symbol=MARKET),
        liq_alarm(5e6, 3600, symbol=BTC),  # BTC: its USDT and USDC markets together
        liq_alarm(6e6, 3600, symbol=ETH),
        liq_alarm(1.0, 3600, symbol="SOL/USDT:USDT"),  # no SOL liquidation at all: a zero total
    )
    book = state.alarm_book
    assert book is not None
    state.apply_many([liq(T0, BTC, 3e6)], T0)
    state.apply_many([liq(T0 + 1_000, ETH, 5e6)], T0 + 1_000)  # market 8M, BTC 3M, ETH 5M
    assert book.take_fired() == ()
    state.apply_many([liq(T0 + 2_000, BTC_USDC, 3e6)], T0 + 2_000)  # market 11M, BTC 6M
    got = {f.alarm_id: f.value for f in book.take_fired()}
    assert got == {1: 11e6, 2: 6e6}
    values = {st.alarm.id: st.value for st in book.statuses()}
    assert values == {1: 11e6, 2: 6e6, 3: 5e6, 4: 0.0}


def test_a_coin_alarm_records_its_own_instruments_price() -> None:
    state = state_with(liq_alarm(1e6, 3600, symbol=ETH), liq_alarm(1e6, 3600, symbol=MARKET))
    ticks(state, (ETH, 3_000.0), (BTC, 80_000.0))
    state.apply_many([liq(T0 + 9_000, ETH, 2e6)], T0 + 9_000)
    assert state.alarm_book is not None
    by_id = {f.alarm_id: f for f in state.alarm_book.take_fired()}
    assert by_id[1].price == 3_000.0 and by_id[2].price is None  # the market has no one price


def status(book: AlarmBook, alarm_id: int) -> AlarmStatus:
    return next(s for s in book.statuses() if s.alarm.id == alarm_id)


def test_level_alarms_wait_for_their_own_instruments_levels() -> None:
    book = AlarmBook(SETTINGS)
    book.load(
        [
            replace(level_alarm("support", "below", symbol=ETH), id=1),
            replace(level_alarm("support", "below"), id=2),
        ]
    )
    book.chart(BTC)
    book.set_levels({"support": 3_000.0})  # BTC's analysis: never ETH's
    for ts, (symbol, price) in enumerate([(ETH, 3_100.0), (ETH, 2_900.0), (BTC, 3_100.0), (BTC, 2_900.0)]):
        book.on_price(symbol, ts, price)
    assert [f.alarm_id for f in book.take_fired()] == [2]
    eth = status(book, 1)
    assert (eth.level, eth.armed) == (None, False)
    assert eth.waiting == "levels of ETH/USDT:USDT are computed while it is charted"
    assert status(book, 2).waiting is None
    book.chart(ETH)  # now ETH is analysed, and BTC's alarm waits
    book.set_levels({"support": 2_950.0})
    assert status(book, 1).waiting is None and status(book, 1).level == 2_950.0
    assert status(book, 2).waiting == "levels of BTC/USDT:USDT are computed while it is charted"
    book.on_price(ETH, 10, 3_100.0)  # beyond the band: armed
    book.on_price(ETH, 11, 2_900.0)
    assert [f.alarm_id for f in book.take_fired()] == [1]


def test_rsi_alarms_wait_off_chart_and_start_afresh_when_charted_again() -> None:
    book = AlarmBook(SETTINGS)
    book.load(
        [replace(rsi_alarm(30, "1h", "below"), id=1), replace(rsi_alarm(30, "1h", "below", symbol=ETH), id=2)]
    )
    book.chart(BTC)
    book.feed("rsi:1h:BTC/USDT:USDT", 0, 35.0)
    assert status(book, 2).waiting == "RSI of ETH/USDT:USDT is computed while it is charted"
    book.chart(ETH)
    book.chart(BTC)
    book.feed("rsi:1h:BTC/USDT:USDT", 1, 25.0)  # 35 was before the gap: no crossing is known
    assert book.take_fired() == ()
    book.feed("rsi:1h:BTC/USDT:USDT", 2, 35.0)
    book.feed("rsi:1h:BTC/USDT:USDT", 3, 29.0)
    assert [(f.alarm_id, f.prev_value) for f in book.take_fired()] == [(1, 35.0)]


def test_the_engine_never_judges_an_eth_level_alarm_on_btc_levels() -> None:
    """The simulated market's BTC analysis has resistance ~76,990; ETH prices crossing that number are not
    a crossing of ETH's resistance, which is not computed while BTC is charted."""
    clock = ManualClock(OPENING_MS)
    engine = demo_engine(Config(alarms=SETTINGS), DEFAULT_SEED, clock)
    source = engine.sources[0]
    assert isinstance(source, DemoSource)
    for event in source.backfill_events():
        engine.emit(event)
    engine.drain()
    engine.alarms.book.load(
        [
            replace(level_alarm("resistance", "above", symbol=ETH), id=1, rev=1),
            replace(rsi_alarm(50, "1m", "above", symbol=ETH), id=2, rev=1),
        ]
    )
    for price in (76_000.0, 78_000.0, 76_000.0, 78_000.0):
        clock.advance(1_000)
        engine.emit(PriceTick("demo", ETH, clock.ms, price))
        engine.drain()
    snap = engine.snapshot()
    assert snap.fired_alarms == () and snap.symbol == BTC
    level, rsi_st = snap.alarms
    assert (level.level, level.value, level.armed) == (None, 78_000.0, False)
    assert level.waiting == "levels of ETH/USDT:USDT are computed while it is charted"
    assert rsi_st.value is None and rsi_st.waiting == "RSI of ETH/USDT:USDT is computed while it is charted"
