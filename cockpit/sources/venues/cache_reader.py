"""One read position over a ccxt.pro cache, so every item it gains is handed out exactly once.

ccxt 4.5.90 keeps the liquidations of every symbol an exchange instance watches in ONE cache,
``exchange.liquidations``: an ``ArrayCache`` (a ring of ``liquidationsLimit`` = 1000 items, oldest dropped)
created on the first message, on binanceusdm, bybit and okx alike (okx's holds every coin of the channel,
watched or not). A watch resolves with the first message of a burst only; the rest wait in the cache. So the
venue reads the cache through one reader shared by all its loops (or by one loop reading an all-market feed):
whichever wakes first takes everything new, for every symbol, and the others find nothing left to repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class CacheReader:
    """Everything appended to a cache since the previous ``take``, found by the identity of the newest item
    read (the cache is append-only; an item is a new dict each time)."""

    def __init__(self) -> None:
        self._cache: object | None = None
        self._last: Any = None
        self.overruns = 0  # reads that found the ring had dropped items never read

    def take(self, cache: Sequence[Any] | None) -> list[Any]:
        """The items newer than the last one taken, oldest first (all of a cache seen for the first time)."""
        if not cache:
            return []
        new: list[Any] = []
        found = False
        if cache is self._cache and self._last is not None:
            for item in reversed(cache):  # newest first: stops after the new items, O(new)
                if item is self._last:
                    found = True
                    break
                new.append(item)
            new.reverse()
            # The newest item read is gone: the ring overflowed between two reads, so some items were
            # dropped before anyone read them. Rare (1000 in one turn of the event loop), but say so.
            maxlen = getattr(getattr(cache, "_deque", None), "maxlen", None)
            if not found and maxlen is not None and len(cache) >= maxlen:
                self.overruns += 1
        else:
            new = list(cache)  # a new cache (first message, or ccxt recreated it): all of it is unread
        self._cache, self._last = cache, new[-1] if new else self._last
        return new
