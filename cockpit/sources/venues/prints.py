"""One identity per Gate or HTX liquidation, whichever path delivered it: the REST history or the websocket.

Gate and HTX are read two ways (``venue_source``): REST polls (``normalize``) and the all-market
websockets (``gate_ws``, ``htx_ws``). A print both deliver must be counted once, and two genuine prints
never merged, from the venue to the history store (which keys on the identity alone). So both paths
build the identity from the fields both carry:

- Gate: venue, symbol, time cut to the whole second (REST has no finer one), liquidated side, contracts the
  liquidation ORDER closed (REST ``abs(order_size)``, stream ``abs(size)``), the order price (REST
  ``order_price``, stream ``order_price`` or ``price``), occurrence;
- HTX: venue, symbol, time in ms (REST ``liquidation_time``, stream ``created_at``), side, contracts
  (``volume``), the bankruptcy price (REST ``bankrupt_price``, stream ``price``), occurrence.

``occurrence`` numbers the prints of one batch (a poll's rows, a stream push) that share everything else:
two such prints are two liquidations (0 and 1), never one. Within a batch a print is told from its twin by
its ``twin_key``, which is NOT part of the identity: on REST the fields the stream lacks (Gate's position
``size``, ``left`` and ``fill_price``; HTX's own ``id``), so a row a poll reads twice (page edges, a venue
repeating itself) keeps its number; on the stream its place in the push (identical rows in one push are two
prints). Numbering is per batch, in the twins' ``twin_key`` order, so every poll that reads a second numbers
its twins alike, and the stream's first twin (the stream pushes at most one per contract per second on Gate)
is REST's twin 0.

Limit: identical prints that reach the stream in different pushes both get 0 and count once (HTX pushes a
contract's prints together, so they need the same ms, side, size and price and separate pushes).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import replace
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent, Side

__all__ = ["NUMBERED_VENUES", "gate_print", "htx_print", "number_prints"]

NUMBERED_VENUES = frozenset({"Gate", "HTX"})  # display names whose identities end with an occurrence


def gate_print(
    symbol: str, ts_ms: int, side: Side, contracts: float, order_price: float, occurrence: int = 0
) -> tuple[Any, ...]:
    """The identity of a Gate liquidation (see the module docstring)."""
    return ("Gate", symbol, ts_ms // 1000 * 1000, side, float(contracts), float(order_price), occurrence)


def htx_print(
    symbol: str, ts_ms: int, side: Side, contracts: float, price: float, occurrence: int = 0
) -> tuple[Any, ...]:
    """The identity of an HTX liquidation (see the module docstring)."""
    return ("HTX", symbol, ts_ms, side, float(contracts), float(price), occurrence)


def number_prints(events: Iterable[LiquidationEvent]) -> list[LiquidationEvent]:
    """The events of one batch, each Gate/HTX print numbered among its twins (same identity but for the
    occurrence): a twin with a new ``twin_key`` gets the next number, a repeat of one seen in the batch its
    number again (the deduper then drops it). Other events pass unchanged."""
    events = list(events)
    groups: dict[tuple[Hashable, ...], list[Hashable]] = {}
    for e in events:
        base = _base(e)
        if base is not None:
            keys = groups.setdefault(base, [])
            twin = getattr(e, "twin_key", ())
            if twin not in keys:
                keys.append(twin)
    ranks = {base: {k: n for n, k in enumerate(sorted(keys, key=repr))} for base, keys in groups.items()}
    out: list[LiquidationEvent] = []
    for e in events:
        base = _base(e)
        if base is None:
            out.append(e)
            continue
        n = ranks[base][getattr(e, "twin_key", ())]
        identity: tuple[Hashable, ...] = getattr(e, "identity", ())
        out.append(e if n == identity[-1] else replace(e, identity=(*base, n)))  # type: ignore[call-arg]
    return out


def _base(e: LiquidationEvent) -> tuple[Hashable, ...] | None:
    identity: tuple[Hashable, ...] = getattr(e, "identity", ())
    if len(identity) == 7 and identity[0] in NUMBERED_VENUES and isinstance(identity[-1], int):
        return tuple(identity[:-1])
    return None
