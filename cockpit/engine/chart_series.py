"""The series the chart draws besides the closed candles, built from market state (numpy, no Textual):
the forming bar appended to a timeframe's closed bars, RSI of closed bars only, liquidations per bar."""

from __future__ import annotations

import numpy as np

from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.rsi import rsi
from cockpit.analytics.windows import LiquidationWindows
from cockpit.models import ChartLiquidations

LiveMinute = tuple[int, float, float, float, float]  # ts_ms, open, high, low, close of the forming minute


def with_forming_bar(closed: Candles, minutes: Candles, live: LiveMinute | None, tf_ms: int) -> Candles:
    """``closed`` plus the bar still forming, aggregated from the closed minutes after the last closed bar
    and the live minute. Its volume is 0 until it closes."""
    start = (closed.ts_ms[-1] + tf_ms) if len(closed) else (minutes.ts_ms[0] if len(minutes) else 0)
    tail = minutes.ts_ms >= start
    parts = [
        (minutes.ts_ms[tail], minutes.open[tail], minutes.high[tail], minutes.low[tail], minutes.close[tail])
    ]
    if live is not None and live[0] >= start:
        parts.append(tuple(np.array([v]) for v in live))  # type: ignore[arg-type]
    ts, o, h, lo, cl = (np.concatenate(x) for x in zip(*parts, strict=True))
    if not len(ts):
        return closed
    bucket = int(ts[0] // tf_ms * tf_ms)
    return Candles.from_arrays(
        np.append(closed.ts_ms, bucket),
        np.append(closed.open, o[0]),
        np.append(closed.high, h.max()),
        np.append(closed.low, lo.min()),
        np.append(closed.close, cl[-1]),
        np.append(closed.volume, 0.0),
    )


def closed_rsi(closed: Candles | None, bars: int, period: int) -> FloatArray:
    """RSI of the closed bars, aligned with ``bars`` chart bars; NaN for the forming bar, whose value would
    still move (nothing on screen repaints). Read-only."""
    out = np.full(bars, np.nan)
    if closed is not None and len(closed):
        values = rsi(closed.close, period)
        n = min(len(values), bars)
        out[:n] = values[:n]
    out.flags.writeable = False
    return out


def liquidations_per_bar(
    windows: LiquidationWindows, candles: Candles, tf_ms: int, symbol: str | None = None
) -> ChartLiquidations:
    """Notional and notional-weighted price per side for every chart bar, of the charted ``symbol`` when
    the windows hold several (read-only arrays)."""
    ts = candles.ts_ms
    edges = np.append(ts, ts[-1] + tf_ms) if len(ts) else np.zeros(1, np.int64)
    arrays = windows.per_bucket(edges.astype(np.int64), symbol)
    for a in arrays:
        a.flags.writeable = False
    return ChartLiquidations(*arrays)
