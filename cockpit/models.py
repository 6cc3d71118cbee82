"""Typed market events the sources produce, and the immutable Snapshot the engine publishes.

Nothing here imports Textual: the snapshot is plain frozen data that crosses to the UI in one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cockpit.alarms.model import AlarmFired, AlarmStatus
from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.coverage import WindowCoverage
from cockpit.analytics.liquidations import CoinTotals, LiquidationEvent, WindowTotals
from cockpit.analytics.pipeline import Analysis

SourceState = Literal["ok", "stale", "error", "starting"]

# The feeds a venue delivers, each with its own health (cockpit.engine.source_health); "" in an event
# means the source as a whole (its markets, its stream connection). A source that declares no feeds
# has one, DATA.
LIQUIDATIONS, TICKER, CANDLES, FUNDING, DATA = "liquidations", "ticker", "candles", "funding", "data"


@dataclass(frozen=True, slots=True)
class PriceTick:
    """Last traded (or mark) price of a symbol at a moment."""

    source: str
    symbol: str
    ts_ms: int
    price: float


@dataclass(frozen=True, slots=True)
class CandleClosed:
    """A finished 1-minute candle; higher timeframes are aggregated from these."""

    source: str
    symbol: str
    ts_ms: int  # open time of the minute
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class FearGreedReading:
    """One daily Fear & Greed value with the API's own label."""

    ts_ms: int
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class SentimentUpdate:
    """The newest reading plus the history ending with it (oldest first)."""

    source: str
    latest: FearGreedReading
    history: tuple[FearGreedReading, ...]


@dataclass(frozen=True, slots=True)
class DerivativesUpdate:
    """Funding rate (per funding interval, as a fraction) and open interest (USD) of a venue's perpetual."""

    source: str
    symbol: str
    ts_ms: int
    funding_rate: float | None
    open_interest_usd: float | None
    venue: str = ""  # the venue's display name ("Binance"); "" for the simulated market
    funding_interval_h: float | None = None  # hours between settlements: what the rate is per


@dataclass(frozen=True, slots=True)
class SourceError:
    """A source could not deliver; ``permanent`` errors are not retried in a loop."""

    source: str
    ts_ms: int
    message: str
    permanent: bool = False
    retry_in_s: float | None = None  # when the source will try again (shown as a countdown)
    task: str = ""  # which of the source's loops failed; its next success clears only this error
    feed: str = ""  # the feed that loop delivers ("liquidations"); "" = the source as a whole


@dataclass(frozen=True, slots=True)
class SourceOk:
    """A source delivered (a poll answered, a stream message arrived) even if nothing changed; with
    ``data`` False it only says a loop is healthy again (a stream reconnected, a notice expired): that clears
    the loop's error but is not news, so a source that stays silent still goes stale."""

    source: str
    ts_ms: int
    task: str = ""  # the loop that succeeded: clears that loop's error
    data: bool = True
    feed: str = (
        ""  # the feed that loop delivers; with ``data`` False it is alive (connected) but sent nothing
    )


@dataclass(frozen=True, slots=True)
class Covered:
    """A source saw every liquidation its venues published from ``start_ms`` to ``end_ms``: a stream while
    connected, a poll for the range it read, the history for what earlier runs watched. Time outside every
    such claim is a hole in the windows, shown as one."""

    source: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Backfill:
    """History a source loads before it goes live, ingested in bulk (arrays, not one event each)."""

    source: str
    symbol: str
    candles_1m: Candles
    liquidations: tuple[LiquidationEvent, ...] = ()
    sentiment: SentimentUpdate | None = None


MarketEvent = (
    PriceTick
    | CandleClosed
    | LiquidationEvent
    | SentimentUpdate
    | DerivativesUpdate
    | SourceError
    | SourceOk
    | Backfill
    | Covered
)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One feed of a source: ok / stale / error / starting, judged on its own cadence."""

    name: str
    state: SourceState
    last_ok_ms: int | None  # last sign of life: data, an answered poll, or a connected stream
    last_data_ms: int | None  # last data delivered
    error: str | None = None
    retry_at_ms: int | None = None
    note: str | None = None  # why it is stale when the reason is not plain silence


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What the status bar shows for one source; ``state`` is the worst of its feeds'."""

    name: str
    state: SourceState
    last_ok_ms: int | None  # last data from any of its feeds
    error: str | None = None
    simulated: bool = False
    retry_at_ms: int | None = None  # next attempt after an error
    sampled: bool = False  # the venue publishes a sample of liquidations: its totals are lower bounds
    rejected: int = 0  # implausible events dropped at the boundary (sources/checks.py)
    rejected_first: str | None = None  # why the first of them was dropped
    feeds: tuple[FeedStatus, ...] = ()
    per_minute: int = 0  # deliveries in the last minute (messages, polls that brought data)
    # What of the venue's market its liquidations cover ("all perpetuals (all-market stream)", "top 100
    # perpetuals by 24 h turnover", ...); "" for a source that says nothing about it.
    coverage_note: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """One source or store that is not ok, with what it says."""

    name: str
    state: SourceState
    reason: str  # "" when there is nothing to add to the state (starting)


@dataclass(frozen=True, slots=True)
class HealthSummary:
    """Every source and store as one line can show it (cockpit.engine.health_summary computes it)."""

    counts: dict[SourceState, int]  # sources and stores per state (states with none left out)
    worst: SourceState
    problems: tuple[Problem, ...]  # worst first
    no_live_data: bool  # live, and every source failing
    stores: tuple[tuple[str, str | None], ...] = ()  # (store, its error) for the stores the engine uses


@dataclass(frozen=True, slots=True)
class SourceCoverage:
    """How much of each window one liquidation source watched, and since when without a break."""

    source: str
    venues: tuple[str, ...]  # the venue names its prints carry
    sampled: bool  # its venues publish samples: totals including them are lower bounds
    since_ms: int | None  # start of the unbroken coverage reaching now (None: not watching now)
    windows: dict[str, WindowCoverage]  # "1h", "4h", "24h"


@dataclass(frozen=True, slots=True)
class LiquidationSummary:
    """Rolling totals per window, per venue over 24h, the largest prints, the cascade verdict, and what the
    totals cover: which instruments, which sources, which stretches of each window."""

    windows: dict[str, WindowTotals]  # "1h", "4h", "24h"
    largest: tuple[LiquidationEvent, ...]
    hourly_average_24h_usd: float  # over the covered hours of the day, of the sources judged
    cascade: bool
    cascade_ratio: float  # last hour's rate / average hourly rate of the covered day
    per_minute: tuple[int, ...]  # counts over the last hour, oldest first
    judged: bool = (
        True  # False: too little of the day watched yet to call a cascade (``collecting_since_ms``)
    )
    collecting_since_ms: int | None = None  # the oldest watched moment of the last 24h
    coverage: tuple[SourceCoverage, ...] = ()
    lower_bound: dict[str, bool] = field(default_factory=dict)  # window -> a sampling venue contributes
    scope: tuple[str, ...] = ()  # the instruments the totals add up
    # The market by coin, largest first, per window (refreshed once a market second: see CoinTable).
    by_coin: dict[str, tuple[CoinTotals, ...]] = field(default_factory=dict)
    followed_coin: str = ""  # the coin of the instrument on the chart
    followed: dict[str, WindowTotals] = field(default_factory=dict)  # that coin's own totals per window
    followed_cascade: bool = False  # the cascade verdict on the followed coin alone
    followed_cascade_ratio: float = 0.0

    def partial(self, window: str) -> bool:
        """Some source has a hole of a minute or more in ``window``."""
        return any(c.windows[window].partial for c in self.coverage if window in c.windows)


@dataclass(frozen=True, slots=True)
class ChartLiquidations:
    """Liquidations per chart bar, aligned with ``Snapshot.candles`` (read-only arrays): notional per side
    and its notional-weighted price (NaN where none). Bars older than the retained 24h hold zeros."""

    long_usd: FloatArray
    short_usd: FloatArray
    long_price: FloatArray
    short_price: FloatArray


@dataclass(frozen=True, slots=True)
class ReplayInfo:
    """Where a replay is (the REPLAY badge): position in the recording, its length, speed, paused."""

    position_s: float
    length_s: float
    speed: float
    paused: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the UI shows at one moment. Built by the engine, never mutated."""

    seq: int
    as_of_ms: int
    source: str  # "demo" or "live"
    simulated: bool
    symbol: str
    price: float | None
    change_24h_pct: float | None
    chart_timeframe: str
    candles: Candles  # chart timeframe: closed bars plus the forming one last
    chart_rsi: FloatArray  # RSI per chart bar: closed bars only, NaN while warming up and for the forming bar
    levels_timeframe: str
    analysis: Analysis | None  # computed on the closed bars of ``levels_timeframe``
    rsi_by_timeframe: dict[str, float | None]
    new_liquidations: tuple[LiquidationEvent, ...]  # every event since the previous snapshot, in order
    liquidations: LiquidationSummary
    sentiment: SentimentUpdate | None
    funding_rate: float | None
    open_interest_usd: float | None
    sources: tuple[SourceStatus, ...]
    lower_bound: bool  # some liquidation source samples: totals are at least what is shown
    recent_liquidations: tuple[LiquidationEvent, ...] = field(default=())  # newest last, for the tape
    chart_liquidations: ChartLiquidations | None = None  # per chart bar, for the chart's markers
    alarms: tuple[AlarmStatus, ...] = ()  # every alarm with its resolved level now, by id (chart lines, list)
    fired_alarms: tuple[AlarmFired, ...] = ()  # every firing since the previous snapshot, in order
    alarm_error: str | None = None  # the alarm store's last problem (firings still fire; history may lag)
    replay: ReplayInfo | None = None  # set while a recording plays (not market data: not in the JSON)
    history_error: str | None = None  # the liquidation history stopped (windows go on from memory)
    record_error: str | None = None  # `--record` stopped writing (the session goes on)
    funding_interval_h: float | None = None  # what ``funding_rate`` is per (hours between settlements)
    funding_venue: str | None = None  # whose funding rate it is ("Binance")
    open_interest_venue: str | None = None  # whose open interest it is
    instruments: tuple[str, ...] = ()  # what the trader can chart (the symbol picker's list)
    loading: bool = False  # the followed instrument's candles have not arrived yet (just switched)
    link: str | None = None  # set by a viewer attached to a daemon: "daemon", or "lost" while it is gone

    @property
    def health(self) -> HealthSummary:
        """Every source and store in a line's worth (derived, so always in step with the fields)."""
        return summarize(self)


RANK: dict[SourceState, int] = {"ok": 0, "starting": 1, "stale": 2, "error": 3}
ORDER: tuple[SourceState, ...] = ("ok", "starting", "stale", "error")


def _stores(s: Snapshot) -> list[tuple[str, str | None]]:
    """(store, its error) for every store the engine uses (the recorder only while recording)."""
    out: list[tuple[str, str | None]] = [("history", s.history_error), ("alarm store", s.alarm_error)]
    if s.record_error is not None:
        out.append(("recorder", s.record_error))
    return out


def summarize(s: Snapshot) -> HealthSummary:
    """Every source and store as one line can show it: counts by state, problems worst first. The stores
    count as sources: a trader must see a failing store as surely as a failing venue."""
    problems: list[Problem] = []
    counts: dict[SourceState, int] = {}
    for src in s.sources:
        counts[src.state] = counts.get(src.state, 0) + 1
        if src.state != "ok":
            stale = ", ".join(f.name for f in src.feeds if f.state == src.state and f.name != "data")
            problems.append(Problem(src.name, src.state, src.error or stale))
    store_rows = _stores(s)
    for name, error in store_rows:
        state: SourceState = "error" if error else "ok"
        counts[state] = counts.get(state, 0) + 1
        if error:
            problems.append(Problem(name, "error", error))
    problems.sort(key=lambda p: -RANK[p.state])
    worst: SourceState = max(counts, key=RANK.__getitem__) if counts else "ok"
    no_live = not s.simulated and bool(s.sources) and all(x.state == "error" for x in s.sources)
    ordered = {k: counts[k] for k in ORDER if k in counts}
    return HealthSummary(ordered, worst, tuple(problems), no_live, tuple(store_rows))
