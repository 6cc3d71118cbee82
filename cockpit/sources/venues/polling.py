"""Reading a venue's public liquidation history (Gate, HTX) with a since-cursor per symbol.

Both venues answer a history query newest first, at most a page (``POLL_LIMIT`` rows) at a time. So when
more than a page happened since the last poll (a cascade, or an outage during one), the first page holds
only the newest rows: the poller pages back (``until`` = the oldest row seen, inclusive) until a page is not
full or reaches the cursor, and only then may the cursor move to the newest row. Rows repeated at the page
edges are dropped later by the deduper. Were a venue to answer oldest first, the second page starts at the
cursor and the loop stops at once, so either order reads everything.

A row can appear in the history after a row stamped later was already read (Gate stamps whole seconds, a
venue writes a liquidation when its order is done, and our clock and the venue's differ), so every poll
reads again from ``LATE_MARGIN_MS`` behind the cursor; the deduper drops what it read before. Each query
asks for a bounded time window (``WINDOW_MS``: Gate answers at most an hour, HTX is said to answer at most
two): when the window ends before now, the next window is asked for at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.sources.clock import Clock

POLL_LIMIT = 100  # rows per request
POLL_BACKFILL_MS = 3_600_000  # how far back the first poll reaches
MAX_PAGES = 50  # per poll: 5,000 rows; beyond that a venue is misbehaving and the oldest rows are skipped
# Longest span one query may ask for: Gate documents an hour (from/to in seconds); for HTX third-party notes
# say two hours (unverified), and ccxt 4.5.90 sends since/until as its start_time/end_time (ms).
WINDOW_MS = {"gate": 3_600_000, "htx": 7_200_000}
# How far behind the cursor each poll reads again, for rows written after a later-stamped row was read.
# A minute: well past a venue's write delay and a whole-second stamp, and cheap (the deduper keeps 30 min
# of identities, and a minute of rows is a page or two even in a cascade).
LATE_MARGIN_MS = 60_000

# (symbol, since_ms, limit, params) -> the ccxt call's result, JSON-checked by the caller.
Fetch = Callable[[str, int | None, int, dict[str, Any]], Awaitable[Any]]


class LiquidationPoller:
    """The cursor and the paging of one venue's liquidation polls."""

    def __init__(self, venue_id: str, clock: Clock, fetch: Fetch) -> None:
        self.venue_id = venue_id
        self.clock = clock
        self._fetch = fetch
        self.cursor_ms: dict[str, int] = {}
        # symbol -> the [since, until] range the last poll read whole (None when it gave up paging back)
        self.covered: dict[str, tuple[int, int] | None] = {}

    async def poll(self, symbol: str) -> tuple[list[Any], bool]:
        """Every row since the cursor (ccxt liquidation structures), and whether more are already waiting
        (the window asked for ended before now, so the next one should be asked for at once)."""
        now = self.clock.now_ms()
        since, until = self._window(symbol, now)
        page = await self._page(symbol, since, until)
        rows = list(page)
        whole = False
        for _ in range(MAX_PAGES - 1):
            stamps = [t for t in map(_ts, page) if t is not None]
            if len(page) < POLL_LIMIT or not stamps or min(stamps) <= since:
                whole = True
                break
            oldest = min(stamps)
            page = await self._page(symbol, since, oldest)
            if not any(t is not None and t < oldest for t in map(_ts, page)):
                break  # more than a page share one instant: nothing older can be reached by time
            rows += page
        self.covered[symbol] = (since, until) if whole else None
        more = until < self._end(now)
        if more and whole:
            # That window is read: the next poll asks for the next one even when every row in this one
            # was read before (the margin re-reads some), or the cursor would never move past it.
            self.advance(symbol, until)
        return rows, more

    def _window(self, symbol: str, now: int) -> tuple[int, int]:
        """[since, until] of the next query: from the margin behind the cursor, at most a window long."""
        cursor = self.cursor_ms.get(symbol)
        since = now - POLL_BACKFILL_MS if cursor is None else cursor - LATE_MARGIN_MS
        if self.venue_id == "gate":
            since = max(since, now - POLL_BACKFILL_MS) // 1000 * 1000
        return since, min(self._end(now), since + WINDOW_MS.get(self.venue_id, POLL_BACKFILL_MS))

    def _end(self, now: int) -> int:
        """The newest time a query may ask for (Gate's are whole seconds)."""
        return now // 1000 * 1000 if self.venue_id == "gate" else now

    def advance(self, symbol: str, newest_ms: int) -> None:
        """The next poll starts at the newest event read, less the margin (the deduper drops the overlap)."""
        self.cursor_ms[symbol] = max(self.cursor_ms.get(symbol, 0), newest_ms)

    async def _page(self, symbol: str, since_ms: int, until_ms: int) -> list[Any]:
        if self.venue_id == "gate":
            # ccxt 4.5.90 passes `since` to Gate unchanged as `from`, but Gate wants seconds: send them.
            params = {"from": since_ms // 1000, "to": until_ms // 1000}
            return list(await self._fetch(symbol, None, POLL_LIMIT, params) or [])
        # HTX: ccxt 4.5.90 sends since as start_time and params["until"] as end_time.
        return list(await self._fetch(symbol, since_ms, POLL_LIMIT, {"until": until_ms}) or [])


def _ts(row: Any) -> int | None:
    """A ccxt liquidation's time in ms, or None when the row is unreadable (the normaliser reports it)."""
    value = row.get("timestamp") if isinstance(row, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
