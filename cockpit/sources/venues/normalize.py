"""ccxt liquidation structures -> ``LiquidationEvent``s, the venue identity of each, and a bounded deduper.

ccxt's liquidation structure cannot be used as is (VENUES.md): ``side`` is copied from the venue and means
different things per venue, ``contractSize`` is always ``None``, the websocket parsers leave ``quoteValue``
``None``, and the OKX parser reads only ``details[0]``. So the position side, size, price and time are read
from the raw venue message in ``info`` (checked against ccxt 4.5.90), and the notional is the venue's own
exact one where it gives one (HTX), else computed from the market: ``contracts x market["contractSize"] x
price`` (linear) or ``contracts x market["contractSize"]`` (inverse: the contract is worth a fixed number
of USD).

Per venue (ccxt id -> display name): raw field for the liquidated POSITION side; contracts; price and its
basis (a fill price, or the position's bankruptcy price, which sits off the traded price by about the
maintenance margin); notional; identity.

- binanceusdm/binancecoinm -> Binance (forceOrder; ccxt's ``info`` is the inner order ``o``): side ``S``
  is the liquidation ORDER's side, SELL = long liquidated; contracts ``z`` (filled accumulated; ccxt's
  ``contracts`` is ``l``, the last fill only: the IOC order fills in one pass and ``z`` is all of it),
  1 contract = 1 base unit on USD-M; price ``ap``, the average FILL price; notional computed; time ``T``;
  identity: content (1).
- bybit -> Bybit (allLiquidation item): side ``S`` is the POSITION side, Buy = long liquidated;
  contracts ``v`` (1 base unit); price ``p``, the BANKRUPTCY price; notional computed; time ``T``;
  identity: content (1).
- okx -> OKX (liquidation-orders item): EVERY ``details[i]`` is one event (ccxt reads only
  ``details[0]``); side ``posSide`` long/short, else (``net`` in one-way mode) ``side``, sell = long
  liquidated; contracts ``sz`` (BTC-USDT-SWAP contract = 0.01 BTC); price ``bkPx``, the BANKRUPTCY price;
  notional computed; time ``ts``; identity: content per detail (1).
- gate -> Gate (liq_orders row): side = sign of the signed POSITION size ``size``, > 0 = long liquidated;
  contracts ``abs(order_size)``, what the liquidation order closed (a partial liquidation closes less
  than the position; BTC_USDT contract = 0.0001 BTC). ``left`` is the part of that order the system put on
  the book as a maker order (Gate: "system liquidation order maker size") instead of taking liquidity:
  the position was taken from its owner all the same, so ``left`` is counted, not subtracted. A row of the
  older schema without ``order_size`` counts ``abs(size)``, the whole position (an upper bound; ccxt's
  ``abs(size - left)`` depends on the undocumented sign of ``left``). Price ``fill_price``, the average
  taker FILL price, else (nothing taken: it is 0) ``order_price``, the order's limit price; notional
  computed at that price; time ``time`` in seconds; identity: the print identity shared with the stream
  (``prints``), twins told apart by ``size``, ``order_price``, ``left`` and ``fill_price`` (1).
- htx -> HTX (linear swap v5 row, or v3 row): side ``position_side`` long/short, else the order side
  ``side`` (v5) / ``direction`` (v3), sell = long liquidated; contracts ``volume`` (BTC-USDT contract =
  0.001 BTC); price ``bankrupt_price`` / ``price``, the BANKRUPTCY price; notional ``trade_turnover``, the
  venue's exact USDT value (volume x contract size x bankruptcy price, in the venue's decimals) on a linear
  market, else computed; time ``liquidation_time`` / ``created_at``; identity: the print identity shared
  with the stream (``prints``: its rows carry no id), twins told apart by the venue's ``id`` (v5) /
  ``query_id`` (v3).

(1) Binance, Bybit, OKX and Gate publish no id for public liquidations, so their identity is the content:
venue, symbol, time, side, contracts and price (the raw numbers, not the derived notional). A repeat of
the same message (a websocket reconnect, an overlapping poll) has the same identity; two different
liquidations with the same content collapse into one. That cannot happen on Binance (one snapshot per
symbol per second); on Bybit and OKX it needs the same millisecond, side, size and price. Gate and HTX
identities end with an occurrence number that ``prints.number_prints`` sets per batch, so twins in one poll
(told apart by Gate's position ``size``, ``left`` and prices, HTX's ``id``) stay two liquidations.

A message whose side, size, price or time is missing or not a number raises ``MalformedLiquidation`` (a
``ValueError``) naming the venue and the field; a liquidation that filled nothing (size 0) yields no event.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent, Side, identity_key
from cockpit.sources.venues.prints import gate_print, htx_print
from cockpit.text.excerpt import excerpt
from cockpit.venues import VENUE_NAMES

__all__ = [
    "MalformedLiquidation",
    "VenueLiquidationEvent",
    "event_key",
    "normalize",
]

Identity = tuple[Hashable, ...]


class MalformedLiquidation(ValueError):
    """A venue message that cannot be read; ``venue`` and ``field`` say where."""

    def __init__(self, venue_id: str, field: str, problem: str) -> None:
        self.venue = venue_id
        self.field = field
        super().__init__(f"{_display(venue_id)} ({venue_id}) liquidation: {field} {problem}")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class VenueLiquidationEvent(LiquidationEvent):
    """A ``LiquidationEvent`` that also carries its venue identity as a tuple (see ``event_key``); its
    ``event_id`` is the same identity as a string (``identity_key``), the one the deduper, the history
    store and recordings key on.

    It compares and hashes exactly like the plain event with the same six fields, so it can be used wherever
    a ``LiquidationEvent`` is expected.
    """

    identity: Identity = ()
    # What tells this print from a twin in its batch without being part of its identity (``prints``).
    twin_key: Identity = field(default=(), compare=False)

    def __post_init__(self) -> None:
        LiquidationEvent.__post_init__(self)  # (no zero-argument super() in a slots dataclass)
        if self.identity:  # one identity: the string form is always the tuple's
            object.__setattr__(self, "event_id", identity_key(self.identity))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LiquidationEvent):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = LiquidationEvent.__hash__


@dataclass(frozen=True, slots=True)
class _Row:
    """One liquidated position as read from the raw message."""

    ts_ms: int
    side: Side
    contracts: float
    price: float
    identity: Identity
    notional_usd: float | None = None  # the venue's own exact notional, where it gives one
    twin_key: Identity = ()  # Gate/HTX: tells twins of one batch apart (``prints``)


# -- public API ------------------------------------------------------------------------------------------


def normalize(
    venue_id: str, liquidation: Mapping[str, Any], market: Mapping[str, Any]
) -> list[LiquidationEvent]:
    """The events in one ccxt liquidation structure of ``venue_id`` (a ccxt id) on ``market`` (its market).

    Returns one event per liquidated position (OKX messages may carry several), none if nothing was filled.
    Raises ``MalformedLiquidation`` (a ``ValueError``) naming the venue and field for an unreadable message.
    """
    symbol = market.get("symbol") if isinstance(market, Mapping) else None
    if not isinstance(symbol, str) or not symbol:
        raise MalformedLiquidation(venue_id, "market.symbol", f"is {excerpt(symbol)}, not a symbol")
    parsed = liquidation.get("symbol") if isinstance(liquidation, Mapping) else None
    if parsed is not None and parsed != symbol:
        # The wrong market would silently give the wrong contract size.
        raise MalformedLiquidation(
            venue_id, "symbol", f"is {excerpt(parsed)} but the market is {excerpt(symbol)}"
        )
    rows = _rows(venue_id, liquidation, symbol)
    if not rows:
        return []
    contract_size = _positive(venue_id, "market.contractSize", market.get("contractSize"))
    inverse = market.get("inverse") is True
    venue = _display(venue_id)
    events: list[LiquidationEvent] = []
    for row in rows:
        base_or_usd = row.contracts * contract_size
        notional = base_or_usd if inverse else base_or_usd * row.price
        if row.notional_usd is not None and not inverse:
            notional = row.notional_usd
        if not math.isfinite(notional):  # each factor is finite, their product need not be (1e200 x 1e200)
            raise MalformedLiquidation(
                venue_id, "notional", f"{row.contracts:g} x {contract_size:g} x {row.price:g} is not finite"
            )
        events.append(
            VenueLiquidationEvent(
                row.ts_ms,
                venue,
                symbol,
                row.side,
                notional,
                row.price,
                identity=row.identity,
                twin_key=row.twin_key,
            )
        )
    return events


def event_key(venue_id: str, liquidation_or_event: LiquidationEvent | Mapping[str, Any]) -> Identity:
    """The venue identity of an event or of a raw ccxt liquidation structure, as a tuple. Its string form
    (``identity_key``) is the event's ``event_id``, the ``LiquidationEvent.key`` that the deduper and the
    history store key on.

    - an event from ``normalize``: the identity read from its venue message (see the module table);
    - any other ``LiquidationEvent``: its content (venue, symbol, time, side, notional, price);
    - a ccxt liquidation structure: the identity of its only event, or for an OKX message with several
      details the tuple of their identities. Raises ``MalformedLiquidation`` if it cannot be read.
    """
    if isinstance(liquidation_or_event, VenueLiquidationEvent) and liquidation_or_event.identity:
        return liquidation_or_event.identity
    if isinstance(liquidation_or_event, LiquidationEvent):
        e = liquidation_or_event
        return (_display(venue_id), e.symbol, e.ts_ms, e.side, "content", e.notional_usd, e.price)
    symbol = liquidation_or_event.get("symbol") if isinstance(liquidation_or_event, Mapping) else None
    rows = _rows(venue_id, liquidation_or_event, symbol if isinstance(symbol, str) else "")
    if len(rows) == 1:
        return rows[0].identity
    return (_display(venue_id), "message", tuple(r.identity for r in rows))


def _rows(venue_id: str, liquidation: Mapping[str, Any], symbol: str) -> list[_Row]:
    reader = _READERS.get(venue_id)
    if reader is None:
        raise MalformedLiquidation(venue_id, "venue", f"is not one of {', '.join(sorted(_READERS))}")
    if not isinstance(liquidation, Mapping):
        raise MalformedLiquidation(venue_id, "liquidation", f"is a {type(liquidation).__name__}, not a dict")
    info = liquidation.get("info")
    if not isinstance(info, Mapping):
        raise MalformedLiquidation(venue_id, "info", f"is {excerpt(info)}, not the raw venue message")
    return [row for row in reader(venue_id, liquidation, info, symbol) if row.contracts > 0]


def _binance(venue_id: str, liq: Mapping[str, Any], info: Mapping[str, Any], symbol: str) -> list[_Row]:
    # ccxt passes the inner order ``o`` of a forceOrder message as ``info``; accept the whole message too.
    inner = info.get("o")
    order, where = (inner, "info.o") if isinstance(inner, Mapping) else (info, "info")
    side = _order_side(venue_id, f"{where}.S", order.get("S"))
    # The order is IOC, filled in one pass: ``z`` is its whole fill, ``l`` (ccxt's contracts) only the last.
    qty_name = "z" if order.get("z") is not None else "l"
    contracts = _size(venue_id, f"{where}.{qty_name}", order.get(qty_name))
    price = _price(venue_id, f"{where}.ap", order.get("ap"), contracts)
    ts = ms_time(venue_id, f"{where}.T", order.get("T"))
    return [_content_row(venue_id, symbol, ts, side, contracts, price)]


def _bybit(venue_id: str, liq: Mapping[str, Any], info: Mapping[str, Any], symbol: str) -> list[_Row]:
    # allLiquidation items use S/v/p/T; the older liquidation topic side/size/price/updatedTime.
    s, v, p, t = ("S", "v", "p", "T") if "S" in info else ("side", "size", "price", "updatedTime")
    side = _position_side(venue_id, f"info.{s}", info.get(s), {"buy": "long", "sell": "short"})
    contracts = _size(venue_id, f"info.{v}", info.get(v))
    price = _price(venue_id, f"info.{p}", info.get(p), contracts)
    ts = ms_time(venue_id, f"info.{t}", info.get(t))
    return [_content_row(venue_id, symbol, ts, side, contracts, price)]


def _okx(venue_id: str, liq: Mapping[str, Any], info: Mapping[str, Any], symbol: str) -> list[_Row]:
    details = info.get("details")
    if not isinstance(details, list) or not details:
        raise MalformedLiquidation(
            venue_id, "info.details", f"is {excerpt(details)}, not a list of liquidations"
        )
    rows = []
    for i, detail in enumerate(details):
        where = f"info.details[{i}]"
        if not isinstance(detail, Mapping):
            raise MalformedLiquidation(venue_id, where, f"is {excerpt(detail)}, not a dict")
        side = _hedged_side(venue_id, where, detail.get("posSide"), "posSide", detail.get("side"), "side")
        contracts = _size(venue_id, f"{where}.sz", detail.get("sz"))
        price = _price(venue_id, f"{where}.bkPx", detail.get("bkPx"), contracts)
        ts = ms_time(venue_id, f"{where}.ts", detail.get("ts"))
        rows.append(_content_row(venue_id, symbol, ts, side, contracts, price))
    return rows


def _gate(venue_id: str, liq: Mapping[str, Any], info: Mapping[str, Any], symbol: str) -> list[_Row]:
    size = number(venue_id, "info.size", info.get("size"))  # the signed position size
    if size == 0:
        raise MalformedLiquidation(venue_id, "info.size", "is 0: no position side")
    side: Side = "long" if size > 0 else "short"
    # order_size is what the liquidation order closed (a partial liquidation closes less than the
    # position); a row of the older schema has no order_size, and then the position is all there is.
    closed = info.get("order_size")
    contracts = abs(size if closed is None else number(venue_id, "info.order_size", closed))
    # fill_price is the average taker price; an order that went entirely to the book as maker leaves it 0.
    p = "fill_price" if (_maybe_number(info.get("fill_price")) or 0.0) > 0 else "order_price"
    price = _price(venue_id, f"info.{p}", info.get(p), contracts)
    ts = ms_time(venue_id, "timestamp (info.time)", liq.get("timestamp"))  # ccxt: seconds x 1000
    order_price = _maybe_number(info.get("order_price"))
    identity = gate_print(symbol, ts, side, contracts, price if order_price is None else order_price)
    # As JSON text (escaped, printable): raw venue text never reaches the screen through an event.
    twin = (identity_key(tuple(_text(info.get(f)) for f in ("size", "order_price", "left", "fill_price"))),)
    return [_Row(ts, side, contracts, price, identity, twin_key=twin)]


def _htx(venue_id: str, liq: Mapping[str, Any], info: Mapping[str, Any], symbol: str) -> list[_Row]:
    order_side = "side" if "side" in info else "direction"  # v5 linear swap / v3
    side = _hedged_side(
        venue_id, "info", info.get("position_side"), "position_side", info.get(order_side), order_side
    )
    contracts = _size(venue_id, "info.volume", info.get("volume"))
    p = "bankrupt_price" if "bankrupt_price" in info else "price"
    price = _price(venue_id, f"info.{p}", info.get(p), contracts)
    t = "liquidation_time" if "liquidation_time" in info else "created_at"
    ts = ms_time(venue_id, f"info.{t}", info.get(t))
    # trade_turnover is the exact quote (USDT) notional on a linear market: no float product of ours.
    turnover = _maybe_number(info.get("trade_turnover"))
    exact = turnover if turnover is not None and turnover > 0 else None
    ref = _text(info.get("id", info.get("query_id")))  # tells twins apart, as the stream's cannot be
    identity = htx_print(symbol, ts, side, contracts, price)
    return [_Row(ts, side, contracts, price, identity, exact, (identity_key((ref,)),))]


_READERS = {
    "binanceusdm": _binance,
    "binancecoinm": _binance,
    "bybit": _bybit,
    "okx": _okx,
    "gate": _gate,
    "gateio": _gate,
    "htx": _htx,
    "huobi": _htx,
}


# -- field helpers -------------------------------------------------------------------------------------


def _content_row(
    venue_id: str, symbol: str, ts: int, side: Side, contracts: float, price: float, *extra: Hashable
) -> _Row:
    return _Row(ts, side, contracts, price, (_display(venue_id), symbol, ts, side, contracts, price, *extra))


def _text(value: object) -> str:
    """A raw field as identity text: ``str(value)`` for what venues send (strings, numbers, None), and a
    bounded stand-in for what ``str`` would choke on or blow up (a 5,000-digit int, nesting 10,000 deep)."""
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, float) or (isinstance(value, int) and value.bit_length() < 4_000):
        return str(value)
    return excerpt(value, 200)


def _display(venue_id: str) -> str:
    return VENUE_NAMES.get(venue_id, venue_id)


def _fields(e: LiquidationEvent) -> tuple[int, str, str, str, float, float]:
    return (e.ts_ms, e.venue, e.symbol, e.side, e.notional_usd, e.price)


def _maybe_number(value: object) -> float | None:
    """``value`` as a finite float, or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        found = float(value)
    except (ValueError, OverflowError):  # OverflowError: an int beyond a float's range (10**400)
        return None
    return found if math.isfinite(found) else None


def number(venue_id: str, field: str, value: object) -> float:
    """A finite number from a raw field (venues send numbers and numeric strings alike; an empty string
    is a missing field)."""
    if value is None or value == "":
        raise MalformedLiquidation(venue_id, field, "is missing")
    found = _maybe_number(value)
    if found is None:
        raise MalformedLiquidation(venue_id, field, f"is {excerpt(value)}, not a finite number")
    return found


def _size(venue_id: str, field: str, value: object) -> float:
    size = number(venue_id, field, value)
    if size < 0:
        raise MalformedLiquidation(venue_id, field, f"is {excerpt(value)}, a negative size")
    return size


def _positive(venue_id: str, field: str, value: object) -> float:
    found = number(venue_id, field, value)
    if found <= 0:
        raise MalformedLiquidation(venue_id, field, f"is {excerpt(value)}, not a positive number")
    return found


def _price(venue_id: str, field: str, value: object, contracts: float) -> float:
    """The price; 0.0 stands in when nothing was filled (the row is dropped anyway)."""
    if contracts == 0 and (_maybe_number(value) or 0.0) <= 0:
        return 0.0
    return _positive(venue_id, field, value)


def ms_time(venue_id: str, field: str, value: object) -> int:
    """A time in milliseconds; anything before 2001-09-09 in ms is seconds or not a time at all."""
    ts = number(venue_id, field, value)
    if ts < 1e12 or ts != int(ts):
        raise MalformedLiquidation(venue_id, field, f"is {excerpt(value)}, not a time in milliseconds")
    return int(ts)


def _order_side(venue_id: str, field: str, value: object) -> Side:
    """The liquidated position from the liquidation ORDER's side: a long is closed by a sell."""
    return _position_side(venue_id, field, value, {"sell": "long", "buy": "short"})


def _position_side(venue_id: str, field: str, value: object, meaning: Mapping[str, Side]) -> Side:
    if value is None or value == "":
        raise MalformedLiquidation(venue_id, field, "is missing: no side")
    side = meaning.get(value.lower()) if isinstance(value, str) else None
    if side is None:
        raise MalformedLiquidation(venue_id, field, f"is {excerpt(value)}, not one of {', '.join(meaning)}")
    return side


def _hedged_side(
    venue_id: str, where: str, position: object, position_name: str, order: object, order_name: str
) -> Side:
    """The position side from a position field (long/short; net/both in one-way mode say nothing) or else the
    order side; when both are given they must agree."""
    from_order = None
    if order is not None and order != "":
        from_order = _order_side(venue_id, f"{where}.{order_name}", order)
    pos = position.lower() if isinstance(position, str) else ""
    if pos in ("long", "short"):
        if from_order is not None and from_order != pos:
            raise MalformedLiquidation(
                venue_id,
                f"{where}.{position_name}",
                f"is {excerpt(position)} but {order_name} is {excerpt(order)}",
            )
        return "long" if pos == "long" else "short"
    if from_order is None:
        raise MalformedLiquidation(
            venue_id,
            f"{where}.{order_name}",
            f"is missing and {position_name} is {excerpt(position)}: no side",
        )
    return from_order
