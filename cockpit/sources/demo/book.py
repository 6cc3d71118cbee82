"""BTC's leveraged book on the reference day: the leverage the story needs, and its replay through history.

The bands are where the rally and the slide left positions crowded (as of a day and a half before the
opening) and where traders crowded at the opening. They are in BTC dollars of the *reference book*: the
book SCENARIO.md's figures were calibrated on. BTC's own prints are ``BTC_SHARE`` of what this book
releases (cockpit.sources.demo.coins); every other coin runs a book of the same size scaled to its share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cockpit.analytics.liquidations import Side
from cockpit.sources.demo.coins import BTC_SHARE
from cockpit.sources.demo.liquidations import (
    FloatArray,
    LeverageMap,
    Prints,
    background_prints,
    merge_prints,
    split_into_prints,
)
from cockpit.sources.demo.path import MINUTE_MS, PricePath

LIQ_HISTORY_MIN = 36 * 60  # minutes of history replayed through the leverage map (and printed)
OPEN_SHARE = 0.002  # share of traded notional that opens new leveraged positions (each side)
BACKGROUND_RATE = 0.07  # stray liquidations per second, whatever the market does
OI_AT_REPLAY_USD = 23.4e9  # open interest of the three venues a day and a half before the opening
OI_PER_LIQ = 4.0  # OI lost per liquidated dollar: stop-outs and panic closes come with a flush
FUNDING_CALM = 0.00006  # per-8h funding of a quiet, mildly long market

# Leverage the rally left behind (as of the replay start) and the crowding at the opening, as
# (side, low, high, USD). Longs are stacked under the slide and under the two supports; shorts sit above
# the broken level and the old range.
_Band = tuple[Side, float, float, float]
REPLAY_BANDS: tuple[_Band, ...] = (("long", 76_000.0, 78_900.0, 565e6), ("long", 75_050.0, 75_450.0, 131e6))
OPENING_BANDS: tuple[_Band, ...] = (
    ("long", 74_300.0, 74_650.0, 190e6),
    ("long", 73_100.0, 73_600.0, 150e6),
    ("long", 72_150.0, 72_650.0, 200e6),
    ("short", 75_650.0, 75_950.0, 70e6),
    ("short", 76_150.0, 76_450.0, 110e6),
    ("short", 77_000.0, 77_350.0, 150e6),
)


@dataclass
class Book:
    """Leverage, open interest and funding: the derivatives state both history and live advance."""

    leverage: LeverageMap
    oi_usd: float
    funding: float
    closes: list[float] = field(default_factory=list)  # recent minute closes (for momentum)
    liq_minutes: list[float] = field(default_factory=list)  # net long-minus-short liquidations per minute

    def end_minute(self, close: float, volume_usd: float, long_usd: float, short_usd: float) -> None:
        """Book a finished minute: new positions open, OI and funding move."""
        opened = OPEN_SHARE * volume_usd
        self.leverage.open_positions(close, opened, opened)
        self.oi_usd += opened - OI_PER_LIQ * (long_usd + short_usd) + 0.002 * (OI_AT_REPLAY_USD - self.oi_usd)
        self.closes = [*self.closes[-119:], close]
        self.liq_minutes = [*self.liq_minutes[-59:], long_usd - short_usd]
        # Funding follows the basis: momentum pushes it, a long flush drags it below zero.
        momentum = np.log(close / self.closes[0])
        target = FUNDING_CALM + 0.012 * momentum - 2e-13 * sum(self.liq_minutes)
        self.funding += (float(np.clip(target, -0.0004, 0.0006)) - self.funding) / 30.0


def replay_history(path: PricePath, rng: np.random.Generator) -> tuple[Book, Prints, FloatArray]:
    """Build the leverage map from the whole history and print the liquidations of its last stretch.

    Returns the book at the opening, the prints, and liquidated USD per replayed minute.
    """
    n = len(path.close)
    start = n - LIQ_HISTORY_MIN
    book = Book(LeverageMap(), OI_AT_REPLAY_USD, FUNDING_CALM)
    volume_usd = path.volume * path.close
    # Before the replay, hour by hour: sweep the hour's range, then open the hour's positions.
    for h in range(0, start, 60):
        hour = slice(h, h + 60)
        book.leverage.sweep(np.array([path.open[h], path.low[hour].min(), path.high[hour].max()]))
        opened = OPEN_SHARE * float(volume_usd[hour].sum())
        book.leverage.open_positions(float(path.close[h + 59]), opened, opened)
    for side, low, high, usd in REPLAY_BANDS:
        book.leverage.add_band(side, low, high, usd)
    # The replay, minute by minute: open -> first extreme -> second extreme -> close.
    m = n - start
    long_usd, short_usd, px = np.zeros((m, 3)), np.zeros((m, 3)), np.zeros((m, 3))
    for k in range(m):
        i = start + k
        o, hi, lo, c = path.open[i], path.high[i], path.low[i], path.close[i]
        walk = np.array([o, lo, hi, c] if c >= o else [o, hi, lo, c])
        swept_long, swept_short = book.leverage.sweep(walk)
        # The open (point 0) cannot reach anything new; fold it into the first leg.
        long_usd[k], short_usd[k], px[k] = swept_long[1:], swept_short[1:], walk[1:]
        long_usd[k, 0] += swept_long[0]
        short_usd[k, 0] += swept_short[0]
        book.end_minute(float(c), float(volume_usd[i]), float(swept_long.sum()), float(swept_short.sum()))
    # Each leg of a minute lasts 20 seconds; prints land inside their leg.
    leg_ms = (path.ts_ms[start:, None] + np.array([0, 20_000, 40_000])).ravel()
    parts = [
        split_into_prints(rng, long_usd.ravel(), True, leg_ms, 20_000, px.ravel(), unit_usd=BTC_SHARE),
        split_into_prints(rng, short_usd.ravel(), False, leg_ms, 20_000, px.ravel(), unit_usd=BTC_SHARE),
    ]
    first_ms = int(path.ts_ms[start])
    mid_ms = path.ts_ms[start:] + MINUTE_MS // 2
    parts.append(
        background_prints(
            rng, first_ms, m * MINUTE_MS, BACKGROUND_RATE, 0.62, mid_ms, path.close[start:], BTC_SHARE
        )
    )
    prints = merge_prints(parts)
    per_minute = np.bincount((prints.ts_ms - first_ms) // MINUTE_MS, prints.notional_usd, minlength=m)
    return book, prints, per_minute.astype(np.float64)
