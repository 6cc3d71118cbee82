"""Simulated Crypto Fear & Greed readings: a month drifting from greed into extreme fear, then live days.

Readings are daily at 00:00 UTC like the real index, labelled with the bands the real API emits. The
history wanders (seeded) around a path that slides from greed through neutral and fear, and the newest
reading, on the reference day, is exactly 14 ("Extreme Fear") whatever the seed.
"""

from __future__ import annotations

import numpy as np

from cockpit.analytics.sentiment import fear_greed_band
from cockpit.models import FearGreedReading

DAY_MS = 86_400_000
HISTORY_READINGS = 45
OPENING_READING = 14

# (days before the newest reading, index value) the history slides through.
_PATH = (
    (44, 66.0),
    (36, 61.0),
    (28, 52.0),
    (20, 44.0),
    (12, 34.0),
    (6, 27.0),
    (3, 22.0),
    (1, 17.0),
    (0, 14.0),
)


def fear_greed_history(seed: int, newest_ms: int) -> tuple[FearGreedReading, ...]:
    """Daily readings, oldest first, the newest stamped ``newest_ms`` (00:00 UTC) with value 14."""
    rng = np.random.default_rng([seed, 3])
    days_before = np.arange(HISTORY_READINGS - 1, -1, -1, dtype=np.float64)
    x, y = zip(*reversed(_PATH), strict=True)
    base = np.interp(days_before, x, y)
    # Day-to-day wander that persists for a few days, fading out so the newest value is exact.
    wander = np.convolve(rng.normal(0.0, 3.2, HISTORY_READINGS), 0.7 ** np.arange(6))[:HISTORY_READINGS]
    wander *= np.clip(days_before / 3.0, 0.0, 1.0)
    values = np.clip(np.rint(base + wander), 1, 99).astype(int)
    values[-1] = OPENING_READING
    return tuple(
        FearGreedReading(newest_ms - int(d) * DAY_MS, int(v), fear_greed_band(int(v)))
        for d, v in zip(days_before, values, strict=True)
    )


def next_reading(seed: int, day_ms: int, previous: int, change_24h_pct: float, liq_24h_usd: float) -> int:
    """The reading published at ``day_ms``: pulled toward what the last day's market says, with noise.

    A falling market and heavy liquidations keep the index low; a recovery lifts it slowly, as the real
    index (a blend of volatility, momentum and social measures) tends to lag price.
    """
    rng = np.random.default_rng([seed, 4, day_ms // DAY_MS])
    mood = 45.0 + 6.0 * change_24h_pct - 8.0 * np.log1p(liq_24h_usd / 2e8)
    value = previous + 0.45 * (mood - previous) + rng.normal(0.0, 2.5)
    return int(np.clip(np.rint(value), 1, 99))
