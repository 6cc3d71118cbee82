"""Health of every source, per feed: ok / stale / error / starting, and the source as the worst of its feeds.

A venue delivers several feeds (liquidations, ticker, candles, funding), each on its own cadence (chosen by
the source, see ``VenueSource.feeds``). Judging the venue as a whole let a streaming ticker keep it "ok" while
its liquidation feed delivered nothing; now each feed is judged alone and the venue shows the worst.

- error: a loop of the feed failed and has not succeeded since. Source-wide errors (its markets, its stream
  connection, a crash) make the source error whatever its feeds say.
- stale: no sign of life for ``stale_after_cadences`` x the feed's cadence. Signs of life are data, an
  answered poll (even an empty one: the venue said "nothing new"), and, for a stream, being connected: the
  source re-announces that every few seconds while ccxt's keepalive pings are answered, so a liquidation
  stream on a quiet market is alive although silent. A feed that never spoke is "starting" until that long
  after its source first showed life, then stale.
- silent, shown stale with a note: a liquidation feed that delivered no liquidation for
  ``silent_liquidations_s`` while the other venues delivered ``silent_liquidations_peers``. A quiet market
  silences every venue at once, so silence alone says nothing; silence while the others are busy says the
  feed is broken though connected (a topic that no longer exists, a poll cursor stuck in the past). Counting
  the others' prints, not comparing rates, keeps a small venue from being flagged on a handful: after 300 of
  them, a venue with a 3% share has delivered none by chance with probability 0.97^300 ~ 1e-4. The time floor
  keeps a burst (300 prints in a minute of cascade) from flagging a venue that batches (Bybit: 500 ms) or
  samples (Binance: one per second per symbol).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import EngineSettings
from cockpit.models import (
    CANDLES,
    DATA,
    FUNDING,
    LIQUIDATIONS,
    TICKER,
    Backfill,
    CandleClosed,
    DerivativesUpdate,
    FeedStatus,
    MarketEvent,
    PriceTick,
    SourceError,
    SourceOk,
    SourceState,
    SourceStatus,
)
from cockpit.text.safety import printable

_RANK: dict[SourceState, int] = {"ok": 0, "starting": 1, "stale": 2, "error": 3}
Errors = dict[str, tuple[str, int | None]]  # task -> (message, retry at ms)


def feed_of(event: MarketEvent) -> str:
    """The feed a data event belongs to."""
    if isinstance(event, PriceTick):
        return TICKER
    if isinstance(event, CandleClosed | Backfill):
        return CANDLES
    if isinstance(event, DerivativesUpdate):
        return FUNDING
    return DATA


@dataclass
class FeedTrack:
    """Health bookkeeping of one feed."""

    name: str
    cadence_s: float
    last_alive_ms: int | None = None
    last_data_ms: int | None = None
    errors: Errors = field(default_factory=dict)
    quiet_since_ms: int | None = None  # liquidations: since the last one (or since the feed came alive)
    peers_mark: int = 0  # liquidations seen from all venues at that moment

    def alive(self, now_ms: int, data: bool, seen: int) -> None:
        if self.quiet_since_ms is None:
            self.quiet_since_ms, self.peers_mark = now_ms, seen
        self.last_alive_ms = now_ms
        if data:
            self.last_data_ms = now_ms


@dataclass
class SourceTrack:
    """Health bookkeeping of one source: its feeds, and its errors that are no feed's."""

    cadence_s: float
    simulated: bool
    sampled: bool = False
    label: str = ""  # the venue name its liquidation events carry
    feeds: dict[str, FeedTrack] = field(default_factory=dict)
    declared: bool = False  # False: one feed (DATA) takes everything, as the source never said what it sends
    errors: Errors = field(default_factory=dict)
    alive_since_ms: int | None = None
    last_data_ms: int | None = None  # source-wide data (its markets loaded)
    deliveries: deque[int] = field(default_factory=deque)  # times of its deliveries in the last minute
    coverage_note: str = ""  # what of its venue's market it covers (the source's own words)

    def delivered(self, now_ms: int) -> None:
        self.deliveries.append(now_ms)
        self.per_minute(now_ms)

    def per_minute(self, now_ms: int) -> int:
        """Deliveries (messages, polls that brought data) in the minute up to ``now_ms``."""
        while self.deliveries and self.deliveries[0] <= now_ms - 60_000:
            self.deliveries.popleft()
        return len(self.deliveries)

    def __post_init__(self) -> None:
        if not self.feeds:
            self.feeds = {DATA: FeedTrack(DATA, self.cadence_s)}

    def feed(self, name: str) -> FeedTrack | None:
        """The feed called ``name``; None for "" (the source as a whole) on a source with declared feeds."""
        if not self.declared:
            return self.feeds[DATA]
        if not name:
            return None
        if name not in self.feeds:  # one it did not declare (a recording's): judged on the source's cadence
            self.feeds[name] = FeedTrack(name, self.cadence_s)
        return self.feeds[name]


class SourceHealth:
    """Folds source events into per-feed health and reports it (``tracks`` is the state's own dict)."""

    def __init__(self, tracks: dict[str, SourceTrack], settings: EngineSettings, simulated: bool) -> None:
        self.tracks = tracks
        self.settings = settings
        self.simulated = simulated
        self.liquidations_seen = 0  # every liquidation from every venue, for the silence rule

    def register(
        self,
        name: str,
        cadence_s: float,
        simulated: bool,
        sampled: bool = False,
        feeds: Mapping[str, float] | None = None,
        label: str | None = None,
        coverage_note: str = "",
    ) -> None:
        """Track a source from now on; ``feeds`` maps each feed it delivers to its cadence in seconds."""
        tracks = {f: FeedTrack(f, c) for f, c in (feeds or {}).items()}
        self.tracks[name] = SourceTrack(
            cadence_s, simulated, sampled, label or name, tracks, bool(tracks), coverage_note=coverage_note
        )

    def _track(self, name: str) -> SourceTrack:
        if name not in self.tracks:
            self.tracks[name] = SourceTrack(1.0, self.simulated, label=name)
        return self.tracks[name]

    def liquidations(self, events: Iterable[LiquidationEvent], now_ms: int) -> None:
        """Liquidations are their venue's liquidation-feed data (matched on the venue name they carry)."""
        venues = set()
        for e in events:
            venues.add(e.venue)
            self.liquidations_seen += 1
        for name, track in self.tracks.items():
            if track.label in venues:
                feed = self.data(name, LIQUIDATIONS, now_ms)
                feed.quiet_since_ms, feed.peers_mark = now_ms, self.liquidations_seen

    def data(self, source: str, feed_name: str, now_ms: int) -> FeedTrack:
        """A feed delivered; data also clears the source's error that names no task (a crash)."""
        track = self._track(source)
        feed = track.feed(feed_name or DATA)
        assert feed is not None  # a named feed always exists
        track.errors.pop("", None)
        feed.errors.pop("", None)
        feed.alive(now_ms, True, self.liquidations_seen)
        track.delivered(now_ms)
        if track.alive_since_ms is None:
            track.alive_since_ms = now_ms
        return feed

    def ok(self, event: SourceOk, now_ms: int) -> None:
        """A loop succeeded: clears that loop's error; with ``data`` its feed delivered, else it is alive."""
        track = self._track(event.source)
        feed = track.feed(event.feed)
        if track.alive_since_ms is None:
            track.alive_since_ms = now_ms
        if feed is None:
            track.errors.pop(event.task, None)
            if event.data:
                track.last_data_ms = now_ms
            return
        feed.errors.pop(event.task, None)
        feed.alive(now_ms, event.data, self.liquidations_seen)
        if event.data:
            track.delivered(now_ms)

    def error(self, event: SourceError, now_ms: int) -> None:
        """A loop failed: its feed (or the source, for a source-wide loop) shows error until it succeeds."""
        track = self._track(event.source)
        feed = track.feed(event.feed)
        retry_at = now_ms + int(event.retry_in_s * 1000) if event.retry_in_s is not None else None
        # Exception text may quote what a venue sent: it is shown on the terminal, so cleaned here.
        message = printable(event.message)
        (track.errors if feed is None else feed.errors)[event.task] = (message, retry_at)

    def statuses(self, now_ms: int) -> tuple[SourceStatus, ...]:
        """Every source by name, its state the worst of its feeds' (error if a source-wide loop fails)."""
        out = []
        for name, t in sorted(self.tracks.items()):
            feeds = tuple(self._feed_status(t, f, now_ms) for f in t.feeds.values())
            state: SourceState = "error" if t.errors else max((f.state for f in feeds), key=_RANK.__getitem__)
            errors = [*t.errors.values(), *(e for f in t.feeds.values() for e in f.errors.values())]
            retry = [at for _, at in errors if at is not None]
            data = [ms for ms in (t.last_data_ms, *(f.last_data_ms for f in feeds)) if ms is not None]
            out.append(
                SourceStatus(
                    name,
                    state,
                    max(data, default=None),
                    errors[0][0] if errors else None,
                    t.simulated,
                    min(retry, default=None),
                    t.sampled,
                    feeds=feeds,
                    per_minute=t.per_minute(now_ms),
                    coverage_note=t.coverage_note,
                )
            )
        return tuple(out)

    def _feed_status(self, t: SourceTrack, f: FeedTrack, now_ms: int) -> FeedStatus:
        limit_ms = self.settings.stale_after_cadences * f.cadence_s * 1000
        note = None
        state: SourceState = "ok"
        if f.errors:
            state = "error"
        elif f.last_alive_ms is None:
            since = t.alive_since_ms
            state = "stale" if since is not None and now_ms - since > limit_ms else "starting"
        elif now_ms - f.last_alive_ms > limit_ms:
            state = "stale"
        elif t.declared and f.name == LIQUIDATIONS:
            note = self._silence(f, now_ms)
            state = "ok" if note is None else "stale"
        first = next(iter(f.errors.values()), None)
        retry = [at for _, at in f.errors.values() if at is not None]
        return FeedStatus(
            f.name,
            state,
            f.last_alive_ms,
            f.last_data_ms,
            first[0] if first else None,
            min(retry, default=None),
            note,
        )

    def _silence(self, f: FeedTrack, now_ms: int) -> str | None:
        """Why a liquidation feed looks broken though alive, or None (see the module docstring)."""
        peers = self.liquidations_seen - f.peers_mark
        quiet_ms = now_ms - (f.quiet_since_ms if f.quiet_since_ms is not None else now_ms)
        need = self.settings.silent_liquidations_peers
        if need <= 0 or peers < need or quiet_ms < self.settings.silent_liquidations_s * 1000:
            return None
        return f"no liquidation for {quiet_ms // 60_000} min while the other venues had {peers}"
