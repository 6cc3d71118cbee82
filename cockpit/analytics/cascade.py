"""The cascade detector: is the last hour's liquidation rate far above the day's, judged on covered time only.

Each source's rate is its notional over the hours it actually watched (``coverage``), so a cockpit started
two hours ago, or a venue down for an hour, does not read as a quiet day followed by a burst. The detector
only judges once a source has watched ``MIN_BASELINE_H`` hours of the day and half of the last hour:
with less, the last hour is most of the baseline itself (after 2 h it is half of it, so the ratio cannot
pass 2 however violent the hour) and a fresh start could only produce false alarms or none at all.
Six hours is a quarter of the day, enough for the default factor of 3 to be reachable (with 6 h covered
the ratio can reach 6) while still flagging a cascade on the first morning of a fresh install.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.analytics.liquidations import WindowTotals

MIN_BASELINE_H = 6.0  # hours of the last 24 a source must have watched before its rate is a baseline
MIN_LAST_HOUR_SHARE = 0.5  # ... and this share of the last hour, for its last-hour rate to mean something


@dataclass(frozen=True, slots=True)
class SourceCover:
    """What the detector needs of one source: the venues whose prints it delivers, and seconds covered."""

    name: str
    venues: tuple[str, ...]
    covered_1h_s: float
    covered_24h_s: float


@dataclass(frozen=True, slots=True)
class CascadeReading:
    """The verdict. ``judged`` False means not enough was watched yet to say (``cascade`` is then False)."""

    judged: bool
    cascade: bool
    ratio: float  # last-hour rate / average hourly rate over the covered part of the day
    hourly_average_usd: float  # the day's average hour, over covered time, of the sources judged
    baseline_h: float  # most hours of the day any source has watched (how far collecting has come)
    sources: tuple[str, ...]  # the sources the verdict is based on


def _usd(totals: WindowTotals, venues: tuple[str, ...]) -> float:
    return sum(sum(totals.by_venue.get(v, (0.0, 0.0))) for v in venues)


def judge(
    last_hour: WindowTotals, day: WindowTotals, covers: Sequence[SourceCover], factor: float
) -> CascadeReading:
    """Sum each eligible source's rate (notional / hours it watched) for the last hour and for the day."""
    eligible = [
        c
        for c in covers
        if c.covered_24h_s >= MIN_BASELINE_H * 3600 and c.covered_1h_s >= MIN_LAST_HOUR_SHARE * 3600
    ]
    baseline_h = max((c.covered_24h_s / 3600 for c in covers), default=0.0)
    if not eligible:
        return CascadeReading(False, False, 0.0, 0.0, baseline_h, ())
    hour_rate = sum(_usd(last_hour, c.venues) / (c.covered_1h_s / 3600) for c in eligible)
    day_rate = sum(_usd(day, c.venues) / (c.covered_24h_s / 3600) for c in eligible)
    ratio = hour_rate / day_rate if day_rate > 0 else 0.0
    names = tuple(c.name for c in eligible)
    return CascadeReading(True, day_rate > 0 and ratio > factor, ratio, day_rate, baseline_h, names)
