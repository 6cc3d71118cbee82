"""Which stretches of time each liquidation source actually watched, so a window with a hole is never read
as whole (the cockpit was stopped, a venue was down, a stream was reconnecting).

A source claims an interval when it knows it saw everything its venue published in it: a stream while it is
connected, a poll for the range it read back to its cursor, the history file for what earlier runs
covered. Claims are merged per source into disjoint intervals. Everything here is plain Python on
integer milliseconds; nothing knows about the engine or the UI.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

MIN_GAP_MS = (
    60_000  # holes shorter than this (a reconnect) cost covered time but do not mark a window partial
)


@dataclass(frozen=True, slots=True)
class WindowCoverage:
    """One source's coverage of one window: seconds covered and the holes of a minute or more."""

    window_s: int
    covered_s: float
    gaps: tuple[tuple[int, int], ...]  # [start_ms, end_ms) holes, oldest first

    @property
    def partial(self) -> bool:
        return bool(self.gaps)


class Coverage:
    """Disjoint covered intervals per source, oldest first; claims may overlap and arrive in any order."""

    def __init__(self) -> None:
        self._spans: dict[str, list[list[int]]] = {}

    def sources(self) -> tuple[str, ...]:
        return tuple(self._spans)

    def spans(self, source: str) -> tuple[tuple[int, int], ...]:
        return tuple((a, b) for a, b in self._spans.get(source, ()))

    def claim(self, source: str, start_ms: int, end_ms: int) -> None:
        """Record that ``source`` saw everything in [start_ms, end_ms]; touching spans merge."""
        if end_ms < start_ms:
            return
        spans = self._spans.setdefault(source, [])
        k = bisect.bisect_left(spans, [start_ms, start_ms])
        if k > 0 and spans[k - 1][1] >= start_ms:  # overlaps or touches the span before
            k -= 1
            start_ms = spans[k][0]
        j = k
        while j < len(spans) and spans[j][0] <= end_ms:
            end_ms = max(end_ms, spans[j][1])
            j += 1
        spans[k:j] = [[start_ms, end_ms]]

    def covered_ms(self, source: str, lo_ms: int, hi_ms: int, grace_ms: int = 0) -> int:
        """Milliseconds of [lo_ms, hi_ms] the source covered; ``grace_ms`` stretches its newest span to
        ``hi_ms`` when it ended at most that long ago (the source claims at intervals, not continuously)."""
        return sum(b - a for a, b in self._clipped(source, lo_ms, hi_ms, grace_ms))

    def gaps(
        self, source: str, lo_ms: int, hi_ms: int, grace_ms: int = 0, min_gap_ms: int = MIN_GAP_MS
    ) -> tuple[tuple[int, int], ...]:
        """Holes of at least ``min_gap_ms`` in [lo_ms, hi_ms], oldest first."""
        holes = []
        cursor = lo_ms
        for a, b in self._clipped(source, lo_ms, hi_ms, grace_ms):
            if a - cursor >= min_gap_ms:
                holes.append((cursor, a))
            cursor = b
        if hi_ms - cursor >= min_gap_ms:
            holes.append((cursor, hi_ms))
        return tuple(holes)

    def window(self, source: str, window_s: int, now_ms: int, grace_ms: int = 0) -> WindowCoverage:
        lo = now_ms - window_s * 1000
        covered = self.covered_ms(source, lo, now_ms, grace_ms)
        return WindowCoverage(window_s, covered / 1000, self.gaps(source, lo, now_ms, grace_ms))

    def since_ms(self, source: str, now_ms: int, grace_ms: int = 0) -> int | None:
        """Start of the unbroken coverage that reaches ``now_ms`` (within the grace), else None."""
        spans = self._spans.get(source)
        if not spans or now_ms - spans[-1][1] > grace_ms:
            return None
        return spans[-1][0]

    def prune(self, before_ms: int) -> None:
        """Forget what ended before ``before_ms`` (beyond the longest window)."""
        for spans in self._spans.values():
            k = 0
            while k < len(spans) and spans[k][1] < before_ms:
                k += 1
            del spans[:k]

    def _clipped(self, source: str, lo_ms: int, hi_ms: int, grace_ms: int) -> list[tuple[int, int]]:
        spans = self._spans.get(source, [])
        out = []
        for k, (a, b) in enumerate(spans):
            if k == len(spans) - 1 and 0 <= hi_ms - b <= grace_ms:
                b = hi_ms
            a, b = max(a, lo_ms), min(b, hi_ms)
            if b > a:
                out.append((a, b))
        return out
