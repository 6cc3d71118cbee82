"""Market state the engine keeps: candles, liquidation windows, sentiment, derivatives, source health.

Plain Python + numpy. Events go in through ``apply``; ``snapshot`` freezes the current state into the
immutable ``Snapshot`` the UI renders. Analytics run only when the closed bars they depend on change.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.levels import resolve_levels
from cockpit.alarms.model import AlarmFired
from cockpit.analytics.candles import Candles
from cockpit.analytics.coverage import Coverage
from cockpit.analytics.liquidation_summary import CoinTable, LiquidationFeed, summarize
from cockpit.analytics.liquidations import LiquidationEvent, coin_of
from cockpit.analytics.pipeline import Analysis
from cockpit.analytics.windows import LiquidationWindows
from cockpit.config import Config
from cockpit.engine.alarm_inputs import LiquidationInputs
from cockpit.engine.derived import Derived
from cockpit.engine.instrument import Instrument
from cockpit.engine.source_health import SourceHealth, SourceTrack, feed_of
from cockpit.models import (
    Backfill,
    CandleClosed,
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


@dataclass
class MarketState:
    """Everything known about one symbol's market, updated event by event."""

    config: Config
    symbol: str
    source_kind: str  # "demo" or "live"
    simulated: bool
    windows: LiquidationWindows = field(default_factory=lambda: LiquidationWindows((3600, 14_400, 86_400)))
    sentiment: SentimentUpdate | None = None
    instruments: dict[str, Instrument] = field(default_factory=dict)  # every symbol heard of
    pending: list[LiquidationEvent] = field(default_factory=list)
    sources: dict[str, SourceTrack] = field(default_factory=dict)  # health, kept by ``self.health``
    seq: int = 0
    changed: bool = True
    coverage: Coverage = field(default_factory=Coverage)  # what each liquidation source watched, when
    feeds: dict[str, LiquidationFeed] = field(default_factory=dict)  # the sources that deliver liquidations
    rejected: dict[str, tuple[int, str]] = field(default_factory=dict)  # source -> (count, first reason)
    derived: dict[str, Derived] = field(default_factory=dict)  # per instrument charted (by any viewer)
    coin_table: CoinTable = field(default_factory=CoinTable)
    alarm_book: AlarmBook | None = None  # evaluated on every tick (price) and after every batch (the rest)
    alarm_error: str | None = None  # set by the engine from its alarm service, shown in the snapshot
    _alarm_inputs: tuple[object, frozenset[str]] = (None, frozenset())  # (analysis, refs) last resolved

    def __post_init__(self) -> None:
        self.tape: deque[LiquidationEvent] = deque(maxlen=self.config.liquidations.tape_rows)
        self.health = SourceHealth(self.sources, self.config.engine, self.simulated)
        self.liquidation_inputs = LiquidationInputs(self.windows)

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
        coverage_note: str = "",
    ) -> None:
        """Track a source's health from now on, per feed when it says which it delivers (feed -> cadence);
        one naming ``venues`` delivers their liquidations (of ``symbols``), and its coverage claims decide
        which parts of the windows are whole."""
        self.health.register(name, cadence_s, simulated, sampled, feeds, label, coverage_note)
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
        if isinstance(event, LiquidationEvent):
            self.apply_many([event], now_ms)
            return
        source = event.source
        # Another instrument's price, candle or funding (the simulated market ticks every coin) is kept on
        # its own instrument and shows its source alive, but changes nothing on screen.
        self.changed = self.changed or getattr(event, "symbol", self.symbol) == self.symbol
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

    # -- instruments ----------------------------------------------------------------------------------

    @property
    def inst(self) -> Instrument:
        """The followed instrument's own market."""
        return self.instrument(self.symbol)

    def instrument(self, symbol: str) -> Instrument:
        found = self.instruments.get(symbol)
        if found is None:
            found = self.instruments[symbol] = Instrument()
        return found

    @property
    def price(self) -> float | None:
        return self.inst.price

    def follow(self, symbol: str) -> None:
        """Put ``symbol`` on the chart: its candles (kept since it was first heard of), levels and
        scenarios; what is derived from the previous one's candles is recomputed at the next snapshot."""
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self._alarm_inputs = (None, frozenset())
        self.changed = True

    def _observed(self, symbol: str, ts_ms: int, price: float) -> None:
        """A live price of ``symbol`` (not history): the alarms on that instrument judge it, whether it is
        charted or not."""
        if self.alarm_book is not None:
            self.alarm_book.on_price(symbol, ts_ms, price)

    def _tick(self, t: PriceTick) -> None:
        if self.instrument(t.symbol).tick(t):
            self._observed(t.symbol, t.ts_ms, t.price)

    def _close_minute(self, c: CandleClosed) -> None:
        if self.instrument(c.symbol).close_minute(c):
            self._observed(c.symbol, c.ts_ms + 60_000 - 1, c.close)

    def _derivatives(self, d: DerivativesUpdate) -> None:
        self.instrument(d.symbol).derivatives(d)

    def _backfill(self, b: Backfill) -> None:
        """History: the instrument's candles, and liquidations whatever their instrument (the totals are
        market-wide)."""
        self.instrument(b.symbol).backfill(b)
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

        RSI and the levels come from closed bars of the charted instrument (the only one analysed), so
        they can only move when a minute closed; they are brought up to date at the end of that batch
        (ticks later in the same batch still see the old level, a lag of one batch, milliseconds), and only
        when some alarm on the charted instrument needs them. Alarms on other instruments wait for theirs
        (see ``cockpit.alarms.evaluate``).
        """
        book = self.alarm_book
        if book is None or not len(book):
            return
        if book.chart(self.symbol):  # the levels it held were another instrument's
            self._alarm_inputs = (None, frozenset())
        if self.symbol in book.analysed:
            self._feed_levels(book, self.derived_of(self.symbol).analysis)
        liq_due = self.liquidation_inputs.due(now_ms)
        for stream in sorted(book.streams):
            kind, _, rest = stream.partition(":")
            if kind == "liq" and liq_due:
                book.feed(stream, now_ms, self.liquidation_inputs.value(rest, now_ms))
            elif kind == "rsi":
                timeframe, _, symbol = rest.partition(":")
                value = self.derived_of(symbol).rsi.get(timeframe) if symbol == self.symbol else None
                if value is not None:
                    book.feed(stream, now_ms, value)
            elif kind == "fng" and self.sentiment is not None:  # repeated values are harmless
                book.feed(stream, now_ms, float(self.sentiment.latest.value))

    def _feed_levels(self, book: AlarmBook, analysis: Analysis | None) -> None:
        """Resolve the computed levels alarms follow when the analysis or the references changed."""
        refs = book.refs
        seen_analysis, seen_refs = self._alarm_inputs
        if refs and (seen_analysis is not analysis or seen_refs != refs):  # identity: arrays inside
            book.set_levels(resolve_levels(analysis, refs))
            self._alarm_inputs = (analysis, refs)

    # -- derived values -------------------------------------------------------------------------------

    def derived_of(self, symbol: str) -> Derived:
        """``symbol``'s timeframes, RSI and levels, brought up to date with its closed minutes."""
        found = self.derived.get(symbol)
        if found is None:
            found = self.derived[symbol] = Derived()
        found.refresh(self.instrument(symbol), self.config)
        return found

    def chart_candles(self, timeframe: str) -> Candles:
        """The followed instrument's closed bars of a timeframe plus the forming bar."""
        return self.derived_of(self.symbol).chart_candles(self.inst, timeframe)

    def followed_symbols(self, symbol: str | None = None) -> tuple[str, ...]:
        """Every market of the followed coin (or ``symbol``'s) that has liquidations (BTC/USDT:USDT and
        BTC/USDC:USDC are one coin at one price)."""
        return self.windows.symbols_of(coin_of(symbol or self.symbol))

    def liquidation_summary(self, now_ms: int, symbol: str | None = None) -> LiquidationSummary:
        """Windows, largest prints, coverage and the cascade verdict as of ``now_ms``."""
        cfg = self.config.liquidations
        return summarize(
            self.windows,
            self.coverage,
            tuple(self.feeds.values()),
            now_ms=now_ms,
            cascade_factor=cfg.cascade_factor,
            largest_count=cfg.largest_count,
            followed_symbol=symbol or self.symbol,
            coins=self.coin_table,
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

    def take_news(self, now_ms: int) -> News:
        """What happened since the previous snapshot, handed over once: the liquidations and the alarm
        firings; every view of this moment carries the same news."""
        self.feed_alarms(now_ms)
        self.seq += 1
        self.changed = False
        batch, self.pending = tuple(self.pending), []
        fired = self.alarm_book.take_fired() if self.alarm_book is not None else ()
        return News(self.seq, batch, fired)

    def snapshot(self, now_ms: int, chart_timeframe: str, instruments: tuple[str, ...] = ()) -> Snapshot:
        """Freeze the state for the followed instrument; hands over (and clears) the news."""
        news = self.take_news(now_ms)
        return self.view(now_ms, chart_timeframe, self.symbol, news, instruments)

    def view(
        self, now_ms: int, chart_timeframe: str, symbol: str, news: News, instruments: tuple[str, ...] = ()
    ) -> Snapshot:
        """The state as a viewer charting ``symbol`` in ``chart_timeframe`` sees it (a daemon's viewers
        each keep their own instrument); the market-wide parts are the same for every view."""
        inst, d = self.instrument(symbol), self.derived_of(symbol)
        chart = d.chart_candles(inst, chart_timeframe).frozen()
        return Snapshot(
            seq=news.seq,
            as_of_ms=now_ms,
            source=self.source_kind,
            simulated=self.simulated,
            symbol=symbol,
            instruments=instruments,
            loading=len(inst.candles) == 0,
            price=inst.price,
            change_24h_pct=d.change_24h_pct(inst.price, now_ms),
            chart_timeframe=chart_timeframe,
            candles=chart,
            chart_rsi=d.chart_rsi(chart_timeframe, len(chart), self.config.analytics.rsi_period),
            levels_timeframe=self.config.engine.levels_timeframe,
            analysis=d.analysis,
            rsi_by_timeframe=dict(d.rsi),
            new_liquidations=news.liquidations,
            liquidations=self.liquidation_summary(now_ms, symbol),
            sentiment=self.sentiment,
            funding_rate=inst.funding_rate,
            open_interest_usd=inst.open_interest_usd,
            sources=self.statuses(now_ms),
            lower_bound=any(t.sampled for t in self.sources.values()),
            recent_liquidations=tuple(self.tape),
            chart_liquidations=d.chart_liquidations(
                self.windows, chart_timeframe, chart, self.followed_symbols(symbol)
            ),
            alarms=self.alarm_book.statuses() if self.alarm_book is not None else (),
            fired_alarms=news.fired,
            alarm_error=self.alarm_error,
            funding_interval_h=inst.funding_interval_h,
            funding_venue=inst.funding_venue,
            open_interest_venue=inst.open_interest_venue,
        )


@dataclass(frozen=True)
class News:
    """What one snapshot hands over once: its number, the liquidations and the firings since the last."""

    seq: int
    liquidations: tuple[LiquidationEvent, ...]
    fired: tuple[AlarmFired, ...]
