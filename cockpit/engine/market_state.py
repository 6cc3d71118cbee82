"""Market state the engine keeps: candles, liquidation windows, sentiment, derivatives, source health.

Plain Python + numpy. Events go in through ``apply``; ``snapshot`` freezes the current state into the
immutable ``Snapshot`` the UI renders. Analytics run only when the closed bars they depend on change.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from cockpit.alarms.evaluate import PRICE, AlarmBook
from cockpit.alarms.levels import resolve_levels
from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.coverage import Coverage
from cockpit.analytics.liquidation_summary import LiquidationFeed, summarize
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.analytics.pipeline import Analysis, analyze
from cockpit.analytics.resample import resample
from cockpit.analytics.rsi import rsi
from cockpit.analytics.windows import LiquidationWindows
from cockpit.config import TIMEFRAME_MS, TIMEFRAMES, Config
from cockpit.engine import chart_series as series
from cockpit.engine.source_health import SourceHealth, SourceTrack, feed_of
from cockpit.models import (
    Backfill,
    CandleClosed,
    ChartLiquidations,
    Covered,
    DerivativesUpdate,
    LiquidationSummary,
    MarketEvent,
    PriceTick,
    SentimentUpdate,
    Snapshot,
    SourceError,
    SourceOk,
    SourceStatus,
)

MAX_MINUTES = 60 * 24 * 45  # 1m candles kept: enough for 45 daily bars, ~3 MB


class CandleStore:
    """Closed 1-minute candles in growable arrays, oldest dropped past ``MAX_MINUTES``."""

    def __init__(self) -> None:
        self._cols = np.empty((6, 0))
        self.version = 0

    def __len__(self) -> int:
        return self._cols.shape[1]

    @property
    def last_ts_ms(self) -> int | None:
        return int(self._cols[0, -1]) if len(self) else None

    def extend(self, c: Candles) -> None:
        """Append candles newer than the last stored one (older or repeated minutes are ignored)."""
        last = self.last_ts_ms
        keep = c.ts_ms > last if last is not None else np.ones(len(c), dtype=bool)
        if not keep.any():
            return
        block = np.vstack(
            [c.ts_ms[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep], c.volume[keep]]
        )
        self._cols = np.concatenate((self._cols, block), axis=1)[:, -MAX_MINUTES:]
        self.version += 1

    def candles(self) -> Candles:
        """A read-only view of everything stored."""
        cols = self._cols
        return Candles(cols[0].astype(np.int64), cols[1], cols[2], cols[3], cols[4], cols[5]).frozen()


@dataclass
class _Forming:
    """The minute being built from ticks."""

    ts_ms: int
    open: float
    high: float
    low: float
    close: float


@dataclass
class MarketState:
    """Everything known about one symbol's market, updated event by event."""

    config: Config
    symbol: str
    source_kind: str  # "demo" or "live"
    simulated: bool
    candles: CandleStore = field(default_factory=CandleStore)
    windows: LiquidationWindows = field(default_factory=lambda: LiquidationWindows((3600, 14_400, 86_400)))
    price: float | None = None
    _price_ts_ms: int | None = None  # when ``price`` was true (a tick's time, a candle's end)
    forming: _Forming | None = None
    sentiment: SentimentUpdate | None = None
    funding_rate: float | None = None
    open_interest_usd: float | None = None
    funding_interval_h: float | None = None
    funding_venue: str | None = None
    open_interest_venue: str | None = None
    pending: list[LiquidationEvent] = field(default_factory=list)
    sources: dict[str, SourceTrack] = field(default_factory=dict)  # health, kept by ``self.health``
    seq: int = 0
    changed: bool = True
    coverage: Coverage = field(default_factory=Coverage)  # what each liquidation source watched, when
    feeds: dict[str, LiquidationFeed] = field(default_factory=dict)  # the sources that deliver liquidations
    rejected: dict[str, tuple[int, str]] = field(default_factory=dict)  # source -> (count, first reason)
    _derived_version: int = -1
    _analysis: Analysis | None = None
    _rsi: dict[str, float | None] = field(default_factory=dict)
    _closed_by_tf: dict[str, Candles] = field(default_factory=dict)
    _chart_liqs: tuple[tuple[object, ...], ChartLiquidations] | None = None
    alarm_book: AlarmBook | None = None  # evaluated on every tick (price) and after every batch (the rest)
    alarm_error: str | None = None  # set by the engine from its alarm service, shown in the snapshot
    _alarm_inputs: tuple[object, frozenset[str]] = (None, frozenset())  # (analysis, refs) last resolved

    def __post_init__(self) -> None:
        self.tape: deque[LiquidationEvent] = deque(maxlen=self.config.liquidations.tape_rows)
        self.health = SourceHealth(self.sources, self.config.engine, self.simulated)

    def register(
        self,
        name: str,
        cadence_s: float,
        simulated: bool,
        sampled: bool = False,
        feeds: Mapping[str, float] | None = None,
        label: str | None = None,
        *,
        venues: tuple[str, ...] = (),
        symbols: tuple[str, ...] = (),
    ) -> None:
        """Track a source's health from now on, per feed when it says which it delivers (feed -> cadence);
        one naming ``venues`` delivers their liquidations (of ``symbols``), and its coverage claims decide
        which parts of the windows are whole."""
        self.health.register(name, cadence_s, simulated, sampled, feeds, label)
        if venues:
            self.feeds[name] = LiquidationFeed(name, venues, symbols, sampled, cadence_s)

    def reject(self, source: str, why: str, count: int = 1) -> None:
        """Count implausible events of a source, keeping the first reason (shown on the source)."""
        seen, first = self.rejected.get(source, (0, why))
        self.rejected[source] = (seen + count, first)
        self.changed = True

    def source_of(self, event: MarketEvent) -> str:
        """The source an event came from (a liquidation names its venue, whose feed is the source)."""
        if isinstance(event, LiquidationEvent):
            return next((f.source for f in self.feeds.values() if event.venue in f.venues), event.venue)
        return event.source

    def apply_many(self, events: list[MarketEvent], now_ms: int) -> None:
        """Fold a batch of events in arrival order; liquidations are ingested in one call."""
        liqs = [e for e in events if isinstance(e, LiquidationEvent)]
        if liqs:
            self.windows.ingest(liqs)
            self.pending.extend(liqs)
            self.tape.extend(liqs)
            self.health.liquidations(liqs, now_ms)
            self.changed = True
        for e in events:
            if not isinstance(e, LiquidationEvent):
                self.apply(e, now_ms)
        self.feed_alarms(now_ms)

    def apply(self, event: MarketEvent, now_ms: int) -> None:
        """Fold one event into the state."""
        self.changed = True
        if isinstance(event, LiquidationEvent):
            self.apply_many([event], now_ms)
            return
        source = event.source
        if isinstance(event, PriceTick | CandleClosed | DerivativesUpdate) and event.symbol != self.symbol:
            # Another instrument of a many-coin source (the simulated market ticks every coin): it shows the
            # source is alive, but only the followed symbol's price, candles and funding are this state's.
            self.health.data(source, feed_of(event), now_ms)
            return
        if isinstance(event, PriceTick):
            self._tick(event)
        elif isinstance(event, CandleClosed):
            self._close_minute(event)
        elif isinstance(event, Backfill):
            self._backfill(event)
        elif isinstance(event, SentimentUpdate):
            self.sentiment = event
        elif isinstance(event, DerivativesUpdate):
            self._derivatives(event)
        elif isinstance(event, SourceError):
            self.health.error(event, now_ms)
            return
        elif isinstance(event, SourceOk):
            self.health.ok(event, now_ms)
            return
        elif isinstance(event, Covered):  # not data: a quiet, connected stream covers without delivering
            self.coverage.claim(source, event.start_ms, event.end_ms)
            return
        self.health.data(source, feed_of(event), now_ms)

    def _derivatives(self, d: DerivativesUpdate) -> None:
        """Keep the last known value of each, with whose it is (a poll may bring only one of them)."""
        if d.funding_rate is not None:
            self.funding_rate, self.funding_interval_h = d.funding_rate, d.funding_interval_h
            self.funding_venue = d.venue or None
        if d.open_interest_usd:
            self.open_interest_usd, self.open_interest_venue = d.open_interest_usd, d.venue or None

    def _observe_price(self, ts_ms: int, price: float, *, live: bool = True) -> None:
        """The newest price wins, whichever feed brought it: a ticker stream that went silent while the
        REST candles moved must not hold the price (and the price alarms) where it stopped. A backfill is
        history, not an observation (``live`` False): alarms are judged from the first live price on."""
        if self._price_ts_ms is not None and ts_ms < self._price_ts_ms:
            return
        self._price_ts_ms = ts_ms
        if live and self.alarm_book is not None:
            self.alarm_book.on_price(ts_ms, price)
        self.price = price

    def _tick(self, t: PriceTick) -> None:
        self._observe_price(t.ts_ms, t.price)
        minute = t.ts_ms // 60_000 * 60_000
        f = self.forming
        if f is None or minute != f.ts_ms:
            self.forming = _Forming(minute, t.price, t.price, t.price, t.price)
        else:
            f.high, f.low, f.close = max(f.high, t.price), min(f.low, t.price), t.price

    def _close_minute(self, c: CandleClosed) -> None:
        self.candles.extend(
            Candles.from_arrays([c.ts_ms], [c.open], [c.high], [c.low], [c.close], [c.volume])
        )
        if self.forming is not None and self.forming.ts_ms <= c.ts_ms:
            self.forming = None
        self._observe_price(c.ts_ms + 60_000 - 1, c.close)  # the close is the price at the minute's end

    def _backfill(self, b: Backfill) -> None:
        """History: liquidations count whatever their instrument (the totals are market-wide); candles only
        for the followed symbol."""
        if b.symbol != self.symbol:
            self._backfill_liquidations(b)
            return
        self.candles.extend(b.candles_1m)
        if len(b.candles_1m):
            end_ms = int(b.candles_1m.ts_ms[-1]) + 60_000 - 1
            self._observe_price(end_ms, float(b.candles_1m.close[-1]), live=False)
        self._backfill_liquidations(b)

    def _backfill_liquidations(self, b: Backfill) -> None:
        if b.liquidations:
            self.windows.ingest(b.liquidations)
            keep = self.tape.maxlen or 0
            # Backfills of several instruments arrive one after the other: the tape is the newest prints
            # of all of them, in time order, not the last backfill's.
            newest = sorted([*self.tape, *b.liquidations[-keep:]], key=lambda e: e.ts_ms) if keep else []
            self.tape.clear()
            self.tape.extend(newest[-keep:] if keep else ())
        if b.sentiment is not None:
            self.sentiment = b.sentiment

    def feed_alarms(self, now_ms: int) -> None:
        """Give the alarm book what changes per batch rather than per tick: liquidation window totals,
        Fear & Greed, RSI of closed bars and the computed levels bound alarms follow.

        RSI and the levels come from closed bars, so they can only move when a minute closed; they are
        brought up to date at the end of that batch (ticks later in the same batch still see the old level,
        a lag of one batch, milliseconds), and only when some alarm needs them.
        """
        book = self.alarm_book
        if book is None or not len(book):
            return
        streams = book.streams - {PRICE}
        needs_derived = bool(book.refs) or any(s.startswith("rsi:") for s in streams)
        if needs_derived:
            self._refresh_derived()
        refs = book.refs
        seen_analysis, seen_refs = self._alarm_inputs
        if refs and (seen_analysis is not self._analysis or seen_refs != refs):  # identity: arrays inside
            book.set_levels(resolve_levels(self._analysis, refs))
            self._alarm_inputs = (self._analysis, refs)
        for stream in sorted(streams):
            kind, _, rest = stream.partition(":")
            if kind == "liq":
                window, _, side = rest.partition(":")
                t = self.windows.totals(int(window), now_ms)
                book.feed(
                    stream,
                    now_ms,
                    t.long_usd if side == "long" else t.short_usd if side == "short" else t.total_usd,
                )
            elif kind == "rsi":
                value = self._rsi.get(rest)
                if value is not None:
                    book.feed(stream, now_ms, value)
            elif kind == "fng" and self.sentiment is not None:  # repeated values are harmless
                book.feed(stream, now_ms, float(self.sentiment.latest.value))

    # -- derived values -------------------------------------------------------------------------------

    def _refresh_derived(self) -> None:
        """Re-aggregate timeframes and rerun analytics when a minute has closed since last time."""
        if self._derived_version == self.candles.version:
            return
        self._derived_version = self.candles.version
        base = self.candles.candles()
        self._closed_by_tf = {tf: resample(base, TIMEFRAME_MS[tf]) for tf in TIMEFRAMES}
        self._closed_by_tf["1m"] = base
        self._rsi = {}
        for tf, c in self._closed_by_tf.items():
            values = rsi(c.close, self.config.analytics.rsi_period) if len(c) else np.empty(0)
            self._rsi[tf] = float(values[-1]) if len(values) and not np.isnan(values[-1]) else None
        levels_tf = self.config.engine.levels_timeframe
        closed = self._closed_by_tf[levels_tf]
        params = self.config.analytics.for_timeframe(levels_tf)
        self._analysis = analyze(closed, params) if len(closed) >= 3 else None

    def chart_candles(self, timeframe: str) -> Candles:
        """Closed bars of a timeframe plus the forming bar (from closed minutes and the live minute)."""
        self._refresh_derived()
        closed = self._closed_by_tf.get(timeframe)
        if closed is None:
            return Candles.from_arrays([], [], [], [], [])
        f = self.forming
        live = (f.ts_ms, f.open, f.high, f.low, f.close) if f is not None else None
        return series.with_forming_bar(closed, self._closed_by_tf["1m"], live, TIMEFRAME_MS[timeframe])

    def chart_rsi(self, timeframe: str, bars: int) -> FloatArray:
        """RSI of the chart's closed bars, aligned with the chart candles (NaN for the forming bar)."""
        return series.closed_rsi(self._closed_by_tf.get(timeframe), bars, self.config.analytics.rsi_period)

    def chart_liquidations(self, timeframe: str, candles: Candles) -> ChartLiquidations:
        """Liquidation notional and price per chart bar, recomputed only when events or bars changed."""
        key = (timeframe, len(candles), self.windows.latest_ts_ms, len(self.windows))
        if self._chart_liqs is None or self._chart_liqs[0] != key:
            self._chart_liqs = (
                key,
                series.liquidations_per_bar(self.windows, candles, TIMEFRAME_MS[timeframe], self.symbol),
            )
        return self._chart_liqs[1]

    def change_24h_pct(self, now_ms: int) -> float | None:
        """Last price against the close of the minute 24 hours ago."""
        c = self._closed_by_tf.get("1m")
        if self.price is None or c is None or not len(c):
            return None
        k = int(np.searchsorted(c.ts_ms, now_ms - 86_400_000 - 60_000, side="right")) - 1
        if k < 0:
            return None
        return (self.price / float(c.close[k]) - 1.0) * 100.0

    def liquidation_summary(self, now_ms: int) -> LiquidationSummary:
        """Windows, largest prints, coverage and the cascade verdict as of ``now_ms``."""
        cfg = self.config.liquidations
        return summarize(
            self.windows,
            self.coverage,
            tuple(self.feeds.values()),
            now_ms=now_ms,
            cascade_factor=cfg.cascade_factor,
            largest_count=cfg.largest_count,
        )

    def statuses(self, now_ms: int) -> tuple[SourceStatus, ...]:
        """ok / stale / error / starting per source, the worst of its feeds (see ``source_health``), with
        the implausible events dropped at the boundary."""
        return tuple(
            replace(s, rejected=self.rejected[s.name][0], rejected_first=self.rejected[s.name][1])
            if s.name in self.rejected
            else s
            for s in self.health.statuses(now_ms)
        )

    def snapshot(self, now_ms: int, chart_timeframe: str) -> Snapshot:
        """Freeze the state; hands over (and clears) the liquidations since the previous snapshot."""
        self._refresh_derived()
        self.feed_alarms(now_ms)
        chart = self.chart_candles(chart_timeframe).frozen()
        self.seq += 1
        self.changed = False
        batch, self.pending = tuple(self.pending), []
        return Snapshot(
            seq=self.seq,
            as_of_ms=now_ms,
            source=self.source_kind,
            simulated=self.simulated,
            symbol=self.symbol,
            price=self.price,
            change_24h_pct=self.change_24h_pct(now_ms),
            chart_timeframe=chart_timeframe,
            candles=chart,
            chart_rsi=self.chart_rsi(chart_timeframe, len(chart)),
            levels_timeframe=self.config.engine.levels_timeframe,
            analysis=self._analysis,
            rsi_by_timeframe=dict(self._rsi),
            new_liquidations=batch,
            liquidations=self.liquidation_summary(now_ms),
            sentiment=self.sentiment,
            funding_rate=self.funding_rate,
            open_interest_usd=self.open_interest_usd,
            sources=self.statuses(now_ms),
            lower_bound=any(t.sampled for t in self.sources.values()),
            recent_liquidations=tuple(self.tape),
            chart_liquidations=self.chart_liquidations(chart_timeframe, chart),
            alarms=self.alarm_book.statuses() if self.alarm_book is not None else (),
            fired_alarms=self.alarm_book.take_fired() if self.alarm_book is not None else (),
            alarm_error=self.alarm_error,
            funding_interval_h=self.funding_interval_h,
            funding_venue=self.funding_venue,
            open_interest_venue=self.open_interest_venue,
        )
