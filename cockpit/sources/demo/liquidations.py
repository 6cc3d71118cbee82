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
_LONG_KERNEL_REVERSED = np.ascontiguousarray(_LONG_KERNEL[::-1])


def price_to_bin(price: float | FloatArray) -> FloatArray:
    """Fractional bin position of prices on the grid."""
    return np.asarray(np.log(np.asarray(price, dtype=np.float64) / GRID_LOW) / GRID_STEP, dtype=np.float64)


class LeverageMaps:
    """Open leveraged notional by liquidation price for several coins at once, one row per coin.

    Every coin's book lives on the same log grid: a coin's prices are multiplied by its ``unit`` (the
    reference price over the coin's price) before they meet the grid, so a 10x long on SOL sits 10% under
    its entry exactly as on BTC, and one array operation sweeps every coin.
    """

    def __init__(self, units: FloatArray) -> None:
        self.units: FloatArray = np.asarray(units, dtype=np.float64).reshape(-1, 1)
        rows = len(self.units)
        self.long_usd: FloatArray = np.zeros((rows, GRID_BINS))
        self.short_usd: FloatArray = np.zeros((rows, GRID_BINS))
        # Bounds of the bins that can hold anything (longs below ``long_top``, shorts from ``short_bottom``):
        # a sweep reads only what lies between them and the path, not the whole grid of every coin.
        self.long_top = 0
        self.short_bottom = GRID_BINS

    def copy(self) -> LeverageMaps:
        """An independent copy."""
        out = LeverageMaps(self.units)
        out.long_usd, out.short_usd = self.long_usd.copy(), self.short_usd.copy()
        out.long_top, out.short_bottom = self.long_top, self.short_bottom
        return out

    def bins(self, prices: FloatArray) -> FloatArray:
        """Fractional grid positions of each row's prices (shape (rows, k) or (rows,))."""
        p = np.asarray(prices, dtype=np.float64)
        return price_to_bin(p * (self.units if p.ndim == 2 else self.units[:, 0]))

    def open_positions(self, prices: FloatArray, long_usd: FloatArray, short_usd: FloatArray) -> None:
        """New positions entered at each row's price, spread over liquidation prices by the leverage mix."""
        centre = self.bins(prices).astype(np.int64)
        k_long, k_short = len(_LONG_KERNEL), len(_SHORT_KERNEL)
        # A slice add per row: each row's kernel lands at its own offset, and scattering all rows at once
        # through fancy indices (gather, add, scatter of ~4,000 bins a row) measured 8x slower.
        for row, (c, lg, sh) in enumerate(
            zip(centre.tolist(), np.ravel(long_usd), np.ravel(short_usd), strict=True)
        ):
            self.long_usd[row, c - k_long : c] += lg * _LONG_KERNEL_REVERSED
            self.short_usd[row, c + 1 : c + 1 + k_short] += sh * _SHORT_KERNEL
        self.long_top = max(self.long_top, int(centre.max()))
        self.short_bottom = min(self.short_bottom, int(centre.min()) + 1)

    def add_band(self, row: int, side: Side, low: float, high: float, usd: float) -> None:
        """A crowded band on one row: ``usd`` of liquidation prices spread evenly over [low, high] (in the
        row's own prices), soft edges."""
        a, b = (float(x) for x in price_to_bin(np.array([low, high]) * self.units[row, 0]))
        soft = float(np.clip((b - a) * 0.15, 1.0, 5.0))  # edges of ~0.1%: a band, not a hill
        lo, hi = max(int(a - 4 * soft), 0), min(int(b + 4 * soft) + 1, GRID_BINS)
        x = np.arange(lo, hi) + 0.5
        w = np.tanh((x - a) / soft) - np.tanh((x - b) / soft)
        target = self.long_usd if side == "long" else self.short_usd
        target[row, lo:hi] += usd * w / w.sum()
        self.long_top, self.short_bottom = max(self.long_top, hi), min(self.short_bottom, lo)

    def sweep(self, paths: FloatArray, *, consume: bool = True) -> tuple[FloatArray, FloatArray]:
        """Walk each row's price through its path (shape (rows, k)) and liquidate everything it reaches.

        Returns (long_usd, short_usd) liquidated at each point, shape (rows, k). A long is hit once the
        running low reaches its price, a short once the running high does; the swept notional leaves the
        map (unless ``consume`` is False: a dry run to see what a path would release).
        """
        pos = self.bins(paths)
        return self._sweep_longs(pos, consume), self._sweep_shorts(pos, consume)

    def _sweep_longs(self, pos: FloatArray, consume: bool) -> FloatArray:
        """Longs rest below the price: the running low reaches them, bins from ceil(low - 1/2) up.

        A bin is hit when the price reaches its middle, so a bin is always swept whole and nothing is
        counted twice when the price comes back to the same level. (np.minimum/np.maximum rather than
        np.clip, and no np.diff: on arrays this small their Python wrappers cost more than the maths.)
        """
        hit_from = np.minimum(np.maximum(np.ceil(np.minimum.accumulate(pos, axis=1) - 0.5), 0), GRID_BINS)
        hit_from = hit_from.astype(np.int64)
        lo, hi = int(hit_from[:, -1].min()), self.long_top
        if hi <= lo:
            return np.zeros(pos.shape)
        seg = self.long_usd[:, lo:hi]
        # Notional in bins >= lo + j, per row; the extra zero column is "above everything".
        above = np.zeros((len(seg), hi - lo + 1))
        np.cumsum(seg[:, ::-1], axis=1, out=above[:, -2::-1])
        swept = above[np.arange(len(seg))[:, None], np.minimum(hit_from - lo, hi - lo)]
        if consume:
            seg[np.arange(lo, hi)[None, :] >= hit_from[:, -1:]] = 0.0
            self.long_top = int(hit_from[:, -1].max())
        return _steps(swept)

    def _sweep_shorts(self, pos: FloatArray, consume: bool) -> FloatArray:
        """Shorts rest above: the running high reaches them, bins up to floor(high - 1/2)."""
        hit_to = np.minimum(np.maximum(np.floor(np.maximum.accumulate(pos, axis=1) - 0.5), -1), GRID_BINS - 1)
        hit_to = hit_to.astype(np.int64)
        lo, hi = self.short_bottom, int(hit_to[:, -1].max()) + 1
        if hi <= lo:
            return np.zeros(pos.shape)
        seg = self.short_usd[:, lo:hi]
        below = np.zeros((len(seg), hi - lo + 1))
        np.cumsum(seg, axis=1, out=below[:, 1:])
        swept = below[np.arange(len(seg))[:, None], np.maximum(hit_to + 1 - lo, 0)]
        if consume:
            seg[np.arange(lo, hi)[None, :] <= hit_to[:, -1:]] = 0.0
            self.short_bottom = int(hit_to[:, -1].min()) + 1
        return _steps(swept)


def _steps(cumulative: FloatArray) -> FloatArray:
    """Per-point amounts from running totals along each row (the first point's total is its own)."""
    out = cumulative.copy()
    np.subtract(cumulative[:, 1:], cumulative[:, :-1], out=out[:, 1:])
    return out


class LeverageMap:
    """One coin's leverage map (a single-row ``LeverageMaps`` in its own prices): the BTC book."""

    def __init__(self, maps: LeverageMaps | None = None) -> None:
        self.maps = maps if maps is not None else LeverageMaps(np.ones(1))

    def copy(self) -> LeverageMap:
        """An independent copy (the live market continues from the state at the opening)."""
        return LeverageMap(self.maps.copy())

    def open_positions(self, price: float, long_usd: float, short_usd: float) -> None:
        """New positions entered at ``price``, spread over liquidation prices by the leverage mix."""
        self.maps.open_positions(np.array([price]), np.array([long_usd]), np.array([short_usd]))

    def add_band(self, side: Side, low: float, high: float, usd: float) -> None:
        """A crowded band: ``usd`` of liquidation prices spread evenly over [low, high], soft edges."""
        self.maps.add_band(0, side, low, high, usd)

    def resting(self, side: Side, low: float, high: float) -> float:
        """Notional whose liquidation price lies in [low, high] (whole bins, for inspection and tests)."""
        a, b = (int(x) for x in self.maps.bins(np.array([[low, high]]))[0])
        arr = self.maps.long_usd if side == "long" else self.maps.short_usd
        return float(arr[0, a : b + 1].sum())

    def sweep(self, path: FloatArray, *, consume: bool = True) -> tuple[FloatArray, FloatArray]:
        """Walk the price through ``path`` and liquidate everything it reaches: (long_usd, short_usd)
        liquidated at each point of the path (see ``LeverageMaps.sweep``)."""
        long_usd, short_usd = self.maps.sweep(np.asarray(path, dtype=np.float64)[None, :], consume=consume)
        return long_usd[0], short_usd[0]


@dataclass(frozen=True, slots=True)
class Prints:
    """Liquidation prints as parallel arrays (time-ordered)."""

    ts_ms: IntArray
    is_long: BoolArray
    venue: IntArray  # index into VENUES
    notional_usd: FloatArray
    price: FloatArray
    coin: IntArray | None = None  # index into the simulated coins (cockpit.sources.demo.coins); None: BTC

    def __len__(self) -> int:
        return len(self.ts_ms)

    def coins(self) -> IntArray:
        """The coin of every print (0, BTC, when the prints carry none)."""
        return self.coin if self.coin is not None else np.zeros(len(self.ts_ms), np.int64)


def print_sizes(rng: np.random.Generator, n: int) -> FloatArray:
    """Relative order sizes: a lognormal body with a Pareto tail, so a few prints dwarf the rest."""
    body = rng.lognormal(0.0, 1.1, n)
    tail = rng.random(n) < 0.04
    # Capped: the very largest accounts are finite (a single print of tens of millions is rare news).
    body[tail] *= np.minimum(1.0 + rng.pareto(1.15, int(tail.sum())) * 6.0, 250.0)
    return np.asarray(body, dtype=np.float64)


def split_into_prints(
    rng: np.random.Generator,
    swept: FloatArray,
    is_long: bool,
    start_ms: IntArray,
    span_ms: int,
    price: FloatArray,
    *,
    print_units: float | FloatArray = MEAN_PRINT_USD,
    unit_usd: float | FloatArray = 1.0,
    coin: int | IntArray = 0,
) -> Prints:
    """Turn swept amounts (one per step, starting at ``start_ms`` and lasting ``span_ms``) into prints.

    Amounts are in the units of the coin's leverage map; ``print_units`` is the average print in those
    units and ``unit_usd`` the dollars one unit stands for (scalars, or one per step, like ``coin``). Each
    step's amount is split into a Poisson number of orders (at least one) with heavy-tailed shares, timed
    inside the step and priced a hair around the step's price (fills are not all at one tick).
    """
    n_steps = len(swept)
    per_print, dollars, owner = (np.broadcast_to(x, n_steps) for x in (print_units, unit_usd, coin))
    # In "dollars of an average-sized book": thresholds below hold whatever the coin's print size is (the
    # ratio is exactly 1 for a book whose prints average MEAN_PRINT_USD units).
    sized = swept * (MEAN_PRINT_USD / per_print)
    keep = sized >= MIN_SWEEP_USD
    units, t0, px = swept[keep], start_ms[keep], price[keep]
    # A big sweep is many accounts: never so few orders that each must be huge.
    counts = np.maximum(rng.poisson(units / per_print[keep]), np.ceil(sized[keep] / 1.5e6).astype(np.int64))
    step = np.repeat(np.arange(len(units)), counts)
    share = print_sizes(rng, len(step))
    total = np.bincount(step, weights=share, minlength=len(units))
    notional = units[step] * share / total[step] * dollars[keep][step]
    ts = t0[step] + rng.integers(0, span_ms, len(step))
    fill = px[step] * (1.0 + rng.normal(0.0, 0.00015, len(step)))
    venue = rng.choice(len(VENUES), len(step), p=VENUE_SHARE)
    return Prints(
        ts.astype(np.int64),
        np.full(len(step), is_long),
        venue.astype(np.int64),
        notional,
        fill,
        owner[keep][step].astype(np.int64),
    )


def background_prints(
    rng: np.random.Generator,
    start_ms: int,
    span_ms: int,
    rate_per_s: float,
    long_share: float,
    price_ms: IntArray,
    price: FloatArray,
    unit_usd: float = 1.0,
) -> Prints:
    """Stray liquidations of over-levered accounts that happen whatever the market does (small sizes,
    ``unit_usd`` times the market's), priced from the price path (``price`` at times ``price_ms``)."""
    n = int(rng.poisson(rate_per_s * span_ms / 1000.0))
    ts = np.sort(start_ms + rng.integers(0, span_ms, n))
    notional = (900.0 + rng.lognormal(np.log(2_500.0), 1.0, n)) * unit_usd
    is_long = rng.random(n) < long_share
    venue = rng.choice(len(VENUES), n, p=VENUE_SHARE)
    fill = np.interp(ts, price_ms, price) * (1.0 + rng.normal(0.0, 0.0003, n))
    return Prints(ts.astype(np.int64), is_long, venue.astype(np.int64), notional, fill)


def merge_prints(parts: list[Prints]) -> Prints:
    """Concatenate and order by time (stable, so equal times keep their part order)."""
    if not parts:
        e_i, e_f = np.empty(0, np.int64), np.empty(0)
        return Prints(e_i, np.empty(0, np.bool_), e_i, e_f, e_f, e_i)
    ts = np.concatenate([p.ts_ms for p in parts])
    order = np.argsort(ts, kind="stable")
    return Prints(
        ts[order],
        np.concatenate([p.is_long for p in parts])[order],
        np.concatenate([p.venue for p in parts])[order],
        np.concatenate([p.notional_usd for p in parts])[order],
        np.concatenate([p.price for p in parts])[order],
        np.concatenate([p.coins() for p in parts])[order],
    )
