"""RSI: hand-worked values, TA-Lib agreement on real candles, incremental == batch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics import Candles, rsi, rsi_state, rsi_update
from cockpit.analytics.rsi import RsiState
from tests.reference import requires_talib, talib


def test_hand_worked_period_3() -> None:
    # changes: +1, +1, -1 | +2, -3
    close = np.array([10.0, 11.0, 12.0, 11.0, 13.0, 10.0])
    out = rsi(close, 3)
    assert np.isnan(out[:3]).all()
    g, lo = 2 / 3, 1 / 3  # seed: simple means of the first three changes
    assert out[3] == pytest.approx(100 * g / (g + lo))
    g, lo = (g * 2 + 2) / 3, (lo * 2 + 0) / 3  # Wilder smoothing
    assert out[4] == pytest.approx(100 * g / (g + lo))
    g, lo = (g * 2 + 0) / 3, (lo * 2 + 3) / 3
    assert out[5] == pytest.approx(100 * g / (g + lo))


def test_flat_market_is_50_and_one_way_markets_are_0_and_100() -> None:
    assert rsi(np.full(40, 7.0))[14:].tolist() == [50.0] * 26
    assert rsi(np.arange(40.0))[14:].tolist() == [100.0] * 26
    assert rsi(np.arange(40.0)[::-1])[14:].tolist() == [0.0] * 26


def test_warm_up_and_short_input() -> None:
    assert np.isnan(rsi(np.arange(14.0))).all()
    out = rsi(np.arange(15.0))
    assert np.isnan(out[:14]).all() and out[14] == 100.0
    assert len(rsi(np.empty(0))) == 0
    with pytest.raises(ValueError):
        rsi(np.arange(5.0), 0)


@requires_talib
@pytest.mark.parametrize("period", [2, 5, 14, 30])
def test_equals_talib_on_real_candles(btc_1h: Candles, period: int) -> None:
    ours = rsi(btc_1h.close, period)
    assert talib is not None  # requires_talib
    ref = talib.RSI(btc_1h.close, timeperiod=period)
    assert np.array_equal(np.isnan(ours), np.isnan(ref))
    assert np.nanmax(np.abs(ours - ref)) < 1e-9


@requires_talib
def test_equals_talib_on_a_million_bars() -> None:
    # Long enough to cross many blocks and chunks of the vectorised recursion.
    rng = np.random.default_rng(7)
    close = 30_000 + np.cumsum(rng.normal(0, 40, 1_000_003))
    assert talib is not None  # requires_talib
    assert np.nanmax(np.abs(rsi(close) - talib.RSI(close, 14))) < 1e-9


def test_incremental_update_equals_batch(btc_1h: Candles) -> None:
    close = btc_1h.close[:600]
    batch = rsi(close)
    state = RsiState(14, math.nan, 0.0, 0.0, 0)
    for k, c in enumerate(close):
        state = rsi_update(state, float(c))
        if k < 14:
            assert state.value is None
        else:
            assert state.value == pytest.approx(batch[k], abs=1e-9)


def test_state_from_history_then_updates(btc_1h: Candles) -> None:
    close = btc_1h.close[:3000]
    state = rsi_state(close[:2500])
    for c in close[2500:]:
        state = rsi_update(state, float(c))
    assert state.value == pytest.approx(rsi(close)[-1], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1e6, allow_nan=False), min_size=2, max_size=300),
    st.integers(1, 20),
    st.integers(0, 50),
)
def test_causal_and_bounded(values: list[float], period: int, extra: int) -> None:
    close = np.array(values)
    n = max(1, len(close) - extra)
    short, full = rsi(close[:n], period), rsi(close, period)
    assert np.allclose(short, full[:n], equal_nan=True, rtol=0, atol=1e-9)
    finite = full[~np.isnan(full)]
    assert ((finite >= 0) & (finite <= 100)).all()
