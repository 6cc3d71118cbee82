"""The engine: runs sources, folds their events into market state, publishes immutable snapshots.

Plain asyncio, no Textual. Sources push events into one queue; a single consumer applies them in arrival
order, and a publisher freezes a snapshot at most ``snapshot_hz`` times a second (and at least once a
second, so clocks and staleness move even when the market is quiet). Every liquidation that arrived
since the previous snapshot travels inside the next one, so none is dropped or repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable, Collection
from dataclasses import replace

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.service import AlarmService
from cockpit.alarms.store import AlarmStore
from cockpit.config import Config
from cockpit.engine.market_state import MarketState, News
from cockpit.models import (
    Backfill,
    CandleClosed,
    Covered,
    DerivativesUpdate,
    MarketEvent,
    PriceTick,
    Snapshot,
    SourceError,
    SourceOk,
)
from cockpit.sources import checks
from cockpit.sources.base import ReplayControls, Source
from cockpit.sources.clock import Clock
from cockpit.storage.history import (
    DAY_MS,
    HistoryError,
    HistoryReplaced,
    LiquidationHistory,
    history_problem,
    keep_fresh,
)
from cockpit.text.safety import printable

# Events that change nothing on the main screen at once: a source saying it is alive, or the time a quiet
# stream watched. They are applied with the next snapshot, which comes within a second anyway (health
# and clocks move once a second); waking for each cost a snapshot per ticker of every venue that is not
# the price venue (bench/RESULTS.md, "In a real terminal").
QUIET_EVENTS = (SourceOk, Covered)
STOP_TIMEOUT_S = 10.0  # real seconds: the longest quitting waits for the sources to stop
REOPEN_EVERY_S = 1.0  # real seconds between attempts to reopen a deleted history file

View = tuple[str, str]  # (symbol, chart timeframe): what one screen shows


class Engine:
    """Owns the market state; ``snapshots()`` yields what the UI should show."""

    def __init__(
        self,
        config: Config,
        sources: list[Source],
        clock: Clock,
        *,
        symbol: str,
        kind: str,
        alarm_store: AlarmStore | None = None,
        history: LiquidationHistory | None = None,
    ) -> None:
        """``alarm_store`` None keeps alarms in memory only (tests, headless snapshots); ``history`` None
        keeps liquidations in memory only (the windows start empty)."""
        self.config = config
        self.clock = clock
        self.sources = sources
        # Alarms: the UI adds/changes/removes them through ``engine.alarms`` (see AlarmService).
        self.alarms = AlarmService(AlarmBook(config.alarms), alarm_store)
        self._symbol, self._kind = symbol, kind
        self.followed = symbol  # the instrument on the chart (``follow``); each alarm watches its own
        self.shown: frozenset[str] = frozenset()  # other instruments on a screen (a daemon's viewers)
        self._queue: asyncio.Queue[MarketEvent] = asyncio.Queue()
        self.reset_state()
        # Every emitted event is also handed to these (a recording writer), in emission order.
        self.taps: list[Callable[[MarketEvent], None]] = []
        self.tap_error: str | None = None  # why a tap was dropped
        # Set while replaying a recording: its position/speed/pause travel in each snapshot (the badge).
        self.replay: ReplayControls | None = None
        self.history = history
        self.history_error: str | None = None
        self._reopen_at = 0.0  # monotonic time of the last attempt to reopen the history file
        self._history_lost = False  # the file was deleted and is not open again yet
        self._pruned_ms = 0
        self.chart_timeframe = config.ui.chart_timeframe
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()

    def reset_state(self) -> None:
        """Forget the market (replay seeks backwards by replaying from the start into a fresh state)."""
        simulated = any(s.simulated for s in self.sources)
        self.state = MarketState(self.config, self._symbol, self._kind, simulated)
        self.state.follow(self.followed)
        self.state.alarm_book = self.alarms.book
        self._restored = False  # the history goes into each fresh state once, never twice
        for s in self.sources:
            # Optional: ``feeds`` (feed -> cadence in s) to be judged per feed, ``label`` the venue name its
            # liquidations carry; a source without them is judged as one feed on ``cadence_s``. A source
            # that delivers liquidations names their ``venues`` and ``symbols`` (coverage, totals' scope).
            # ``coverage_note`` says what of its venue's market a liquidation source covers.
            extra = {k: getattr(s, k) for k in ("feeds", "label", "coverage_note") if hasattr(s, k)}
            self.state.register(
                s.name,
                s.cadence_s,
                s.simulated,
                getattr(s, "sampled", False),
                venues=tuple(getattr(s, "venues", ())),
                symbols=tuple(getattr(s, "symbols", ())),
                **extra,
            )
        while not self._queue.empty():
            self._queue.get_nowait()

    def follow(self, symbol: str) -> None:
        """Chart ``symbol`` from now on: the state switches at once (its candles if any were kept), and
        each source that can (``follow``) starts delivering its candles, ticker and derivatives."""
        self.followed = symbol
        self.state.follow(symbol)
        for s in self.sources:
            follow = getattr(s, "follow", None)
            if follow is not None:
                follow(symbol)
        self._wake.set()

    def show_also(self, symbols: frozenset[str]) -> None:
        """Instruments on other screens (a daemon's viewers): their ticks wake the engine, and the sources
        that can (``follow_also``) keep their candles, price and derivatives current."""
        self.shown = symbols
        others = symbols - {self.followed}
        for s in self.sources:
            follow_also = getattr(s, "follow_also", None)
            if follow_also is not None:
                follow_also(others)

    @property
    def instruments(self) -> tuple[str, ...]:
        """What the trader can put on the chart: every source's instruments (``instruments``), the
        followed one first when none lists it."""
        seen = dict.fromkeys(sym for s in self.sources for sym in getattr(s, "instruments", ()))
        return tuple(seen) if self.followed in seen else (self.followed, *seen)

    def emit(self, event: MarketEvent) -> None:
        """Called by sources (on the engine's loop) for every event. An implausible event (``checks``) is
        counted on its source and goes nowhere: not into the state, the history, the tape or a recording."""
        now = self.clock.now_ms()
        if isinstance(event, Backfill):
            event, dropped, why = checks.clean_backfill(event, now)
            if dropped:
                self.state.reject(event.source, why or "", dropped)
        elif (why := checks.problem(event, now, self._open_interest(event))) is not None:
            self.state.reject(self.state.source_of(event), why)
            self._wake.set()
            return
        for tap in list(self.taps):
            try:
                tap(event)
            except Exception as exc:  # a failing recorder (disk full) must never stop a source
                self.taps.remove(tap)
                self.tap_error = f"{type(exc).__name__}: {exc}"
        self._queue.put_nowait(event)
        if not isinstance(event, QUIET_EVENTS) and self._shows(event):
            self._wake.set()

    def _shows(self, event: MarketEvent) -> bool:
        """Whether ``event`` can change the screen at once: another instrument's tick or candle (the
        simulated market ticks 18 coins a second) waits for the next snapshot instead of causing one."""
        if isinstance(event, PriceTick | CandleClosed | DerivativesUpdate):
            return event.symbol == self.followed or event.symbol in self.shown
        return True

    def _open_interest(self, event: MarketEvent) -> float | None:
        """The open interest a liquidation is judged against: its own instrument's, when known (BTC's
        would be a ceiling far too high for an alt)."""
        symbol = getattr(event, "symbol", None)
        inst = self.state.instruments.get(symbol) if isinstance(symbol, str) else None
        return inst.open_interest_usd if inst is not None else None

    def wake(self) -> None:
        """Publish a snapshot soon (a replay key moved the clock)."""
        self.state.changed = True
        self._wake.set()

    def set_chart_timeframe(self, timeframe: str) -> None:
        """User intent from the UI: the next snapshot carries candles of this timeframe."""
        self.chart_timeframe = timeframe
        self.state.changed = True
        self._wake.set()

    async def _run_source(self, source: Source) -> None:
        try:
            await source.run(self.emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing source becomes a visible error, never a crash
            self.emit(SourceError(source.name, self.clock.now_ms(), f"{type(exc).__name__}: {exc}"))

    def drain(self) -> int:
        """Apply every queued event now; returns how many."""
        batch: list[MarketEvent] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        if batch and self.history is not None:
            batch = self._through_history(batch)
        if batch:
            self.state.apply_many(batch, self.clock.now_ms())
            self.alarms.poke()
        return len(batch)

    def _through_history(self, batch: list[MarketEvent], retry: bool = True) -> list[MarketEvent]:
        assert self.history is not None
        if self._history_lost and not self._reopen_history():
            return batch  # the windows go on from memory; what they hold is written once it reopens
        try:
            batch = keep_fresh(self.history, batch)
            self.history.cover(e for e in batch if isinstance(e, Covered))
            now = self.clock.now_ms()
            if now - self._pruned_ms >= 3_600_000:  # retention once an hour is plenty
                self._pruned_ms = now
                self.history.prune(now)
        except HistoryReplaced:  # deleted under us: the next write must land in a file at the path
            self._history_lost = True
            if retry and self._reopen_history():
                return self._through_history(batch, retry=False)
        except (HistoryError, sqlite3.Error) as exc:  # the windows work from memory; the file stops
            self._history_failed(exc)
        return batch

    def _history_failed(self, exc: Exception) -> None:
        assert self.history is not None
        problem = str(exc) if isinstance(exc, HistoryError) else history_problem(self.history.path, exc)
        self.history_error, self.history = f"off: {problem}", None

    def _reopen_history(self) -> bool:
        """Open the file now at the history's path (new if none) and write what the windows hold (the
        last day's liquidations and the time watched) into it. Tried at most once a second (another
        process may still hold the deleted file); the windows go on from memory meanwhile."""
        old = self.history
        assert old is not None
        if time.monotonic() - self._reopen_at < REOPEN_EVERY_S:
            return False
        self._reopen_at = time.monotonic()
        old.close()  # lets go of the deleted file's WAL, so the new one can start clean
        try:
            new = LiquidationHistory(old.path, old.settings)
            windows = self.state.windows
            held = windows.largest(windows.windows_s[-1], k=len(windows))
            new.add(held)
            cov = self.state.coverage
            new.cover(Covered(src, a, b) for src in cov.sources() for a, b in cov.spans(src))
        except (HistoryError, sqlite3.Error) as exc:
            problem = str(exc) if isinstance(exc, HistoryError) else history_problem(old.path, exc)
            self.history_error = f"{old.path.name} was deleted; not reopened yet: {problem}"
            return False
        self.history, self._history_lost = new, False
        what = "deleted: recreated" if new.created else "replaced: reopened"
        held_n = f"{len(held)} events held in memory"
        self.history_error = f"{old.path.name} was {what} with the {held_n} [{old.path}]"
        return True

    def restore_history(self) -> None:
        """Put the stored last day of liquidations back into the windows (before the sources start); once
        per state, so an engine restarted after an error does not count the stored day twice."""
        if self.history is None or self._restored:
            return
        self._restored = True
        now = self.clock.now_ms()
        try:
            events = self.history.load(now - DAY_MS, now)
            spans = self.history.load_coverage(now - DAY_MS)
        except (HistoryError, sqlite3.Error) as exc:
            self._history_failed(exc)
            return
        events = tuple(e for e in events if checks.liquidation_problem(e, now) is None)
        if events:
            self.state.windows.ingest(events)
            self.state.tape.extend(events[-(self.state.tape.maxlen or 0) :])
            self.state.changed = True
        for source, start, end in spans:  # what earlier runs watched: the stretches between them are holes
            self.state.coverage.claim(source, start, end)

    def snapshot(self) -> Snapshot:
        """Apply what is queued and freeze the state, as the followed instrument's chart shows it."""
        view = (self.followed, self.chart_timeframe)
        return self.views([view])[1][view]

    def views(self, wanted: Collection[View]) -> tuple[News, dict[View, Snapshot]]:
        """Apply what is queued, take the news once and freeze a snapshot per (symbol, chart timeframe)
        wanted: a daemon's viewers each chart their own instrument, and all see the same news."""
        self.drain()
        # Store and file errors quote paths and the system's words: cleaned before they reach a screen.
        self.state.alarm_error = _shown(self.alarms.error)
        now = self.clock.now_ms()
        news = self.state.take_news(now)
        instruments = self.instruments
        out = {v: self._finish(self.state.view(now, v[1], v[0], news, instruments)) for v in wanted}
        self.alarms.poke()  # the snapshot's alarm feed may have fired (liquidation windows, RSI, levels)
        return news, out

    def peek(self, view: View) -> Snapshot:
        """The state now as ``view`` shows it, the news left for the next snapshot: a viewer that just
        attached, or switched instrument, gets its whole frame at once instead of at the next moment."""
        self.drain()
        news = News(self.state.seq, (), ())
        now = self.clock.now_ms()
        return self._finish(self.state.view(now, view[1], view[0], news, self.instruments))

    def _finish(self, snap: Snapshot) -> Snapshot:
        if self.replay is not None or self.history_error is not None or self.tap_error is not None:
            info = self.replay.info() if self.replay is not None else None
            history_error, record_error = _shown(self.history_error), _shown(self.tap_error)
            snap = replace(snap, replay=info, history_error=history_error, record_error=record_error)
        return snap

    def start(self) -> None:
        """Start every source as a task (idempotent)."""
        if not self._tasks:
            self.restore_history()
            self._tasks = [
                asyncio.create_task(self._run_source(s), name=f"source:{s.name}") for s in self.sources
            ]
            self._tasks.append(asyncio.create_task(self.alarms.run(), name="alarms"))

    async def stop(self) -> None:
        """Cancel the sources and wait for them to finish."""
        for t in self._tasks:
            t.cancel()
        if self._tasks:
            # Bounded: a source stuck in a cleanup that ignores cancellation must not hang quitting.
            done, _ = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            for t in done:
                if not t.cancelled():
                    t.exception()  # retrieved: a source's last error is already on screen
        self._tasks = []
        await self.alarms.flush()  # firings of the last moments still reach the history

    async def snapshots(self) -> AsyncGenerator[Snapshot, None]:
        """Start the sources and yield snapshots at most ``snapshot_hz`` per second, until cancelled."""
        async for _ in self.moments():
            yield self.snapshot()

    async def moments(self) -> AsyncGenerator[None, None]:
        """Start the sources, then yield whenever a snapshot is due: at once, then on news but at most
        ``snapshot_hz`` times a second, and at least once a second; the sources stop when it is closed."""
        self.start()
        period = 1.0 / self.config.engine.snapshot_hz
        loop = asyncio.get_running_loop()
        try:
            yield
            while True:
                started = loop.time()
                self._wake.clear()
                # Wait for news, but at most a second: the clock and staleness must keep moving.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                await asyncio.sleep(max(0.0, period - (loop.time() - started)))
                yield
        finally:
            await self.stop()


def _shown(error: str | None) -> str | None:
    return printable(error) if error is not None else None
