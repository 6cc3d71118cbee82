"""The liquidations block of a snapshot: window totals, largest prints, the cascade verdict, and what the
totals cover (instruments, sources, the stretches of each window every source actually watched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.analytics.cascade import SourceCover, judge
from cockpit.analytics.coverage import Coverage
from cockpit.analytics.liquidations import CoinTotals, WindowTotals, by_coin, coin_of
from cockpit.analytics.windows import LiquidationWindows
from cockpit.models import LiquidationSummary, SourceCoverage

WINDOWS_S = {"1h": 3600, "4h": 14_400, "24h": 86_400}
DAY_MS = 86_400_000
MIN_GRACE_MS = 15_000


@dataclass(frozen=True, slots=True)
class LiquidationFeed:
    """A source that delivers liquidations: the venue names on its prints, the instruments it follows, and
    how often it claims coverage (a claim older than a few of these no longer reaches now)."""

    source: str
    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    sampled: bool
    cadence_s: float

    @property
    def grace_ms(self) -> int:
        return max(MIN_GRACE_MS, int(3 * self.cadence_s * 1000))


def source_coverage(coverage: Coverage, feed: LiquidationFeed, now_ms: int) -> SourceCoverage:
    """One feed's coverage of every window as of ``now_ms``."""
    windows = {name: coverage.window(feed.source, w, now_ms, feed.grace_ms) for name, w in WINDOWS_S.items()}
    since = coverage.since_ms(feed.source, now_ms, feed.grace_ms)
    return SourceCoverage(feed.source, feed.venues, feed.sampled, since, windows)


class CoinTable:
    """The market by coin and the followed coin's own totals, recomputed at most once per market second.

    Unlike the market totals (prefix sums per venue, O(V log n)), these are one pass over each window's
    events: at a cascade's 5,000 prints a second the day holds millions, and ten passes a second would
    cost more than everything else on screen. A table a second old is still right to the second."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._market: dict[str, tuple[CoinTotals, ...]] = {}
        # Per coin, for the same second: a daemon's viewers chart different coins at one moment, and keying
        # the whole table on the coin recomputed the market's pass once per viewer.
        self._followed: dict[str, dict[str, WindowTotals]] = {}

    def get(
        self, windows: LiquidationWindows, coin: str, now_ms: int
    ) -> tuple[dict[str, tuple[CoinTotals, ...]], dict[str, WindowTotals]]:
        second = now_ms // 1000
        if second != self._second:
            self._market = {name: by_coin(windows.by_symbol(w, now_ms)) for name, w in WINDOWS_S.items()}
            self._followed, self._second = {}, second
        followed = self._followed.get(coin)
        if followed is None:
            mine = windows.symbols_of(coin)
            followed = {name: windows.totals_for(mine, w, now_ms) for name, w in WINDOWS_S.items()}
            self._followed[coin] = followed
        return self._market, followed


def summarize(
    windows: LiquidationWindows,
    coverage: Coverage,
    feeds: Sequence[LiquidationFeed],
    *,
    now_ms: int,
    cascade_factor: float,
    largest_count: int,
    followed_symbol: str = "",
    coins: CoinTable | None = None,
) -> LiquidationSummary:
    """Totals, largest prints, per-minute counts, coverage and the cascade verdicts (the market's and
    the followed coin's) as of ``now_ms``."""
    coverage.prune(now_ms - DAY_MS)
    totals = {name: windows.totals(w, now_ms) for name, w in WINDOWS_S.items()}
    covers = tuple(source_coverage(coverage, f, now_ms) for f in feeds)
    judged_covers = [
        SourceCover(c.source, c.venues, c.windows["1h"].covered_s, c.windows["24h"].covered_s) for c in covers
    ]
    reading = judge(totals["1h"], totals["24h"], judged_covers, cascade_factor)
    coin = coin_of(followed_symbol) if followed_symbol else ""
    table, followed = (coins or CoinTable()).get(windows, coin, now_ms)
    own = judge(followed["1h"], followed["24h"], judged_covers, cascade_factor) if coin else None
    sampled_venues = {v for f in feeds if f.sampled for v in f.venues}
    starts = [s[0] for f in feeds for s in coverage.spans(f.source)[:1]]
    return LiquidationSummary(
        windows=totals,
        largest=tuple(windows.largest(86_400, largest_count, now_ms)),
        hourly_average_24h_usd=reading.hourly_average_usd,
        cascade=reading.cascade,
        cascade_ratio=reading.ratio,
        per_minute=tuple(int(x) for x in windows.events_per_minute(3600, now_ms)),
        judged=reading.judged,
        collecting_since_ms=max(min(starts), now_ms - DAY_MS) if starts else None,
        coverage=covers,
        lower_bound={name: bool(sampled_venues & t.by_venue.keys()) for name, t in totals.items()},
        scope=tuple(sorted({s for f in feeds for s in f.symbols})),
        by_coin=table,
        followed_coin=coin,
        followed=followed if coin else {},
        followed_cascade=own.cascade if own is not None else False,
        followed_cascade_ratio=own.ratio if own is not None else 0.0,
    )
