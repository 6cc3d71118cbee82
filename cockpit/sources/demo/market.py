"""A deterministic simulated perpetuals market that opens on the reference day (see SCENARIO.md).

BTC leads: its path is the designed story (``path``) and its book (``book``) the reference one. The other
coins (``coins``, ``alts``) follow BTC's moves with their own noise and liquidate through books of their own,
so the liquidation totals are market-wide, as the report's are, and BTC's own are its share of them.

``DemoMarket(seed).history()`` is everything before the opening moment: ten days of 1-minute candles of
every coin, the last day and a half of liquidation prints, a month and a half of Fear & Greed readings,
and BTC's funding and open interest at the opening. ``advance(to_ms)`` continues the market live, one
simulated second at a time, and returns the events that happened since the previous call.

Time is passed in, never read from a clock. The live market is computed a whole minute at a time from
the state at the minute's start and a random generator seeded with (seed, minute), so the events do not
depend on how time is stepped: many small ``advance`` calls give exactly the events of one big call.

Pure Python and numpy: no asyncio, no Textual, no ccxt. Everything it produces is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.sentiment import fear_greed_band
from cockpit.models import FearGreedReading, MarketEvent, SentimentUpdate
from cockpit.sources.demo.alts import AltCandles, AltMarket, alt_history
from cockpit.sources.demo.book import BACKGROUND_RATE, OPENING_BANDS, Book, replay_history
from cockpit.sources.demo.coins import BTC_SHARE, SYMBOLS
from cockpit.sources.demo.coins import derivatives as coin_derivatives
from cockpit.sources.demo.events import SOURCE, candle_events, liquidation_events, tick_events
from cockpit.sources.demo.liquidations import (
    VENUES,
    FloatArray,
    IntArray,
    LeverageMap,
    Prints,
    background_prints,
    merge_prints,
    split_into_prints,
)
from cockpit.sources.demo.path import (
    BASE_MINUTE_VOL,
    BASE_MINUTE_VOLUME_BTC,
    HISTORY_MINUTES,
    MINUTE_MS,
    history_path,
)
from cockpit.sources.demo.sentiment import DAY_MS, fear_greed_history, next_reading

__all__ = [
    "DEFAULT_SEED",
    "OPENING_MS",
    "SOURCE",
    "SYMBOL",
    "SYMBOLS",
    "VENUES",
    "DemoHistory",
    "DemoMarket",
    "LeverageMap",
]

DEFAULT_SEED = 20260202
SYMBOL = "BTC/USDT:USDT"
OPENING_MS = 1_770_040_800_000  # 2026-02-02 14:00:00 UTC, the reference moment

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

    candles_1m: Candles  # BTC's closed 1-minute candles; the last opens at OPENING_MS - 60_000
    liquidations: tuple[LiquidationEvent, ...]  # every coin's, time-ordered
    fear_greed: tuple[FearGreedReading, ...]  # daily, oldest first, the newest on the reference day
    funding_rate: float  # BTC's, per 8h, as a fraction
    open_interest_usd: float  # BTC's
    coin_candles: dict[str, Candles] = field(default_factory=dict)  # every coin's minutes, BTC's included


def _frozen_candles(ts_ms: IntArray, *cols: FloatArray) -> Candles:
    """Candles whose columns nobody may edit: the history is shared with every caller."""
    candles = Candles.from_arrays(ts_ms, *cols)
    for column in (candles.ts_ms, candles.open, candles.high, candles.low, candles.close, candles.volume):
        column.flags.writeable = False
    return candles


def _alt_candles(c: AltCandles) -> dict[str, Candles]:
    """Each alt's rows as its own read-only candles."""
    return {
        symbol: _frozen_candles(c.ts_ms, c.open[k], c.high[k], c.low[k], c.close[k], c.volume[k])
        for k, symbol in enumerate(SYMBOLS[1:])
    }


class DemoMarket:
    """A seeded simulated market led by BTC: ``history()`` up to the opening, then ``advance(to_ms)`` live."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self.seed = int(seed)
        self._history: DemoHistory | None = None
        self._book: Book | None = None
        self._alts: AltMarket | None = None
        self._closes_1m: list[float] = []  # every closed minute: history, then live
        self._liq_1m: list[float] = []  # market-wide liquidated USD per minute: replayed history, then live
        self._live_1m: list[tuple[int, FloatArray]] = []  # (minute, OHLCV per coin) of the live minutes
        self._sentiment: list[FearGreedReading] = []
        self._price = 0.0
        self._log_vol = 0.0  # log of volatility relative to SECOND_VOL
        self._sigma = SECOND_VOL  # per-second volatility of the last minute (the alts' too, scaled)
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
        """A copy of BTC's current leverage map (where resting longs and shorts would be liquidated)."""
        if self._book is None:
            self._build()
        assert self._book is not None
        return self._book.leverage.copy()

    def candles(self, symbol: str) -> Candles:
        """Every closed minute of ``symbol`` up to the last ``advance``: the history, then the live minutes
        (the newest ten days of them). KeyError for a symbol the market does not simulate."""
        coin = SYMBOLS.index(symbol) if symbol in SYMBOLS else -1
        if coin < 0:
            raise KeyError(symbol)
        h = self.history().coin_candles[symbol]
        live = [row[:, coin] for m, row in self._live_1m if OPENING_MS + (m + 1) * MINUTE_MS <= self._now_ms]
        if not live:
            return h
        cols = np.array(live).T  # open, high, low, close, volume
        ts = OPENING_MS + MINUTE_MS * np.array([m for m, _ in self._live_1m[: len(live)]], dtype=np.int64)
        old = (h.open, h.high, h.low, h.close, h.volume)
        joined = [np.concatenate((a, b)) for a, b in zip(old, cols, strict=True)]
        return _frozen_candles(np.concatenate((h.ts_ms, ts)), *joined)

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
        book, prints, liq_per_minute = replay_history(path, np.random.default_rng([self.seed, 2]))
        for side, low, high, usd in OPENING_BANDS:
            book.leverage.add_band(side, low, high, usd)
        alt_candles, alt_books, alt_prints = alt_history(self.seed, path)
        first_ms = int(path.ts_ms[len(path.ts_ms) - len(liq_per_minute)])
        liq_per_minute += np.bincount(
            (alt_prints.ts_ms - first_ms) // MINUTE_MS, alt_prints.notional_usd, minlength=len(liq_per_minute)
        )
        readings = fear_greed_history(self.seed, OPENING_MS // DAY_MS * DAY_MS)
        btc = _frozen_candles(path.ts_ms, path.open, path.high, path.low, path.close, path.volume)
        coin_candles = {SYMBOLS[0]: btc, **_alt_candles(alt_candles)}
        events = liquidation_events(merge_prints([prints, alt_prints]))
        self._history = DemoHistory(btc, events, readings, book.funding, book.oi_usd, coin_candles)
        self._book = book
        self._alts = AltMarket(self.seed, float(path.close[-1]), alt_books)
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
        """One live minute: every coin's 60 ticks, the liquidations they trigger, then the candles and BTC's
        derivatives."""
        book, alts = self._book, self._alts
        assert book is not None and alts is not None
        start = OPENING_MS + m * MINUTE_MS
        prices, btc_prints, volume_btc = self._btc_minute(book, m, start)
        alt = alts.minute(m, start, prices, self._sigma, volume_btc * float(prices[-1]))
        prints = merge_prints([btc_prints, alt.prints])
        self._liq_1m.append(float(prints.notional_usd.sum()))
        # A new day only needs the last 24 hours: memory stays flat however long the market runs.
        del self._closes_1m[: -2 * 1440], self._liq_1m[: -2 * 1440]
        every = np.vstack((prices.round(1)[None, :], alt.prices))
        volumes = np.concatenate(([volume_btc], alt.volume))
        tick_ms = start + 500 + 1000 * np.arange(60, dtype=np.int64)
        out = tick_events(tick_ms, every)
        out += [(e.ts_ms, e) for e in liquidation_events(prints)]
        out.sort(key=lambda item: item[0])  # stable: a tick stays ahead of a print stamped the same ms
        candles = candle_events(start, every, volumes)
        out += candles
        ohlcv = np.array([[c.open, c.high, c.low, c.close, c.volume] for _, c in candles]).T  # type: ignore[union-attr]
        self._live_1m = [*self._live_1m[-(HISTORY_MINUTES - 1) :], (m, ohlcv)]
        end = start + MINUTE_MS
        out += [(end, d) for d in coin_derivatives(SOURCE, end, book.funding, book.oi_usd)]
        if end % DAY_MS == 0:
            out.append((end, self._new_day(end)))
        return out

    def _btc_minute(self, book: Book, m: int, start: int) -> tuple[FloatArray, Prints, float]:
        """BTC's minute: its 60 one-second prices, its prints (its share of what its book released) and its
        volume in BTC. The random stream is BTC's alone: the other coins draw from their own."""
        rng = np.random.default_rng([self.seed, 5, m])
        prices, swept_long, swept_short = self._walk(book, rng)
        tick_ms = start + 500 + 1000 * np.arange(60, dtype=np.int64)
        second_ms = start + 1000 * np.arange(60, dtype=np.int64)
        prints = merge_prints(
            [
                split_into_prints(rng, swept_long, True, second_ms, 1000, prices, unit_usd=BTC_SHARE),
                split_into_prints(rng, swept_short, False, second_ms, 1000, prices, unit_usd=BTC_SHARE),
                background_prints(rng, start, MINUTE_MS, BACKGROUND_RATE, 0.6, tick_ms, prices, BTC_SHARE),
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
        return prices, prints, float(volume_btc)

    def _walk(self, book: Book, rng: np.random.Generator) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The minute's 60 one-second prices and the long/short notional each second liquidated."""
        liq_long, liq_short = self._prev_liq
        # Volatility clusters and jumps after liquidations; the order flow wanders, and fresh money fades
        # part of a flush's impact over the next hour (an exhaustion bounce rather than a free fall).
        shock = np.log1p((liq_long + liq_short) / 2e7)
        self._log_vol = 0.985 * self._log_vol + 0.045 * rng.standard_normal() + 0.06 * shock
        self._flow = FLOW_PERSIST * self._flow + FLOW_SIGMA * rng.standard_normal()
        self._flow += ABSORB * IMPACT_PER_USD * (liq_long - liq_short) * (1.0 - FLOW_PERSIST) / 60.0
        sigma = self._sigma = SECOND_VOL * np.exp(self._log_vol)
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
