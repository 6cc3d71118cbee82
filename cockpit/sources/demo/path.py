"""The simulated price history before the opening: seeded noise around a designed skeleton.

The skeleton is a piecewise-linear path through knots (time, price) that tells the story of the reference
day: an older range near 77,000, a flush to a double bottom near 72,200-72,450, a rally to about 79,000, a
stepped slide back through the old range (relief hours that are sold before they make a higher low) and,
in the last hour, a break below 75,200. Noise is layered on it at two scales so the candles look like a
market rather than a drawing:

* hourly deviations: an AR(1) wander, scaled per knot ("looseness") and pinned to zero at pinned knots, so
  the structure the story needs (no extra pivots where a desk would not draw one) survives every seed;
* minute paths: Brownian bridges between the hourly points (and pinned knots inside an hour), with
  volatility that clusters (a slowly varying log-volatility) and rises where the skeleton says the market
  was stressed, plus the occasional jump.

No level is stored anywhere: the swing highs and lows, zones and Fibonacci levels are whatever the
cockpit's analytics find in these candles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MINUTE_MS = 60_000
HISTORY_DAYS = 10
HISTORY_MINUTES = HISTORY_DAYS * 1440

# Knots: (hours relative to the opening, price, looseness, volatility multiple, pinned).
# Looseness is the hourly wander as a fraction of price; pinned knots carry no wander, so the designed
# turning points and the opening price keep their place whatever the seed.
_K = tuple[float, float, float, float, bool]
SKELETON: tuple[_K, ...] = (
    # An older, higher regime: choppy trade in the low 80,000s.
    (-240.0, 80_900.0, 0.0020, 1.0, False),
    (-228.0, 81_700.0, 0.0025, 1.0, False),
    (-216.0, 80_600.0, 0.0025, 1.0, False),
    (-204.0, 81_900.0, 0.0025, 1.0, False),
    (-192.0, 80_800.0, 0.0025, 1.1, False),
    (-182.0, 81_300.0, 0.0020, 1.1, False),
    # A drop into the old range around 77,000, which holds for a day and a half.
    (-172.0, 77_400.0, 0.0006, 1.5, True),
    (-166.0, 77_100.0, 0.0004, 1.0, False),
    (-160.0, 77_330.0, 0.0004, 0.9, False),
    (-154.0, 77_100.0, 0.0004, 0.9, False),
    (-148.0, 77_380.0, 0.0004, 0.9, False),
    (-142.0, 77_100.0, 0.0004, 0.9, False),
    (-137.0, 77_300.0, 0.0004, 1.0, True),
    # The flush to the first low, a sharp relief bounce, and the second low a little lower.
    (-108.0, 73_300.0, 0.0006, 1.7, False),
    (-104.0, 72_420.0, 0.0002, 0.9, True),
    (-96.0, 73_950.0, 0.0004, 1.3, True),
    (-84.0, 72_900.0, 0.0004, 1.4, False),
    (-81.0, 72_340.0, 0.0002, 0.9, True),
    # The rally to the swing high, fastest early (short covering), slowing into the top.
    (-68.0, 74_700.0, 0.0006, 1.3, False),
    (-54.0, 76_750.0, 0.0006, 1.2, False),
    (-42.0, 78_100.0, 0.0006, 1.1, False),
    (-30.0, 78_760.0, 0.0002, 1.1, True),
    (-27.0, 78_820.0, 0.0003, 1.0, False),
    # The slide: 24 hours before the opening the price is still near the top. It steps down, and every
    # few hours a relief hour closes higher, but each bounce is sold before it can make a higher low.
    (-24.0, 78_680.0, 0.0004, 1.0, True),
    (-23.0, 78_410.0, 0.0003, 1.1, False),
    (-22.0, 78_160.0, 0.0003, 1.1, False),
    (-21.0, 78_340.0, 0.0003, 1.1, False),
    (-20.0, 78_070.0, 0.0003, 1.1, False),
    (-19.0, 77_880.0, 0.0003, 1.1, False),
    (-18.0, 78_030.0, 0.0003, 1.1, False),
    (-17.0, 77_760.0, 0.0003, 1.1, False),
    (-16.0, 77_480.0, 0.0003, 1.1, False),
    (-15.0, 77_700.0, 0.0003, 1.1, False),
    (-14.0, 77_420.0, 0.0003, 1.1, False),
    (-13.0, 77_210.0, 0.0003, 1.1, False),
    (-12.0, 77_330.0, 0.0003, 1.1, False),
    (-11.0, 77_060.0, 0.0003, 1.1, False),
    (-10.0, 76_800.0, 0.0003, 1.1, False),
    (-9.0, 76_990.0, 0.0003, 1.1, False),
    (-8.0, 76_720.0, 0.0003, 1.1, False),
    (-7.0, 76_520.0, 0.0003, 1.1, False),
    (-6.0, 76_690.0, 0.0003, 1.1, False),
    (-5.0, 76_430.0, 0.0003, 1.1, False),
    (-4.0, 76_220.0, 0.0003, 1.1, False),
    (-3.0, 76_350.0, 0.0002, 1.2, True),
    (-2.0, 75_950.0, 0.0002, 1.1, True),
    # The last hour: the break below 75,200 with a long-liquidation cascade, and a small rebound.
    (-1.5, 75_920.0, 0.0000, 1.2, True),
    (-1.0, 75_850.0, 0.0000, 1.2, True),
    (-0.70, 75_720.0, 0.0000, 1.8, True),
    (-0.45, 75_060.0, 0.0000, 2.4, True),
    (-0.30, 74_990.0, 0.0000, 2.0, True),
    (0.0, 75_203.0, 0.0000, 1.5, True),
)

BASE_MINUTE_VOL = 0.00026  # 1-minute log-return volatility of a calm hour (~20 USD at 75,000)
BASE_MINUTE_VOLUME_BTC = 150.0


@dataclass(frozen=True, slots=True)
class PricePath:
    """1-minute candles ending at the opening, with the per-minute volatility used to draw them."""

    ts_ms: IntArray  # open time of each minute
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    sigma: FloatArray  # 1-minute log volatility of each minute


def _ar1(noise: FloatArray, phi: float, taps: int = 256) -> FloatArray:
    """AR(1) filter y[t] = phi * y[t-1] + noise[t], as a truncated convolution (no Python loop)."""
    kernel = phi ** np.arange(min(taps, len(noise)), dtype=np.float64)
    return np.convolve(noise, kernel)[: len(noise)]


def skeleton_at(minutes: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Skeleton price, looseness and volatility multiple at times given in minutes relative to the opening."""
    t = np.array([k[0] * 60.0 for k in SKELETON])
    cols = [np.array([k[i] for k in SKELETON]) for i in (1, 2, 3)]
    return np.interp(minutes, t, cols[0]), np.interp(minutes, t, cols[1]), np.interp(minutes, t, cols[2])


def history_path(seed: int, opening_ms: int) -> PricePath:
    """Draw the 1-minute history that ends at ``opening_ms`` (the last candle opens one minute before)."""
    n = HISTORY_MINUTES
    hours = n // 60
    rng = np.random.default_rng([seed, 1])
    # Boundaries b = 0..n are the minute edges; b's time is (b - n) minutes relative to the opening.
    edge_t = np.arange(n + 1, dtype=np.float64) - n
    skel, loose, volx = skeleton_at(edge_t)

    # Hourly wander, pinned to zero at the pinned knots (and at both ends).
    wander = _ar1(rng.standard_normal(hours + 1), 0.75)
    wander /= np.std(wander) or 1.0
    pins = sorted({0, hours, *(hours + round(k[0]) for k in SKELETON if k[4])})
    wander -= np.interp(np.arange(hours + 1), pins, wander[pins])
    hour_edges = np.arange(0, n + 1, 60)
    dev = np.interp(edge_t + n, hour_edges, wander * loose[hour_edges] * skel[hour_edges])

    # Minute volatility: a clustered log-vol (hour scale and minute scale) times the skeleton's stress.
    log_vol = 0.22 * _ar1(rng.standard_normal(n), 0.995, 1024) * np.sqrt(1 - 0.995**2)
    log_vol += 0.18 * _ar1(rng.standard_normal(n), 0.9, 64) * np.sqrt(1 - 0.9**2)
    sigma = BASE_MINUTE_VOL * np.exp(log_vol) * volx[:-1]
    steps = rng.standard_normal(n) * sigma
    # Heavier tails than a Gaussian: an occasional minute jumps by a few sigmas.
    steps += np.where(rng.random(n) < 0.01, rng.standard_normal(n) * 3.0 * sigma, 0.0)
    # Brownian bridges between anchors (every hour edge, and pinned knots inside an hour), so the noise
    # never moves a pinned point.
    walk = np.concatenate(([0.0], np.cumsum(steps)))
    anchors = np.union1d(hour_edges, [n + k[0] * 60.0 for k in SKELETON if k[4]]).clip(0, n)
    log_noise = walk - np.interp(edge_t + n, anchors, np.interp(anchors, edge_t + n, walk))
    edges = (skel + dev) * np.exp(log_noise)

    opens, closes = edges[:-1], edges[1:]
    wick = np.abs(rng.standard_normal((2, n))) * 0.45 * sigma * opens
    high = np.maximum(opens, closes) + wick[0]
    low = np.minimum(opens, closes) - wick[1]
    move = np.abs(np.log(closes / opens)) / sigma
    volume = BASE_MINUTE_VOLUME_BTC * volx[:-1] * np.exp(log_vol) * (0.6 + 0.5 * move)
    volume *= rng.lognormal(0.0, 0.35, n)
    ts = opening_ms - MINUTE_MS * np.arange(n, 0, -1, dtype=np.int64)
    return PricePath(ts, opens, high, low, closes, volume, sigma)
