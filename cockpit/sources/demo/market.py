"""A deterministic simulated BTC perpetual market that opens on the reference day (see SCENARIO.md).

``DemoMarket(seed).history()`` is everything before the opening moment: ten days of 1-minute candles, the
last day and a half of liquidation prints, a month and a half of Fear & Greed readings, and funding and
open interest at the opening. ``advance(to_ms)`` continues the market live, one simulated second at a
time, and returns the events that happened since the previous call.

Time is passed in, never read from a clock. The live market is computed a whole minute at a time from
the state at the minute's start and a random generator seeded with (seed, minute), so the events do not
depend on how time is stepped: many small ``advance`` calls give exactly the events of one big call.

Pure Python and numpy: no asyncio, no Textual, no ccxt. Everything it produces is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent, Side
from cockpit.analytics.sentiment import fear_greed_band
from cockpit.models import (
    CandleClosed,
    DerivativesUpdate,
    FearGreedReading,
    MarketEvent,
    PriceTick,
    SentimentUpdate,
)
from cockpit.sources.demo.liquidations import (
    VENUES,
    FloatArray,
    LeverageMap,
    Prints,
    background_prints,
    merge_prints,
    split_into_prints,
)
from cockpit.sources.demo.path import (
    BASE_MINUTE_VOL,
    BASE_MINUTE_VOLUME_BTC,
    MINUTE_MS,
    PricePath,
    history_path,
)
from cockpit.sources.demo.sentiment import DAY_MS, fear_greed_history, next_reading

__all__ = [
    "DEFAULT_SEED",
    "OPENING_MS",
    "SOURCE",
    "SYMBOL",
    "VENUES",
    "DemoHistory",
    "DemoMarket",
    "LeverageMap",
]

DEFAULT_SEED = 20260202
SYMBOL = "BTC/USDT:USDT"
OPENING_MS = 1_770_040_800_000  # 2026-02-02 14:00:00 UTC, the reference moment
SOURCE = "simulator"  # the ``source`` of every event; venues appear only on liquidation prints

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

# Live dynamics.
SECOND_VOL = BASE_MINUTE_VOL * 2.4 / np.sqrt(60.0)  # after a flush the market stays nervous
IMPACT_PER_USD = 1.6e-11  # log-price impact of one liquidated dollar (forced market orders)
FLOW_PERSIST = 0.985  # per-minute persistence of the order-flow drift
FLOW_SIGMA = 4.5e-7  # per-minute shock of the per-second drift
LEAN = 0.3  # share of recent forced flow that other traders follow, per minute
PRESSURE_DECAY = 0.8  # per minute: that de-risking fades over a few minutes
ABSORB = 0.12  # share of a flush's impact that dip buyers / short sellers fade over the next hour


@dataclass(frozen=True, slots=True)
class DemoHistory:
    """Everything before the opening moment, for the engine's backfill."""

    candles_1m: Candles  # closed 1-minute candles; the last opens at OPENING_MS - 60_000
    liquidations: tuple[LiquidationEvent, ...]  # time-ordered
    fear_greed: tuple[FearGreedReading, ...]  # daily, oldest first, the newest on the reference day
    funding_rate: float  # per 8h, as a fraction
    open_interest_usd: float


@dataclass
class _Book:
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


def _replay_history(path: PricePath, rng: np.random.Generator) -> tuple[_Book, Prints, FloatArray]:
    """Build the leverage map from the whole history and print the liquidations of its last stretch.

    Returns the book at the opening, the prints, and liquidated USD per replayed minute.
    """
    n = len(path.close)
    start = n - LIQ_HISTORY_MIN
    book = _Book(LeverageMap(), OI_AT_REPLAY_USD, FUNDING_CALM)
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
        split_into_prints(rng, long_usd.ravel(), True, leg_ms, 20_000, px.ravel()),
        split_into_prints(rng, short_usd.ravel(), False, leg_ms, 20_000, px.ravel()),
    ]
    first_ms = int(path.ts_ms[start])
    mid_ms = path.ts_ms[start:] + MINUTE_MS // 2
    parts.append(
        background_prints(rng, first_ms, m * MINUTE_MS, BACKGROUND_RATE, 0.62, mid_ms, path.close[start:])
    )
    prints = merge_prints(parts)
    per_minute = np.bincount((prints.ts_ms - first_ms) // MINUTE_MS, prints.notional_usd, minlength=m)
    return book, prints, per_minute.astype(np.float64)


def _events(prints: Prints) -> tuple[LiquidationEvent, ...]:
    """Prints as the cockpit's liquidation events.

    Every print is a liquidation of its own. Rounded to the cent and the tenth of a dollar, two prints of one
    step could in principle be equal in every field (same millisecond, venue, side, size and price); the
    second and later of such prints get an ``event_id`` naming their rank, so nothing downstream that keys
    on identity (a history, a deduper) could take them for one. Equal prints share their step's minute, so
    they are always made in the same call.
    """
    events = []
    seen: dict[tuple[int, int, bool, float, float], int] = {}
    for ts, v, is_long, usd, px in zip(
        prints.ts_ms.tolist(),
        prints.venue.tolist(),
        prints.is_long.tolist(),
        prints.notional_usd.tolist(),
        prints.price.tolist(),
        strict=True,
    ):
        content = (ts, v, is_long, round(usd, 2), round(px, 1))
        rank = seen[content] = seen.get(content, -1) + 1
        e = LiquidationEvent(ts, VENUES[v], SYMBOL, "long" if is_long else "short", content[3], content[4])
        events.append(replace(e, event_id=f"{e.key}#{rank}") if rank else e)
    return tuple(events)


class DemoMarket:
    """A seeded simulated BTC perpetual: ``history()`` up to the opening, then ``advance(to_ms)`` live."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self.seed = int(seed)
        self._history: DemoHistory | None = None
        self._book: _Book | None = None
        self._closes_1m: list[float] = []  # every closed minute: history, then live
        self._liq_1m: list[float] = []  # liquidated USD per minute: the replayed history, then live
        self._sentiment: list[FearGreedReading] = []
        self._price = 0.0
        self._log_vol = 0.0  # log of volatility relative to SECOND_VOL
        self._flow = 0.0  # drift per second from order flow
        self._prev_liq = (0.0, 0.0)  # (long, short) USD liquidated in the previous minute
        self._pressure = 0.0  # recent net long-minus-short liquidations, decaying: de-risking after a flush
        self._minute = 0  # next live minute to simulate; minute 0 starts at OPENING_MS
        self._pending: list[tuple[int, MarketEvent]] = []  # (delivery ms, event) not returned yet
        self._now_ms = OPENING_MS

    def history(self) -> DemoHistory:
        """Everything before OPENING_MS (computed once, then cached; the arrays are read-only)."""
        if self._history is None:
            self._build()
        assert self._history is not None
        return self._history

    def leverage(self) -> LeverageMap:
        """A copy of the current leverage map (where resting longs and shorts would be liquidated)."""
        if self._book is None:
            self._build()
        assert self._book is not None
        return self._book.leverage.copy()

    def advance(self, to_ms: int) -> list[MarketEvent]:
        """Events delivered in (previous to_ms, to_ms], in time order (the first call starts at
        OPENING_MS). A to_ms at or before the previous one returns nothing.

        Each event's delivery time is its ``ts_ms``, except ``CandleClosed``, delivered when its minute
        ends (its ``ts_ms`` is the minute's open time, as in the model).
        """
        if to_ms <= self._now_ms:
            return []
        if self._book is None:
            self._build()
        while OPENING_MS + self._minute * MINUTE_MS < to_ms:
            self._pending.extend(self._simulate_minute(self._minute))
            self._minute += 1
        cut = next((i for i, (t, _) in enumerate(self._pending) if t > to_ms), len(self._pending))
        out = [e for _, e in self._pending[:cut]]
        del self._pending[:cut]
        self._now_ms = to_ms
        return out

    def _build(self) -> None:
        path = history_path(self.seed, OPENING_MS)
        book, prints, liq_per_minute = _replay_history(path, np.random.default_rng([self.seed, 2]))
        for side, low, high, usd in OPENING_BANDS:
            book.leverage.add_band(side, low, high, usd)
        readings = fear_greed_history(self.seed, OPENING_MS // DAY_MS * DAY_MS)
        candles = Candles.from_arrays(path.ts_ms, path.open, path.high, path.low, path.close, path.volume)
        for column in (candles.ts_ms, candles.open, candles.high, candles.low, candles.close, candles.volume):
            column.flags.writeable = False  # the history is shared with every caller: nobody may edit it
        self._history = DemoHistory(candles, _events(prints), readings, book.funding, book.oi_usd)
        self._book = book
        self._closes_1m = path.close.tolist()
        self._liq_1m = liq_per_minute.tolist()
        self._sentiment = list(readings)
        self._price = float(path.close[-1])
        # A flush leaves the market nervous: volatility opens high and calms over an hour or two. The order
        # flow is already somewhere in its range (seeded), not neutral.
        self._log_vol = 0.35
        flow_sd = FLOW_SIGMA / np.sqrt(1.0 - FLOW_PERSIST**2)
        self._flow = float(flow_sd * np.random.default_rng([self.seed, 6]).standard_normal())

    def _simulate_minute(self, m: int) -> list[tuple[int, MarketEvent]]:
        """One live minute: 60 ticks, the liquidations they trigger, then the candle and derivatives."""
        book = self._book
        assert book is not None
        rng = np.random.default_rng([self.seed, 5, m])
        start = OPENING_MS + m * MINUTE_MS
        prices, swept_long, swept_short = self._walk(book, rng)
        tick_ms = start + 500 + 1000 * np.arange(60, dtype=np.int64)
        second_ms = start + 1000 * np.arange(60, dtype=np.int64)
        prints = merge_prints(
            [
                split_into_prints(rng, swept_long, True, second_ms, 1000, prices),
                split_into_prints(rng, swept_short, False, second_ms, 1000, prices),
                background_prints(rng, start, MINUTE_MS, BACKGROUND_RATE, 0.6, tick_ms, prices),
            ]
        )
        long_usd, short_usd = float(swept_long.sum()), float(swept_short.sum())
        # Turnover: a busy, volatile minute trades more, and every forced order is volume too.
        volume_btc = BASE_MINUTE_VOLUME_BTC * np.exp(self._log_vol) * float(rng.gamma(4.0, 0.25))
        volume_btc += (long_usd + short_usd) / float(prices.mean())
        close = float(prices[-1])
        book.end_minute(close, volume_btc * close, long_usd, short_usd)
        self._prev_liq = (long_usd, short_usd)
        self._pressure = PRESSURE_DECAY * self._pressure + (long_usd - short_usd)
        self._price = close
        self._closes_1m.append(close)
        self._liq_1m.append(float(prints.notional_usd.sum()))
        # A new day only needs the last 24 hours: memory stays flat however long the market runs.
        del self._closes_1m[: -2 * 1440], self._liq_1m[: -2 * 1440]

        ticks = [
            PriceTick(SOURCE, SYMBOL, t, p)
            for t, p in zip(tick_ms.tolist(), prices.round(1).tolist(), strict=True)
        ]
        out: list[tuple[int, MarketEvent]] = [(t.ts_ms, t) for t in ticks]
        out += [(e.ts_ms, e) for e in _events(prints)]
        out.sort(key=lambda item: item[0])  # stable: a tick stays ahead of a print stamped the same ms
        tick_px = [t.price for t in ticks]
        end = start + MINUTE_MS
        candle = CandleClosed(
            SOURCE, SYMBOL, start, tick_px[0], max(tick_px), min(tick_px), tick_px[-1], round(volume_btc, 3)
        )
        out.append((end, candle))
        deriv = DerivativesUpdate(SOURCE, SYMBOL, end, book.funding, book.oi_usd, funding_interval_h=8.0)
        out.append((end, deriv))
        if end % DAY_MS == 0:
            out.append((end, self._new_day(end)))
        return out

    def _walk(self, book: _Book, rng: np.random.Generator) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The minute's 60 one-second prices and the long/short notional each second liquidated."""
        liq_long, liq_short = self._prev_liq
        # Volatility clusters and jumps after liquidations; the order flow wanders, and fresh money fades
        # part of a flush's impact over the next hour (an exhaustion bounce rather than a free fall).
        shock = np.log1p((liq_long + liq_short) / 2e7)
        self._log_vol = 0.985 * self._log_vol + 0.045 * rng.standard_normal() + 0.06 * shock
        self._flow = FLOW_PERSIST * self._flow + FLOW_SIGMA * rng.standard_normal()
        self._flow += ABSORB * IMPACT_PER_USD * (liq_long - liq_short) * (1.0 - FLOW_PERSIST) / 60.0
        sigma = SECOND_VOL * np.exp(self._log_vol)
        z = rng.standard_normal(60)
        z += np.where(rng.random(60) < 0.004, rng.standard_normal(60) * 4.0, 0.0)  # fat tails
        # After forced orders, the survivors cut risk for a few minutes: the flush leans on the next ones.
        lean = -IMPACT_PER_USD * LEAN * self._pressure / 60.0
        base = np.cumsum(self._flow + lean + sigma * z)
        prices = self._price * np.exp(base)
        # A flush feeds itself within the minute: what the path sweeps moves the path. A few fixed-point
        # rounds on a dry run (the map is only emptied by the final sweep).
        for _ in range(3):
            dry_long, dry_short = book.leverage.sweep(np.concatenate(([self._price], prices)), consume=False)
            prices = self._price * np.exp(base - IMPACT_PER_USD * np.cumsum(dry_long[1:] - dry_short[1:]))
        swept_long, swept_short = book.leverage.sweep(np.concatenate(([self._price], prices)))
        # Point 0 is where the last minute ended: whatever it reaches goes with the first second.
        swept_long[1] += swept_long[0]
        swept_short[1] += swept_short[0]
        return prices, swept_long[1:], swept_short[1:]

    def _new_day(self, day_ms: int) -> SentimentUpdate:
        """Publish the Fear & Greed reading of a new UTC day, with the whole history."""
        closes = self._closes_1m
        change_pct = (closes[-1] / closes[-1 - 1440] - 1.0) * 100.0
        liq_24h = float(sum(self._liq_1m[-1440:]))
        value = next_reading(self.seed, day_ms, self._sentiment[-1].value, change_pct, liq_24h)
        reading = FearGreedReading(day_ms, value, fear_greed_band(value))
        self._sentiment.append(reading)
        return SentimentUpdate(SOURCE, reading, tuple(self._sentiment))
