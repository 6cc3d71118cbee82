"""The alarm state machine against a plain reference model, on random price paths (hypothesis).

Reference semantics, written from the issue: a cross above fires when the price is strictly above the level
and, since the alarm was created or last fired, the price was strictly below ``level - band`` (the band
is hysteresis_pct % of the level); touching the level is never a cross. A firing inside the cooldown is
dropped but still counts as the crossing (the price must go back beyond the band again). A once-alarm
fires at most once. Mirror image for "below".
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.model import (
    Alarm,
    AlarmError,
    fng_alarm,
    level_alarm,
    liq_alarm,
    parse_ref,
    price_alarm,
    rsi_alarm,
    zone_alarm,
)
from cockpit.config import AlarmSettings

BTC = "BTC/USDT:USDT"  # what an alarm built without a symbol watches
LEVEL = 100.0
# Prices on a coarse grid plus values hugging the level and the band edges, so equality happens often.
PRICES = st.one_of(
    st.integers(94, 106).map(float),
    st.sampled_from([99.0, 99.5, 99.95, 99.96, 100.0, 100.04, 100.05, 100.5, 101.0]),
)
STEPS = st.lists(st.tuples(st.integers(0, 3_000), PRICES), min_size=1, max_size=80)


def path_of(steps: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """(dt, price) steps -> (ts_ms, price), time never going back."""
    ts, out = 1_000_000, []
    for dt, p in steps:
        ts += dt
        out.append((ts, p))
    return out


def reference(
    path: list[tuple[int, float]], up: bool, band: float, cooldown_ms: int, once: bool
) -> list[int]:
    """Indexes of the ticks that fire, by the rules in the module docstring."""
    fired: list[int] = []
    went_back = False
    last_fire_ts: int | None = None
    for i, (ts, p) in enumerate(path):
        beyond = p > LEVEL if up else p < LEVEL
        back = p < LEVEL - band if up else p > LEVEL + band
        if went_back and beyond:
            went_back = False
            if last_fire_ts is None or ts - last_fire_ts >= cooldown_ms:
                fired.append(i)
                last_fire_ts = ts
                if once:
                    break
        elif back:
            went_back = True
    return fired


def run_book(alarm: Alarm, path: list[tuple[int, float]]) -> list[int]:
    book = AlarmBook(AlarmSettings())
    book.load([replace(alarm, id=1)])
    out = []
    for i, (ts, p) in enumerate(path):
        book.on_price(BTC, ts, p)
        got = book.take_fired()
        assert len(got) <= 1
        if got:
            f = got[0]
            assert (f.ts_ms, f.value, f.price) == (ts, p, p)
            assert f.prev_value == (path[i - 1][1] if i else None) == f.prev_price
            out.append(i)
    return out


@settings(max_examples=300, deadline=None)
@given(
    steps=STEPS,
    up=st.booleans(),
    pct=st.sampled_from([0.0, 0.05, 0.5, 1.0, 3.0]),
    cooldown_s=st.sampled_from([0.0, 1.0, 4.0]),
    once=st.booleans(),
)
def test_price_crossing_matches_the_reference(
    steps: list[tuple[int, float]], up: bool, pct: float, cooldown_s: float, once: bool
) -> None:
    path = path_of(steps)
    band = pct / 100.0 * LEVEL
    cooldown_ms = int(cooldown_s * 1000)
    alarm = price_alarm(
        LEVEL, "above" if up else "below", once=once, cooldown_s=cooldown_s, hysteresis_pct=pct
    )
    fired = run_book(alarm, path)
    assert fired == reference(path, up, band, cooldown_ms, once)
    # The same facts stated directly on the path:
    sign = 1.0 if up else -1.0
    for i in fired:
        assert i > 0, "a first observation never fires"
        prev, now = path[i - 1][1], path[i][1]
        assert sign * (now - LEVEL) > 0, "fires strictly beyond the level, never on equality"
        assert sign * (prev - LEVEL) <= 0, "the tick before was on the other side (or touching)"
    for i, j in itertools.pairwise(fired):
        assert path[j][0] - path[i][0] >= cooldown_ms, "never twice within the cooldown"
        assert any(sign * (p - LEVEL) < -band for _, p in path[i + 1 : j]), "re-armed only beyond the band"
    if once:
        assert len(fired) <= 1


@settings(max_examples=200, deadline=None)
@given(
    steps=STEPS, moves=st.lists(st.sampled_from([None, 97.0, 99.0, 100.0, 102.0]), min_size=80, max_size=80)
)
def test_a_moving_bound_level_fires_only_on_real_crossings(
    steps: list[tuple[int, float]], moves: list[float | None]
) -> None:
    """The level follows the analysis between ticks; firings still need prev <= level < now, and a
    level move itself never fires."""
    book = AlarmBook(AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.5))
    book.load([replace(level_alarm("support", "above"), id=1)])
    level: float | None = None
    path = path_of(steps)
    for i, (ts, p) in enumerate(path):
        if moves[i] != level and i % 3 == 0:
            level = moves[i]
            book.set_levels({"support": level})
            assert book.take_fired() == ()
        book.on_price(BTC, ts, p)
        for f in book.take_fired():
            assert level is not None and f.level == level
            assert f.prev_value is not None and f.prev_value <= level < f.value


@settings(max_examples=200, deadline=None)
@given(steps=STEPS, on=st.sampled_from(["enter", "leave"]), pct=st.sampled_from([0.0, 0.5, 2.0]))
def test_zone_enter_and_leave(steps: list[tuple[int, float]], on: str, pct: float) -> None:
    low, high = 98.0, 102.0
    book = AlarmBook(AlarmSettings(cooldown_s=0.0))
    book.load([replace(zone_alarm(low, high, on, hysteresis_pct=pct), id=1)])  # type: ignore[arg-type]
    path = path_of(steps)
    fired = []
    for i, (ts, p) in enumerate(path):
        book.on_price(BTC, ts, p)
        fired += [(i, f) for f in book.take_fired()]
    inside = [low < p < high for _, p in path]
    for n, (i, f) in enumerate(fired):
        assert i > 0 and f.level is None
        assert inside[i] == (on == "enter"), "enter fires strictly inside, leave strictly outside"
        if on == "enter":
            assert not inside[i - 1]
        else:
            assert low <= path[i - 1][1] <= high
        if n:  # went back beyond the band in between
            j = fired[n - 1][0]
            band = min(pct / 100 * (low + high) / 2, (high - low) / 4)
            between = [p for _, p in path[j + 1 : i]]
            if on == "enter":
                assert any(p < low - band or p > high + band for p in between)
            else:
                assert any(low + band < p < high - band for p in between)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 100), min_size=1, max_size=60), below=st.booleans())
def test_fear_greed_condition_fires_at_first_look_then_after_clearing(values: list[int], below: bool) -> None:
    x = 20.0 if below else 80.0
    book = AlarmBook(AlarmSettings(cooldown_s=0.0))
    book.load([replace(fng_alarm(x, "below" if below else "above"), id=1)])
    fired = []
    for i, v in enumerate(values):
        book.feed("fng", i * 1000, float(v))
        fired += [i for _ in book.take_fired()]
    holds = [(v <= x) if below else (v >= x) for v in values]
    expected, ready = [], True
    for i, h in enumerate(holds):
        if ready and h:
            expected.append(i)
            ready = False
        elif not h:
            ready = True  # integer index: clearing the condition is already beyond the tiny band
    assert fired == expected


def test_touching_is_not_a_cross_and_jitter_does_not_refire() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.05))  # band 0.05 at 100
    book.load([replace(price_alarm(100.0, "above"), id=1)])
    prices = [99.0, 100.0, 100.0, 100.01, 99.99, 100.02, 99.96, 100.03, 99.94, 100.01]
    fired = []
    for i, p in enumerate(prices):
        book.on_price(BTC, i, p)
        fired += [(f.ts_ms, f.prev_value, f.value) for f in book.take_fired()]
    # 100.01 fires (from 100.0); jitter to 99.99/99.96 stays inside the band; 99.94 re-arms; 100.01 fires.
    assert fired == [(3, 100.0, 100.01), (9, 99.94, 100.01)]


def test_cooldown_drops_a_crossing_and_once_alarms_finish() -> None:
    book = AlarmBook(AlarmSettings(hysteresis_pct=0.0))
    book.load(
        [
            replace(price_alarm(100.0, "above", cooldown_s=10.0), id=1),
            replace(price_alarm(100.0, "above", once=True), id=2),
        ]
    )
    path = [(0, 99.0), (1000, 101.0), (2000, 99.0), (3000, 101.0), (4000, 99.0), (15_000, 101.0)]
    fired = []
    for ts, p in path:
        book.on_price(BTC, ts, p)
        fired += [(f.alarm_id, f.ts_ms, f.final) for f in book.take_fired()]
    assert fired == [(1, 1000, False), (2, 1000, True), (1, 15_000, False)]
    statuses = {s.alarm.id: s for s in book.statuses()}
    assert statuses[2].alarm.done and not statuses[2].armed
    assert statuses[1].alarm.fired_count == 2 and statuses[1].alarm.last_fired_ms == 15_000


def test_muted_alarms_never_fire_and_reload_keeps_runtime_state() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.0))
    a = replace(price_alarm(100.0, "above"), id=1, rev=1)
    book.load([a, replace(price_alarm(100.0, "above", muted=True), id=2, rev=1)])
    book.on_price(BTC, 0, 99.0)
    book.load([a, replace(price_alarm(100.0, "above", muted=True), id=2, rev=1)])  # same revisions
    book.on_price(BTC, 1, 101.0)
    assert [f.alarm_id for f in book.take_fired()] == [1]
    assert len(book.take_unrecorded()) == 1 and book.take_unrecorded() == []
    # The store has not written the firing yet: a reload with the stale status does not forget it.
    book.load([a])
    assert book.statuses()[0].alarm.fired_count == 1


def test_condition_alarm_that_fired_before_restart_waits_for_the_condition_to_clear() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0))
    book.load([replace(liq_alarm(100e6, 3600), id=1, last_fired_ms=5, fired_count=1)])
    book.feed("liq:3600:all:BTC", 10, 150e6)
    assert book.take_fired() == ()
    book.feed("liq:3600:all:BTC", 20, 50e6)
    book.feed("liq:3600:all:BTC", 30, 120e6)
    (f,) = book.take_fired()
    assert (f.ts_ms, f.prev_value, f.value, f.level) == (30, 50e6, 120e6, 100e6)


def test_rsi_alarm_needs_a_previous_value() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0))
    book.load([replace(rsi_alarm(30, "1h", "below"), id=1)])
    book.feed("rsi:1h:BTC/USDT:USDT", 0, 25.0)  # already below: no cross without a value before
    book.feed("rsi:1h:BTC/USDT:USDT", 1, 35.0)
    book.feed("rsi:1h:BTC/USDT:USDT", 2, 29.0)
    assert [(f.prev_value, f.value) for f in book.take_fired()] == [(35.0, 29.0)]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: price_alarm(-1, "above"), "price level must be a number > 0 and at most 1e+09, got -1"),
        (lambda: price_alarm(float("nan"), "above"), "price level must be a number > 0"),
        (lambda: price_alarm(1, "sideways"), "direction must be above or below, got 'sideways'"),  # type: ignore[arg-type]
        (lambda: zone_alarm(75_000, 74_000), "zone low 75000 must be below zone high 74000"),
        (lambda: level_alarm("fib 0.7x", "above"), "unknown level 'fib 0.7x'"),
        (lambda: liq_alarm(1e6, 30), "liquidation window must be 1 minute to 24 hours, got 30 seconds"),
        (lambda: fng_alarm(120, "below"), "Fear & Greed value must be a number in [0, 100], got 120"),
        (lambda: rsi_alarm(30, "2h", "below"), "RSI timeframe must be one of 1m 5m 15m 1h 4h 1d, got '2h'"),
        (
            lambda: Alarm("price", direction="above", level=1.0, window_s=60),
            "a price alarm takes no window_s",
        ),
        (lambda: price_alarm(1, "above", cooldown_s=-5), "cooldown (seconds) must be a number in [0, 86400]"),
    ],
)
def test_invalid_alarms_name_the_value(make: object, message: str) -> None:
    with pytest.raises(AlarmError) as err:
        make()  # type: ignore[operator]
    assert message in str(err.value) and "\n" not in str(err.value)


def test_refs_are_canonical() -> None:
    assert parse_ref("Fib .618") == "fib 0.618"
    assert parse_ref("  bounce   Trigger ") == "bounce trigger"
    assert parse_ref("fibonacci 1.618") == "fib 1.618"
    assert level_alarm("FIB 0.5", "below").describe() == "BTC/USDT:USDT price below fib 0.5"
    assert liq_alarm(100e6, 3600, "long").describe() == "BTC liquidations 1h > $100M (long)"
    assert liq_alarm(100e6, 3600, symbol="market").describe() == "market liquidations 1h > $100M"
    assert fng_alarm(20, "below").describe() == "Fear & Greed ≤ 20"


def test_level_moves_rejudge_the_alarm_without_firing() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.5))
    book.load([replace(level_alarm("bounce trigger", "above"), id=1)])
    book.chart(BTC)  # its instrument is the one analysed
    book.on_price(BTC, 0, 100.0)  # no level yet: nothing to judge
    book.set_levels({"bounce trigger": 99.0})  # price already above the new level: not a crossing
    book.on_price(BTC, 1, 100.2)
    assert book.take_fired() == ()
    book.set_levels({"bounce trigger": 102.0})  # the level moved above the price: armed at once
    assert book.statuses()[0].armed and book.take_fired() == ()
    book.on_price(BTC, 2, 102.5)
    (f,) = book.take_fired()
    assert (f.prev_value, f.level, f.value) == (100.2, 102.0, 102.5)
    book.set_levels({"bounce trigger": None})  # gone from the analysis: dormant
    book.on_price(BTC, 3, 50.0)
    book.on_price(BTC, 4, 200.0)
    assert book.take_fired() == () and book.statuses()[0].level is None


def test_a_changed_definition_is_never_mistaken_for_the_same_alarm() -> None:
    book = AlarmBook(AlarmSettings(cooldown_s=0.0, hysteresis_pct=0.0))
    book.load([replace(price_alarm(100.0, "above"), id=1, rev=1)])
    book.on_price(BTC, 0, 99.0)
    book.load([replace(price_alarm(200.0, "above"), id=1, rev=1)])  # same revision, new level
    book.on_price(BTC, 1, 150.0)
    book.on_price(BTC, 2, 201.0)
    assert [(f.level, f.value) for f in book.take_fired()] == [(200.0, 201.0)]
