"""The simulated leverage map and the liquidation prints it produces.

Every open leveraged position has a liquidation price: a long opened at ``p`` with leverage ``x`` is
liquidated near ``p * (1 - 1/x + maintenance)``, a short near ``p * (1 + 1/x - maintenance)``. The map keeps
the notional of the open positions by liquidation price on a log-spaced grid, one array per side. When the
price trades down through a level every long resting there is closed at once, so a fall through a crowded
band releases a burst (a cascade) and a fall through thin air releases little; rising prices do the same
to shorts. A swept level is empty until new positions are opened around it.

Prints are what a venue's feed would show: a swept amount is split into orders with heavy-tailed sizes
(most $1k-$100k, a few above $1M), each routed to one of the simulated venues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cockpit.analytics.liquidations import Side

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VENUES = ("SimEx Alpha", "SimEx Beta", "SimEx Gamma")
VENUE_SHARE = (0.52, 0.31, 0.17)  # uneven, as real venue market shares are

GRID_LOW = 30_000.0  # price of bin 0; the grid spans 30,000 .. ~200,000
GRID_STEP = 0.0002  # log width of a bin (~15 USD at 75,000)
GRID_BINS = 9_500
MAINTENANCE = 0.004  # maintenance margin: a position dies slightly before its margin is fully gone
LEVERAGE_RANGE = (3.0, 100.0)  # leverage is log-uniform over this range

MEAN_PRINT_USD = 38_000.0  # average print of a swept amount (sets how many prints a burst makes)
MIN_SWEEP_USD = 250.0  # amounts below this in one step are rounding dust, not an order


def _leverage_kernel(sign: int) -> FloatArray:
    """Share of new positions whose liquidation price falls in each bin away from the entry price.

    Bin j covers log distances [j, j+1) * GRID_STEP below (longs, sign -1) or above (shorts, +1) the entry.
    """
    lo, hi = LEVERAGE_RANGE
    # Liquidation distance as a fraction of price for a leverage x, and x back from a distance.
    far = 1.0 / lo - MAINTENANCE
    top = int(np.ceil(abs(np.log1p(sign * far)) / GRID_STEP)) + 1
    u = np.arange(top + 1, dtype=np.float64) * GRID_STEP
    dist = np.clip(np.abs(np.expm1(sign * u)), 1.0 / hi - MAINTENANCE, far)
    lev = 1.0 / (dist + MAINTENANCE)
    mass = np.log(lev[:-1] / lev[1:]) / np.log(hi / lo)
    return np.asarray(mass, dtype=np.float64)


_LONG_KERNEL = _leverage_kernel(-1)
_SHORT_KERNEL = _leverage_kernel(+1)


def price_to_bin(price: float | FloatArray) -> FloatArray:
    """Fractional bin position of prices on the grid."""
    return np.asarray(np.log(np.asarray(price, dtype=np.float64) / GRID_LOW) / GRID_STEP, dtype=np.float64)


class LeverageMap:
    """Open leveraged notional by liquidation price, longs below the price and shorts above it."""

    def __init__(self) -> None:
        self.long_usd: FloatArray = np.zeros(GRID_BINS)
        self.short_usd: FloatArray = np.zeros(GRID_BINS)

    def copy(self) -> LeverageMap:
        """An independent copy (the live market continues from the state at the opening)."""
        out = LeverageMap()
        out.long_usd = self.long_usd.copy()
        out.short_usd = self.short_usd.copy()
        return out

    def open_positions(self, price: float, long_usd: float, short_usd: float) -> None:
        """New positions entered at ``price``, spread over liquidation prices by the leverage mix."""
        centre = int(price_to_bin(price))
        k = len(_LONG_KERNEL)
        self.long_usd[centre - k : centre] += long_usd * _LONG_KERNEL[::-1]
        k = len(_SHORT_KERNEL)
        self.short_usd[centre + 1 : centre + 1 + k] += short_usd * _SHORT_KERNEL

    def add_band(self, side: Side, low: float, high: float, usd: float) -> None:
        """A crowded band: ``usd`` of liquidation prices spread evenly over [low, high], soft edges."""
        a, b = (float(x) for x in price_to_bin(np.array([low, high])))
        soft = float(np.clip((b - a) * 0.15, 1.0, 5.0))  # edges of ~0.1%: a band, not a hill
        lo, hi = max(int(a - 4 * soft), 0), min(int(b + 4 * soft) + 1, GRID_BINS)
        x = np.arange(lo, hi) + 0.5
        w = np.tanh((x - a) / soft) - np.tanh((x - b) / soft)
        target = self.long_usd if side == "long" else self.short_usd
        target[lo:hi] += usd * w / w.sum()

    def resting(self, side: Side, low: float, high: float) -> float:
        """Notional whose liquidation price lies in [low, high] (whole bins, for inspection and tests)."""
        a, b = (int(x) for x in price_to_bin(np.array([low, high])))
        arr = self.long_usd if side == "long" else self.short_usd
        return float(arr[a : b + 1].sum())

    def sweep(self, path: FloatArray, *, consume: bool = True) -> tuple[FloatArray, FloatArray]:
        """Walk the price through ``path`` and liquidate everything it reaches.

        Returns (long_usd, short_usd) liquidated at each point of the path. A long is hit once the running
        low reaches its price, a short once the running high does; the swept notional leaves the map
        (unless ``consume`` is False: a dry run to see what a path would release).
        """
        return _sweep_side(self.long_usd, path, -1, consume), _sweep_side(self.short_usd, path, +1, consume)


def _sweep_side(arr: FloatArray, path: FloatArray, sign: int, consume: bool) -> FloatArray:
    """Liquidations of one side along a path; ``sign`` -1 for longs (hit from above), +1 for shorts.

    A bin is hit when the price reaches its middle, so a bin is always swept whole and nothing is
    counted twice when the price comes back to the same level.
    """
    pos = price_to_bin(path)
    none = np.zeros(len(path))
    if sign < 0:
        # Longs rest below the price: the running low reaches them, bins from ceil(low - 1/2) up.
        hit_from = np.clip(np.ceil(np.minimum.accumulate(pos) - 0.5).astype(np.int64), 0, GRID_BINS)
        first = int(hit_from[-1])
        nz = np.flatnonzero(arr[first:])
        if not len(nz):
            return none
        seg = arr[first : first + nz[-1] + 1]
        above = np.concatenate((np.cumsum(seg[::-1])[::-1], [0.0]))  # notional in bins >= first + j
        swept = above[np.minimum(hit_from - first, len(seg))]
        if consume:
            seg[:] = 0.0
    else:
        # Shorts rest above: the running high reaches them, bins up to floor(high - 1/2).
        hit_to = np.clip(np.floor(np.maximum.accumulate(pos) - 0.5).astype(np.int64), -1, GRID_BINS - 1)
        last = int(hit_to[-1])
        nz = np.flatnonzero(arr[: last + 1])
        if not len(nz):
            return none
        start = int(nz[0])
        seg = arr[start : last + 1]
        below = np.concatenate(([0.0], np.cumsum(seg)))  # notional in bins start .. start + j - 1
        swept = below[np.maximum(hit_to + 1 - start, 0)]
        if consume:
            seg[:] = 0.0
    return np.diff(np.concatenate(([0.0], swept)))


@dataclass(frozen=True, slots=True)
class Prints:
    """Liquidation prints as parallel arrays (time-ordered)."""

    ts_ms: IntArray
    is_long: BoolArray
    venue: IntArray  # index into VENUES
    notional_usd: FloatArray
    price: FloatArray

    def __len__(self) -> int:
        return len(self.ts_ms)


def print_sizes(rng: np.random.Generator, n: int) -> FloatArray:
    """Relative order sizes: a lognormal body with a Pareto tail, so a few prints dwarf the rest."""
    body = rng.lognormal(0.0, 1.1, n)
    tail = rng.random(n) < 0.04
    # Capped: the very largest accounts are finite (a single print of tens of millions is rare news).
    body[tail] *= np.minimum(1.0 + rng.pareto(1.15, int(tail.sum())) * 6.0, 250.0)
    return np.asarray(body, dtype=np.float64)


def split_into_prints(
    rng: np.random.Generator,
    swept_usd: FloatArray,
    is_long: bool,
    start_ms: IntArray,
    span_ms: int,
    price: FloatArray,
) -> Prints:
    """Turn swept amounts (one per step, starting at ``start_ms`` and lasting ``span_ms``) into prints.

    Each step's amount is split into a Poisson number of orders (at least one) with heavy-tailed shares,
    timed inside the step and priced a hair around the step's price (fills are not all at one tick).
    """
    keep = swept_usd >= MIN_SWEEP_USD
    usd, t0, px = swept_usd[keep], start_ms[keep], price[keep]
    # A big sweep is many accounts: never so few orders that each must be huge.
    counts = np.maximum(rng.poisson(usd / MEAN_PRINT_USD), np.ceil(usd / 1.5e6).astype(np.int64))
    step = np.repeat(np.arange(len(usd)), counts)
    share = print_sizes(rng, len(step))
    total = np.bincount(step, weights=share, minlength=len(usd))
    notional = usd[step] * share / total[step]
    ts = t0[step] + rng.integers(0, span_ms, len(step))
    fill = px[step] * (1.0 + rng.normal(0.0, 0.00015, len(step)))
    venue = rng.choice(len(VENUES), len(step), p=VENUE_SHARE)
    return Prints(ts.astype(np.int64), np.full(len(step), is_long), venue.astype(np.int64), notional, fill)


def background_prints(
    rng: np.random.Generator,
    start_ms: int,
    span_ms: int,
    rate_per_s: float,
    long_share: float,
    price_ms: IntArray,
    price: FloatArray,
) -> Prints:
    """Stray liquidations of over-levered accounts that happen whatever the market does (small sizes),
    priced from the price path (``price`` at times ``price_ms``)."""
    n = int(rng.poisson(rate_per_s * span_ms / 1000.0))
    ts = np.sort(start_ms + rng.integers(0, span_ms, n))
    notional = 900.0 + rng.lognormal(np.log(2_500.0), 1.0, n)
    is_long = rng.random(n) < long_share
    venue = rng.choice(len(VENUES), n, p=VENUE_SHARE)
    fill = np.interp(ts, price_ms, price) * (1.0 + rng.normal(0.0, 0.0003, n))
    return Prints(ts.astype(np.int64), is_long, venue.astype(np.int64), notional, fill)


def merge_prints(parts: list[Prints]) -> Prints:
    """Concatenate and order by time (stable, so equal times keep their part order)."""
    if not parts:
        e_i, e_f = np.empty(0, np.int64), np.empty(0)
        return Prints(e_i, np.empty(0, np.bool_), e_i, e_f, e_f)
    ts = np.concatenate([p.ts_ms for p in parts])
    order = np.argsort(ts, kind="stable")
    return Prints(
        ts[order],
        np.concatenate([p.is_long for p in parts])[order],
        np.concatenate([p.venue for p in parts])[order],
        np.concatenate([p.notional_usd for p in parts])[order],
        np.concatenate([p.price for p in parts])[order],
    )
