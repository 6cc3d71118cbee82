"""Every coin but BTC, simulated together: one row per coin in every array, one array op per step.

A coin's log price is ``beta`` times BTC's log move (the market factor) plus its own noise, scaled by
BTC's volatility of the moment so that calm and nervous hours are market-wide. Its own noise has its own
seeded streams, never BTC's, so adding or changing a coin cannot move BTC's numbers.

Each coin has a leverage book of the reference size (see ``book``), its prints being the coin's ``share``
of what the book releases: the same mechanism as BTC's, with the story's crowded bands carried over to
each coin through its beta (a coin with beta 1.5 crowds 1.5 times as far below its price as BTC does), so
the market liquidates together when BTC falls through its bands.

History: ``alt_history`` draws ten days of 1-minute candles ending at the opening (each coin closing at
its own opening price) and replays the last day and a half through the books. Live: ``AltMarket.minute``
moves every coin through the minute BTC just traded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cockpit.analytics.liquidations import Side
from cockpit.sources.demo.book import (
    BACKGROUND_RATE,
    LIQ_HISTORY_MIN,
    OPEN_SHARE,
    OPENING_BANDS,
    REPLAY_BANDS,
)
from cockpit.sources.demo.coins import ALTS, BTC_SHARE, alt_column, round_prices
from cockpit.sources.demo.liquidations import (
    VENUE_SHARE,
    VENUES,
    FloatArray,
    IntArray,
    LeverageMaps,
    Prints,
    merge_prints,
    split_into_prints,
)
from cockpit.sources.demo.path import MINUTE_MS, PricePath

ALT_PRINT_USD = 30_000.0  # average alt liquidation print (fewer events to carry than BTC's ~13,000)
PRINTED_MIN = 1441  # minutes of alt history that are printed: the day before the opening and one more
BETA, IDIO, SHARE, OPEN_PRICE = (alt_column(k) for k in ("beta", "idio", "share", "price_usd"))
DECIMALS: npt.NDArray[np.int64] = alt_column("decimals")[:, 0].astype(np.int64)
COIN_INDEX: IntArray = np.arange(1, len(ALTS) + 1, dtype=np.int64)[:, None]  # rows -> index in COINS
# Stray prints of all alts together: as many as BTC's, each (1 - BTC_SHARE) of the market's stray size, so
# the market's background flow is what the reference book's was (BTC's stray prints are BTC_SHARE of it).
ALT_BACKGROUND_RATE = BACKGROUND_RATE
ALT_BACKGROUND_SIZE = 1.0 - BTC_SHARE
# The rally drew a little more leverage into alts than into BTC (they ran further: beta), so the longs the
# slide sweeps are more crowded on an alt's book. Without it the market's day is ~3-4% short of the report
# on most seeds: an alt's own wiggles sweep part of the band before the day starts.
SLIDE_CROWDING = 1.08
OWN_MEMORY_MIN = 240  # minutes over which a coin's own deviation from BTC's path fades
ALT_REPLAY_BANDS = tuple(
    (side, low, high, usd * (SLIDE_CROWDING if k == 0 else 1.0))
    for k, (side, low, high, usd) in enumerate(REPLAY_BANDS)
)


@dataclass(frozen=True, slots=True)
class AltCandles:
    """1-minute candles of every alt, one row per coin (columns shared with BTC's ``ts_ms``)."""

    ts_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray  # in coins
    book_volume: FloatArray  # traded USD in units of the reference book (what opens new positions)


def alt_paths(seed: int, btc: PricePath) -> AltCandles:
    """Ten days of candles for every alt, following BTC's history and closing at each coin's open price."""
    rng = np.random.default_rng([seed, 10])
    rows, n = len(ALTS), len(btc.close)
    btc_edges = np.concatenate(([btc.open[0]], btc.close))
    market = np.log(btc_edges / btc_edges[-1])  # BTC's log distance from its opening price
    steps = IDIO * btc.sigma * rng.standard_normal((rows, n))
    own = _high_pass(np.concatenate((np.zeros((rows, 1)), np.cumsum(steps, axis=1)), axis=1))
    own -= own[:, -1:]  # zero at the opening: each coin opens at its designed price
    edges = OPEN_PRICE * np.exp(BETA * market + own)
    opens, closes = edges[:, :-1], edges[:, 1:]
    sigma = np.sqrt(BETA**2 + IDIO**2) * btc.sigma
    wick = np.abs(rng.standard_normal((2, rows, n))) * 0.45 * sigma * opens
    activity = rng.lognormal(0.0, 0.35, (rows, n))
    book_volume = btc.volume * btc.close * activity
    volume = book_volume * (SHARE / BTC_SHARE) / closes
    high, low = np.maximum(opens, closes) + wick[0], np.minimum(opens, closes) - wick[1]
    return AltCandles(btc.ts_ms, opens, high, low, closes, volume, book_volume)


def _high_pass(walk: FloatArray) -> FloatArray:
    """A walk less its trailing mean over ``OWN_MEMORY_MIN``: a coin's own noise moves it for minutes and
    hours, but it keeps coming back to where BTC's move puts it (alt/BTC ratios wander, not drift away), so
    the story's bands sit where every coin's path will meet them, whatever the seed."""
    total = np.cumsum(walk, axis=1)
    lagged = np.concatenate((np.zeros((len(walk), OWN_MEMORY_MIN)), total[:, :-OWN_MEMORY_MIN]), axis=1)
    count = np.minimum(np.arange(1, walk.shape[1] + 1), OWN_MEMORY_MIN)
    return np.asarray(walk - (total - lagged) / count, dtype=np.float64)


def mapped_prices(btc_price: float, btc_open: float) -> FloatArray:
    """A BTC price carried to every alt through its beta (each alt's own price, one per row)."""
    return np.asarray(OPEN_PRICE[:, 0] * (btc_price / btc_open) ** BETA[:, 0], dtype=np.float64)


def add_bands(
    maps: LeverageMaps, bands: tuple[tuple[str, float, float, float], ...], btc_open: float
) -> None:
    """The story's crowded bands, on every alt's book at the alt's beta-mapped prices."""
    for side, low, high, usd in bands:
        lows, highs = mapped_prices(low, btc_open), mapped_prices(high, btc_open)
        for row in range(len(ALTS)):
            sided: Side = "long" if side == "long" else "short"
            maps.add_band(row, sided, float(lows[row]), float(highs[row]), usd)


def _walks(c: AltCandles, i: int) -> FloatArray:
    """Each alt's minute ``i`` as open -> first extreme -> second extreme -> close (shape (rows, 4))."""
    o, hi, lo, cl = c.open[:, i], c.high[:, i], c.low[:, i], c.close[:, i]
    up = cl >= o
    return np.stack((o, np.where(up, lo, hi), np.where(up, hi, lo), cl), axis=1)


def _build_books(c: AltCandles, btc_open: float) -> LeverageMaps:
    """Books from the start of history to the replay: hour by hour, sweep the range, open positions."""
    maps = LeverageMaps(btc_open / OPEN_PRICE[:, 0])
    start = c.close.shape[1] - LIQ_HISTORY_MIN
    for h in range(0, start, 60):
        hour = slice(h, h + 60)
        maps.sweep(np.stack((c.open[:, h], c.low[:, hour].min(axis=1), c.high[:, hour].max(axis=1)), axis=1))
        opened = OPEN_SHARE * c.book_volume[:, hour].sum(axis=1)
        maps.open_positions(c.close[:, h + 59], opened, opened)
    add_bands(maps, ALT_REPLAY_BANDS, btc_open)
    return maps


def alt_history(seed: int, btc: PricePath) -> tuple[AltCandles, LeverageMaps, Prints]:
    """Alt candles, their books at the opening, and their liquidation prints of the last day and a half."""
    c = alt_paths(seed, btc)
    btc_open = float(btc.close[-1])
    maps = _build_books(c, btc_open)
    n = c.close.shape[1]
    start, m, rows = n - LIQ_HISTORY_MIN, LIQ_HISTORY_MIN, len(ALTS)
    long_usd, short_usd, px = np.zeros((rows, m, 3)), np.zeros((rows, m, 3)), np.zeros((rows, m, 3))
    for k in range(m):
        walk = _walks(c, start + k)
        swept_long, swept_short = maps.sweep(walk)
        long_usd[:, k], short_usd[:, k], px[:, k] = swept_long[:, 1:], swept_short[:, 1:], walk[:, 1:]
        long_usd[:, k, 0] += swept_long[:, 0]  # the open cannot reach anything new: fold it in
        short_usd[:, k, 0] += swept_short[:, 0]
        opened = OPEN_SHARE * c.book_volume[:, start + k]
        maps.open_positions(c.close[:, start + k], opened, opened)
    add_bands(maps, OPENING_BANDS, btc_open)
    # Only the last day (and a minute) is printed: the books need the day and a half, but nothing reads
    # an alt's prints older than the longest window, and every print costs an event at start-up.
    p = LIQ_HISTORY_MIN - PRINTED_MIN
    ts_ms = c.ts_ms[start + p :]
    # Each leg of a minute lasts 20 seconds; prints land inside their leg.
    leg_ms = np.broadcast_to(ts_ms[:, None] + np.array([0, 20_000, 40_000]), (rows, PRINTED_MIN, 3)).ravel()
    rng = np.random.default_rng([seed, 12])
    prints = merge_prints(
        [
            _split(rng, long_usd[:, p:], True, leg_ms, 20_000, px[:, p:]),
            _split(rng, short_usd[:, p:], False, leg_ms, 20_000, px[:, p:]),
            _background(
                rng,
                int(ts_ms[0]),
                PRINTED_MIN * MINUTE_MS,
                0.62,
                ts_ms + MINUTE_MS // 2,
                c.close[:, start + p :],
            ),
        ]
    )
    return c, maps, prints


def _split(
    rng: np.random.Generator,
    swept: FloatArray,
    is_long: bool,
    start_ms: IntArray,
    span_ms: int,
    px: FloatArray,
) -> Prints:
    """Prints of every alt's swept book units (rows = alts; any step shape after the row)."""
    per_row = swept[0].size
    return split_into_prints(
        rng,
        swept.ravel(),
        is_long,
        start_ms,
        span_ms,
        px.ravel(),
        print_units=np.repeat(ALT_PRINT_USD / SHARE[:, 0], per_row),
        unit_usd=np.repeat(SHARE[:, 0], per_row),
        coin=np.repeat(COIN_INDEX[:, 0], per_row),
    )


def _background(
    rng: np.random.Generator,
    start_ms: int,
    span_ms: int,
    long_share: float,
    price_ms: IntArray,
    prices: FloatArray,
) -> Prints:
    """Stray small liquidations across the alts (each coin by its share), priced from its path."""
    n = int(rng.poisson(ALT_BACKGROUND_RATE * span_ms / 1000.0))
    ts = np.sort(start_ms + rng.integers(0, span_ms, n))
    row = rng.choice(len(ALTS), n, p=SHARE[:, 0] / SHARE.sum())
    notional = (900.0 + rng.lognormal(np.log(2_500.0), 1.0, n)) * ALT_BACKGROUND_SIZE
    is_long = rng.random(n) < long_share
    venue = rng.choice(len(VENUES), n, p=VENUE_SHARE)
    at = np.clip(np.searchsorted(price_ms, ts), 0, len(price_ms) - 1)
    fill = prices[row, at] * (1.0 + rng.normal(0.0, 0.0003, n))
    return Prints(ts.astype(np.int64), is_long, venue.astype(np.int64), notional, fill, COIN_INDEX[row, 0])


@dataclass(frozen=True, slots=True)
class AltMinute:
    """One live minute of every alt: per-second prices at their ticks, prints, and each coin's volume."""

    prices: FloatArray  # (rows, 60), rounded to each coin's tick
    prints: Prints
    volume: FloatArray  # (rows,), in coins


class AltMarket:
    """The alts' live state: their own deviations from BTC's path and their books, moved a minute at a time
    behind BTC."""

    def __init__(self, seed: int, btc_open: float, maps: LeverageMaps) -> None:
        self.seed = seed
        self.btc_open = btc_open
        self.own: FloatArray = np.zeros(len(ALTS))  # log deviation from beta x BTC's move: 0 at the opening
        self.price: FloatArray = OPEN_PRICE[:, 0].copy()
        self.maps = maps

    def minute(
        self, m: int, start_ms: int, btc_prices: FloatArray, btc_sigma: float, btc_usd: float
    ) -> AltMinute:
        """Live minute ``m``: BTC traded ``btc_prices`` (one a second) with per-second volatility
        ``btc_sigma`` and turnover ``btc_usd``; every alt follows with its own noise."""
        rng = np.random.default_rng([self.seed, 11, m])
        # As in the history, a coin's own deviation fades over OWN_MEMORY_MIN (once a minute is enough).
        own = self.own[:, None] * (1.0 - 1.0 / OWN_MEMORY_MIN)
        own = own + np.cumsum(IDIO * btc_sigma * rng.standard_normal((len(ALTS), 60)), axis=1)
        path = OPEN_PRICE * np.exp(BETA * np.log(btc_prices / self.btc_open) + own)
        swept_long, swept_short = self.maps.sweep(np.concatenate((self.price[:, None], path), axis=1))
        # Point 0 is where the last minute ended: whatever it reaches goes with the first second.
        swept_long[:, 1] += swept_long[:, 0]
        swept_short[:, 1] += swept_short[:, 0]
        second_ms = np.tile(start_ms + 1000 * np.arange(60, dtype=np.int64), len(ALTS))
        tick_ms = start_ms + 500 + 1000 * np.arange(60, dtype=np.int64)
        prints = merge_prints(
            [
                _split(rng, swept_long[:, 1:], True, second_ms, 1000, path),
                _split(rng, swept_short[:, 1:], False, second_ms, 1000, path),
                _background(rng, start_ms, MINUTE_MS, 0.6, tick_ms, path),
            ]
        )
        book_usd = btc_usd * rng.gamma(4.0, 0.25, len(ALTS))
        opened = OPEN_SHARE * book_usd
        self.maps.open_positions(path[:, -1], opened, opened)
        self.own, self.price = own[:, -1], path[:, -1]
        volume = book_usd * (SHARE[:, 0] / BTC_SHARE) / path.mean(axis=1)
        return AltMinute(round_prices(path, DECIMALS), prints, volume)
