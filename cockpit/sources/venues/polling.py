"""Reading a venue's public liquidation history (Gate, HTX) with a since-cursor per symbol.

Both venues answer a history query newest first, at most a page (``POLL_LIMIT`` rows) at a time. So when
more than a page happened since the last poll (a cascade, or an outage during one), the first page holds
only the newest rows: the poller pages back (``until`` = the oldest row seen, inclusive) until a page is not
full or reaches the cursor, and only then may the cursor move to the newest row. Rows repeated at the page
edges are dropped later by the deduper. Were a venue to answer oldest first, the second page starts at the
cursor and the loop stops at once, so either order reads everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.clock import Clock

POLL_LIMIT = 100  # rows per request
POLL_BACKFILL_MS = 3_600_000  # how far back the first poll reaches
MAX_PAGES = 50  # per poll: 5,000 rows; beyond that a venue is misbehaving and the oldest rows are skipped
GATE_WINDOW_S = 3600  # Gate answers at most an hour per query (from/to in seconds)

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
        (Gate: the hour asked for ended before now, so the next hour should be asked for at once)."""
        now = self.clock.now_ms()
        since = self.cursor_ms.get(symbol, now - POLL_BACKFILL_MS)
        until: int | None = None
        if self.venue_id == "gate":
            since = max(since, now - POLL_BACKFILL_MS) // 1000 * 1000
            until = min(now // 1000 * 1000, since + GATE_WINDOW_S * 1000)
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
        self.covered[symbol] = (since, now if until is None else until) if whole else None
        more = until is not None and until < now // 1000 * 1000
        if not rows and more:
            assert until is not None
            self.cursor_ms[symbol] = until  # nothing in that hour: the next poll asks for the next one
        return rows, more

    def advance(self, symbol: str, newest_ms: int) -> None:
        """The next poll starts at the newest event read (inclusive: the deduper drops the overlap)."""
        self.cursor_ms[symbol] = max(self.cursor_ms.get(symbol, 0), newest_ms)

    async def _page(self, symbol: str, since_ms: int, until_ms: int | None) -> list[Any]:
        if self.venue_id == "gate":
            # ccxt 4.5.90 passes `since` to Gate unchanged as `from`, but Gate wants seconds: send them.
            assert until_ms is not None
            params = {"from": since_ms // 1000, "to": until_ms // 1000}
            return list(await self._fetch(symbol, None, POLL_LIMIT, params) or [])
        params = {} if until_ms is None else {"until": until_ms}
        return list(await self._fetch(symbol, since_ms, POLL_LIMIT, params) or [])


def _ts(row: Any) -> int | None:
    """A ccxt liquidation's time in ms, or None when the row is unreadable (the normaliser reports it)."""
    value = row.get("timestamp") if isinstance(row, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
