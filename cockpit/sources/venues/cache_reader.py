"""One read position over a ccxt.pro cache, so every item it gains is handed out exactly once, and a count
of the items that fell out of it unread.

ccxt 4.5.90 keeps the liquidations of every symbol an exchange instance watches in ONE cache,
``exchange.liquidations``: an ``ArrayCache`` (a ring of ``options["liquidationsLimit"]`` items, 1,000 unless
set, oldest dropped) created on the first message unless one is there, on binanceusdm, bybit and okx alike
(okx's holds every coin of the channel, watched or not). A watch resolves with the first message of a burst
only; the rest wait in the cache. So the venue reads the cache through one reader shared by all its loops
(or by one loop reading an all-market feed): whichever wakes first takes everything new, for every symbol,
and the others find nothing left to repeat.

How large: ccxt's 1,000 lost 54% of a burst of 99,500 in 5 s (issue 14), and one Bybit message (every
liquidation of the last 500 ms) or one OKX message can alone carry more. The venue sets the ring to
``VenueSettings.liquidations_cache``, 10,000 by default: 20 s of Binance's all-market feed at its ceiling
(one print per symbol per second, ~500 symbols) between two reads, where a read normally follows a message
within one turn of the event loop. Measured with ccxt 4.5.90's parsers, a cached liquidation with its raw
message costs ~1.7 KB on binanceusdm, ~1.5 KB on okx and ~0.9 KB on bybit: at most ~17 MB per venue once
the ring is full (it stays full: ccxt never empties it). ``counting_cache`` makes that ring count what it
was given, so a reader that still falls behind knows how many it lost, not only that it lost some.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any


def counting_cache(size: int) -> Any:
    """A ccxt ``ArrayCache`` of ``size`` items that also counts every item ever appended (``appended``);
    put it in ``exchange.liquidations`` before the first message and ccxt fills it instead of its own."""
    return _counting_class()(size)


@cache
def _counting_class() -> type[Any]:
    from ccxt.async_support.base.ws.cache import ArrayCache  # lazily: the demo path never loads ccxt

    class CountingCache(ArrayCache):  # type: ignore[misc]
        appended = 0

        def append(self, item: Any) -> None:
            super().append(item)
            self.appended += 1

    return CountingCache


class CacheReader:
    """Everything appended to a cache since the previous ``take``, found by the identity of the newest item
    read (the cache is append-only; an item is a new dict each time)."""

    def __init__(self) -> None:
        self._cache: object | None = None
        self._last: Any = None
        self._appended = 0  # the cache's ``appended`` at the previous take
        self.overruns = 0  # reads that found the ring had dropped items never read
        self.lost = 0  # items dropped unread, as far as the cache counts them (``counting_cache``)

    def take(self, cache: Sequence[Any] | None) -> list[Any]:
        """The items newer than the last one taken, oldest first (all of a cache seen for the first time)."""
        if not cache:
            return []
        appended = getattr(cache, "appended", None)
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
            # dropped before anyone read them. Rare with a ring sized for bursts, but say how many.
            maxlen = getattr(getattr(cache, "_deque", None), "maxlen", None)
            if not found and maxlen is not None and len(cache) >= maxlen:
                self.overruns += 1
                if isinstance(appended, int):
                    self.lost += max(0, appended - self._appended - len(new))
        else:
            new = list(cache)  # a new cache (first message, or ccxt recreated it): all of it is unread
            if isinstance(appended, int) and appended > len(new):  # it overflowed before the first read
                self.overruns += 1
                self.lost += appended - len(new)
        if isinstance(appended, int):
            self._appended = appended
        self._cache, self._last = cache, new[-1] if new else self._last
        return new
