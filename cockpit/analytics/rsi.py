"""Wilder's RSI, vectorised for history and O(1) per bar for live updates.

Definition (TA-Lib compatible): with period N, the first average gain and loss are the simple means of the
first N close-to-close changes, so the first RSI value sits at index N; after that each average is smoothed
as ``avg = (avg * (N - 1) + x) / N``. RSI = 100 * gain / (gain + loss), and 50 when both averages are 0
(a flat market is neutral; TA-Lib prints 0 there, which would read as "oversold").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cockpit.analytics.candles import FloatArray


def rsi(close: FloatArray, period: int = 14) -> FloatArray:
    """RSI for every bar; NaN before index ``period`` (warm-up)."""
    if period < 1:
        raise ValueError("rsi: period must be >= 1")
    close = np.asarray(close, dtype=np.float64)
    n = len(close)
    out = np.full(n, np.nan)
    if n <= period:
        return out
    seed, smoothed = _averages(close, period)
    _ratio_into(seed[:, None], out[period : period + 1])
    _ratio_into(smoothed, out[period + 1 :])
    return out


# Bars smoothed per pass: the working set (a few arrays of this many floats) stays in the CPU cache,
# which measured ~2x faster at 10^6 bars than whole-array passes.
_CHUNK = 1 << 15


@dataclass(frozen=True)
class _Blocks:
    """Wilder smoothing y[k] = decay*y[k-1] + alpha*x[k], run in blocks of ``size`` bars (see _averages)."""

    alpha: float
    decay: float
    size: int
    grow: FloatArray  # decay^-j within a block
    scale_out: FloatArray  # alpha * decay^j
    carry: float  # decay^size: what the state entering a block is worth at its end
    tail_scale: float  # alpha * decay^(size-1)


def _blocks(period: int) -> _Blocks:
    alpha = 1.0 / period
    decay = 1.0 - alpha
    # d^-B must stay far from overflow: B * -log(d) <= 150.
    size = int(max(1, min(1024, 150.0 / -np.log(decay)))) if decay > 0.0 else 1
    k = np.arange(size, dtype=np.float64)
    grow = decay**-k if decay > 0.0 else np.ones(size)
    return _Blocks(alpha, decay, size, grow, alpha * decay**k, decay**size, alpha * decay ** (size - 1))


def _averages(close: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Seed [gain, loss] (mean of the first N changes) and the smoothed rows for bars N+1..n-1.

    Wilder smoothing is y[k] = d*y[k-1] + a*x[k] (a = 1/N, d = 1 - a). A Python loop costs ~0.3 s per
    10^6 bars, so it runs in blocks of B bars: inside a block y[k] = d^k * (a*cumsum(x[j]*d^-j) + d*s),
    one cumulative sum and no loop; only the state entering each block is chained in a loop. B keeps
    d^-B far from overflow, and the gain and loss terms never change sign, so the sums lose nothing to
    cancellation (measured within 1e-13 of TA-Lib). Work is in place and chunked: at 10^6 bars each
    extra pass over memory costs about 1 ms, the same order as TA-Lib's whole RSI.
    """
    change = np.diff(close[: period + 1])
    seed = np.array([change[change > 0].sum(), -change[change < 0].sum()]) / period
    m = len(close) - period - 1
    plan = _blocks(period)
    per_chunk = max(1, _CHUNK // plan.size)
    out = np.empty((2, m))
    buffers = _Buffers(
        np.empty((per_chunk, plan.size)), np.empty((2, per_chunk, plan.size)), np.empty((2, per_chunk))
    )
    state = [float(seed[0]), -float(seed[1])]  # losses stay negative until the end
    for lo in range(0, m, per_chunk * plan.size):
        hi = min(m, lo + per_chunk * plan.size)
        _smooth_chunk(close[period + lo : period + hi + 1], plan, state, buffers, out[:, lo:hi])
    out[1] *= -1.0
    return seed, out


@dataclass(frozen=True)
class _Buffers:
    """Scratch arrays reused by every chunk (allocating per chunk costs a pass over memory)."""

    diff: FloatArray  # price changes, scaled by d^-j
    work: FloatArray  # [gain, loss] cumulative sums
    entering: FloatArray  # [gain, loss] state entering each block


def _smooth_chunk(
    prices: FloatArray, plan: _Blocks, state: list[float], buf: _Buffers, out: FloatArray
) -> None:
    """Smoothed [gain, loss] for the changes between consecutive ``prices`` into ``out``; ``state`` (the
    [gain, loss] entering the chunk) is left as it leaves it."""
    n = len(prices) - 1
    nb = -(-n // plan.size)
    d = buf.diff[:nb]
    flat = d.reshape(-1)
    flat[n:] = 0.0
    np.subtract(prices[1:], prices[:-1], out=flat[:n])
    d *= plan.grow  # d^-j > 0 keeps each sign, so gains and losses can be split after scaling
    w = buf.work[:, :nb]
    np.maximum(d, 0.0, out=w[0])
    np.minimum(d, 0.0, out=w[1])
    np.cumsum(w, axis=2, out=w)
    entering = buf.entering
    # Locals, not the list and the plan's fields: with short blocks (small periods) this loop runs per bar.
    gain, loss = state
    carry, tail_scale = plan.carry, plan.tail_scale
    for b in range(nb):
        entering[0, b] = gain
        entering[1, b] = loss
        gain = carry * gain + tail_scale * w[0, b, -1]
        loss = carry * loss + tail_scale * w[1, b, -1]
    state[:] = gain, loss
    if plan.alpha < 1.0:
        w += ((plan.decay / plan.alpha) * entering[:, :nb])[:, :, None]
    w *= plan.scale_out
    out[:] = w.reshape(2, -1)[:, :n]


def _ratio_into(averages: FloatArray, out: FloatArray) -> None:
    """Write 100 * gain / (gain + loss) per column of [gain, loss] rows into out; 50 where both are 0."""
    np.add(averages[0], averages[1], out=out)
    flat = out == 0.0
    with np.errstate(invalid="ignore"):
        np.divide(averages[0], out, out=out)
    out *= 100.0
    out[flat] = 50.0  # flat market: neutral


@dataclass(frozen=True, slots=True)
class RsiState:
    """Everything needed to extend an RSI series by one bar in O(1)."""

    period: int
    last_close: float
    avg_gain: float
    avg_loss: float
    bars: int  # closes seen so far
    seed_gain_sum: float = 0.0  # sums of the first changes until the seed is complete
    seed_loss_sum: float = 0.0

    @property
    def value(self) -> float | None:
        """RSI after the last bar, None during warm-up."""
        if self.bars <= self.period:
            return None
        total = self.avg_gain + self.avg_loss
        return 50.0 if total == 0.0 else 100.0 * self.avg_gain / total


def rsi_state(close: FloatArray, period: int = 14) -> RsiState:
    """Replay a history into an incremental state (O(n) once)."""
    state = RsiState(period, float("nan"), 0.0, 0.0, 0)
    if len(close) <= 2 * period:
        for c in np.asarray(close, dtype=np.float64):
            state = rsi_update(state, float(c))
        return state
    closes = np.asarray(close, dtype=np.float64)
    seed, smoothed = _averages(closes, period)
    last = smoothed[:, -1] if smoothed.shape[1] else seed
    return RsiState(period, float(closes[-1]), float(last[0]), float(last[1]), len(closes))


def rsi_update(state: RsiState, close: float) -> RsiState:
    """The state after one more closed bar; equals the batch ``rsi`` at that bar."""
    n = state.period
    if state.bars == 0:
        return RsiState(n, close, 0.0, 0.0, 1)
    change = close - state.last_close
    gain = change if change > 0 else 0.0
    loss = -change if change < 0 else 0.0
    bars = state.bars + 1
    if bars <= n:  # still collecting the seed's first N changes
        return RsiState(n, close, 0.0, 0.0, bars, state.seed_gain_sum + gain, state.seed_loss_sum + loss)
    if bars == n + 1:
        g_sum = state.seed_gain_sum + gain
        l_sum = state.seed_loss_sum + loss
        return RsiState(n, close, g_sum / n, l_sum / n, bars)
    avg_gain = (state.avg_gain * (n - 1) + gain) / n
    avg_loss = (state.avg_loss * (n - 1) + loss) / n
    return RsiState(n, close, avg_gain, avg_loss, bars)
