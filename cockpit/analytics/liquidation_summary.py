"""The liquidations block of a snapshot: window totals, largest prints, the cascade verdict, and what the
totals cover (instruments, sources, the stretches of each window every source actually watched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.analytics.cascade import SourceCover, judge
from cockpit.analytics.coverage import Coverage
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


def summarize(
    windows: LiquidationWindows,
    coverage: Coverage,
    feeds: Sequence[LiquidationFeed],
    *,
    now_ms: int,
    cascade_factor: float,
    largest_count: int,
) -> LiquidationSummary:
    """Totals, largest prints, per-minute counts, coverage and the cascade verdict as of ``now_ms``."""
    coverage.prune(now_ms - DAY_MS)
    totals = {name: windows.totals(w, now_ms) for name, w in WINDOWS_S.items()}
    covers = tuple(source_coverage(coverage, f, now_ms) for f in feeds)
    reading = judge(
        totals["1h"],
        totals["24h"],
        [
            SourceCover(c.source, c.venues, c.windows["1h"].covered_s, c.windows["24h"].covered_s)
            for c in covers
        ],
        cascade_factor,
    )
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
    )
