"""The one read position over ccxt's liquidation cache (ccxt's own ArrayCache, as 4.5.90 creates it)."""

from __future__ import annotations

from typing import Any

from ccxt.async_support.base.ws.cache import ArrayCache

from cockpit.sources.venues.cache_reader import CacheReader


def item(symbol: str, k: int) -> dict[str, Any]:
    return {"symbol": symbol, "price": k}


def test_each_item_is_taken_once_whoever_reads() -> None:
    cache = ArrayCache(1000)
    reader = CacheReader()
    assert reader.take(None) == [] and reader.take(cache) == []
    for k in range(3):
        cache.append(item("BTC", k))
        cache.append(item("ETH", k))
    first = reader.take(cache)
    assert [(i["symbol"], i["price"]) for i in first] == [(s, k) for k in range(3) for s in ("BTC", "ETH")]
    assert reader.take(cache) == []  # a second loop waking on the same burst finds nothing to repeat
    cache.append(item("ETH", 9))
    assert reader.take(cache) == [item("ETH", 9)]
    assert reader.overruns == 0


def test_an_overflowed_ring_is_counted_and_what_is_left_is_read() -> None:
    cache = ArrayCache(5)
    reader = CacheReader()
    cache.append(item("BTC", 0))
    reader.take(cache)
    for k in range(1, 9):  # 8 new items into a ring of 5: three dropped unread
        cache.append(item("BTC", k))
    assert [i["price"] for i in reader.take(cache)] == [4, 5, 6, 7, 8]
    assert reader.overruns == 1
    cache.append(item("BTC", 9))
    assert [i["price"] for i in reader.take(cache)] == [9] and reader.overruns == 1


def test_a_recreated_cache_is_read_from_its_start() -> None:
    reader = CacheReader()
    old = ArrayCache(10)
    old.append(item("BTC", 0))
    reader.take(old)
    new = ArrayCache(10)  # ccxt's clean_ws_data sets the cache to None; the next message makes a new one
    new.append(item("BTC", 1))
    assert reader.take(new) == [item("BTC", 1)] and reader.overruns == 0


def test_a_counting_cache_says_how_many_were_lost() -> None:
    """Issue 14, item 7: an overflow was noticed but not counted, and one before the first read not at all."""
    from cockpit.sources.venues.cache_reader import counting_cache

    cache = counting_cache(5)
    reader = CacheReader()
    for k in range(8):  # before anyone read: three of eight already gone
        cache.append(item("BTC", k))
    assert [i["price"] for i in reader.take(cache)] == [3, 4, 5, 6, 7]
    assert (reader.overruns, reader.lost) == (1, 3)
    for k in range(8, 20):  # twelve more into a ring of five: seven lost
        cache.append(item("BTC", k))
    assert [i["price"] for i in reader.take(cache)] == [15, 16, 17, 18, 19]
    assert (reader.overruns, reader.lost) == (2, 10)
    cache.append(item("ETH", 20))
    assert reader.take(cache) == [item("ETH", 20)] and (reader.overruns, reader.lost) == (2, 10)
    assert cache.appended == 21 and len(cache) == 5
