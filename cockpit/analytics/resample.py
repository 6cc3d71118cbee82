"""Aggregate 1-minute candles into higher timeframes (bars aligned to multiples of the timeframe)."""

from __future__ import annotations

import numpy as np

from cockpit.analytics.candles import Candles


def resample(c: Candles, tf_ms: int, *, base_ms: int = 60_000, complete_only: bool = True) -> Candles:
    """Bars of ``tf_ms`` from finer candles: open of the first, max high, min low, close of the last.

    With ``complete_only`` the last bucket is kept only when the input reaches its end (the last input
    candle, ``base_ms`` long, closes at or after the bucket's end), so a forming higher-timeframe bar
    never feeds the analytics (nothing repaints).
    """
    n = len(c)
    if n == 0:
        return c
    bucket = (c.ts_ms // tf_ms) * tf_ms
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    ends = np.append(starts[1:], n) - 1
    out = Candles(
        bucket[starts],
        c.open[starts],
        np.maximum.reduceat(c.high, starts),
        np.minimum.reduceat(c.low, starts),
        c.close[ends],
        np.add.reduceat(c.volume, starts),
    )
    if complete_only and int(c.ts_ms[-1]) + base_ms < int(out.ts_ms[-1]) + tf_ms:
        out = out.head(len(out) - 1)
    return out
