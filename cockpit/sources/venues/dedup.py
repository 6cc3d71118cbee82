"""A bounded memory of liquidation identities: a venue's repeats (reconnects, re-polls) count once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import overload

from cockpit.analytics.liquidations import LiquidationEvent


class Deduper:
    """Drops events already seen, remembering a bounded number of identities (``LiquidationEvent.key``:
    the venue identity ``normalize`` gave the event, the same key the history store keeps it under).

    Identities are forgotten in arrival order, once more than ``max_keys`` are held or once the oldest one
    belongs to an event more than ``horizon_ms`` older than the newest event seen (venue time, so no clock is
    needed). A repeat arriving after its identity was forgotten passes again: venues repeat recent messages
    (reconnects, poll overlap at the cursor), so the defaults keep 30 minutes and at most 100,000 identities.
    """

    def __init__(self, horizon_ms: int = 30 * 60_000, max_keys: int = 100_000) -> None:
        if horizon_ms <= 0 or max_keys <= 0:
            raise ValueError(f"Deduper: need horizon_ms > 0 and max_keys > 0, got {horizon_ms}, {max_keys}")
        self.horizon_ms = horizon_ms
        self.max_keys = max_keys
        self._seen: dict[str, int] = {}  # identity -> event time, in arrival order
        self._newest_ms: int | None = None

    def __len__(self) -> int:
        return len(self._seen)

    @overload
    def fresh(self, events: Iterable[LiquidationEvent], /) -> list[LiquidationEvent]: ...

    @overload
    def fresh(self, venue_id: str, events: Iterable[LiquidationEvent], /) -> list[LiquidationEvent]: ...

    def fresh(
        self, first: str | Iterable[LiquidationEvent], second: Iterable[LiquidationEvent] | None = None, /
    ) -> list[LiquidationEvent]:
        """The events not seen before, in their order (repeats within the batch are dropped too).

        Called as ``fresh(events)`` or ``fresh(venue_id, events)``; every event carries its own identity,
        so the venue id (kept for callers that have one at hand) changes nothing.
        """
        events: Iterable[LiquidationEvent] = (second or ()) if isinstance(first, str) else first
        kept: list[LiquidationEvent] = []
        for e in events:
            key = e.key
            if key in self._seen:
                continue
            self._seen[key] = e.ts_ms
            if self._newest_ms is None or e.ts_ms > self._newest_ms:
                self._newest_ms = e.ts_ms
            kept.append(e)
        self._forget()
        return kept

    def _forget(self) -> None:
        cutoff = None if self._newest_ms is None else self._newest_ms - self.horizon_ms
        while self._seen:
            oldest = next(iter(self._seen))
            if len(self._seen) > self.max_keys or (cutoff is not None and self._seen[oldest] < cutoff):
                del self._seen[oldest]
            else:
                break


# -- reading the venues' raw messages -------------------------------------------------------------------
