"""The simulated market's arrays as the cockpit's events: liquidation prints, price ticks, closed candles.

Every event names its coin's symbol; the source of ticks and candles is the simulator, and the venues on
prints are the simulated ones ("SimEx ..."), so nothing from here can pass for live data.
"""

from __future__ import annotations

from dataclasses import replace

from cockpit.analytics.liquidations import LiquidationEvent, Side
from cockpit.models import CandleClosed, MarketEvent, PriceTick
from cockpit.sources.demo.coins import COINS, SYMBOLS
from cockpit.sources.demo.liquidations import VENUES, FloatArray, IntArray, Prints

SOURCE = "simulator"  # the ``source`` of every event; venues appear only on liquidation prints
_DECIMALS = tuple(c.decimals for c in COINS)


def liquidation_events(prints: Prints) -> tuple[LiquidationEvent, ...]:
    """Prints as the cockpit's liquidation events, each with its coin's symbol and price tick.

    Every print is a liquidation of its own. Rounded to the cent and the coin's tick, two prints of one
    step could in principle be equal in every field (same millisecond, venue, side, size and price); the
    second and later of such prints get an ``event_id`` naming their rank, so nothing downstream that keys
    on identity (a history, a deduper) could take them for one. Equal prints share their step's minute, so
    they are always made in the same call.
    """
    events = []
    seen: dict[tuple[int, int, int, bool, float, float], int] = {}
    for ts, v, coin, is_long, usd, px in zip(
        prints.ts_ms.tolist(),
        prints.venue.tolist(),
        prints.coins().tolist(),
        prints.is_long.tolist(),
        prints.notional_usd.tolist(),
        prints.price.tolist(),
        strict=True,
    ):
        content = (ts, v, coin, is_long, round(usd, 2), round(px, _DECIMALS[coin]))
        rank = seen[content] = seen.get(content, -1) + 1
        side: Side = "long" if is_long else "short"
        e = LiquidationEvent(ts, VENUES[v], SYMBOLS[coin], side, content[4], content[5])
        events.append(replace(e, event_id=f"{e.key}#{rank}") if rank else e)
    return tuple(events)


def tick_events(tick_ms: IntArray, prices: FloatArray) -> list[tuple[int, MarketEvent]]:
    """(delivery ms, tick) for every coin each second: ``prices`` has one row per coin (COINS order),
    already rounded to the coin's tick. Time-ordered; at one instant the coins come in COINS order."""
    times = tick_ms.tolist()
    rows = prices.tolist()
    return [
        (t, PriceTick(SOURCE, symbol, t, row[k]))
        for k, t in enumerate(times)
        for symbol, row in zip(SYMBOLS, rows, strict=True)
    ]


def candle_events(start_ms: int, prices: FloatArray, volume: FloatArray) -> list[tuple[int, MarketEvent]]:
    """(delivery ms, candle) of every coin for the minute starting at ``start_ms``, made from its ticks
    (one row of ``prices`` per coin), delivered when the minute ends."""
    end = start_ms + 60_000
    opens, highs, lows, closes = prices[:, 0], prices.max(axis=1), prices.min(axis=1), prices[:, -1]
    return [
        (end, CandleClosed(SOURCE, symbol, start_ms, o, h, lo, c, round(v, 3)))
        for symbol, o, h, lo, c, v in zip(
            SYMBOLS,
            opens.tolist(),
            highs.tolist(),
            lows.tolist(),
            closes.tolist(),
            volume.tolist(),
            strict=True,
        )
    ]
