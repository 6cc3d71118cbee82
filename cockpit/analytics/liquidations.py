"""The liquidation event every source produces, and a window's totals (plain frozen data)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Literal

Side = Literal["long", "short"]


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    """One forced liquidation; ``side`` is the side of the position that was liquidated.

    ``event_id`` is the identity the event's source gave it (a venue's id, or the content of the venue's
    message): two events with different ids are two liquidations even when every other field is equal.
    It takes no part in ``==``/``hash`` (those compare the six market fields); ``key`` is what the
    de-duplicator, the history store and a recording use.
    """

    ts_ms: int
    venue: str
    symbol: str
    side: Side
    notional_usd: float
    price: float
    event_id: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """The event's identity as one string: ``event_id``, else (a source that gives none) its content."""
        return self.event_id or content_key(self)

    def __post_init__(self) -> None:
        if isinstance(self.ts_ms, bool) or not isinstance(self.ts_ms, int):
            raise TypeError(f"LiquidationEvent: ts_ms must be an int, got {self.ts_ms!r}")
        if not (isinstance(self.venue, str) and isinstance(self.symbol, str) and self.venue and self.symbol):
            raise ValueError(
                f"LiquidationEvent: need non-empty str venue/symbol, got {self.venue!r}, {self.symbol!r}"
            )
        if self.side not in ("long", "short"):
            raise ValueError(f"LiquidationEvent: side must be 'long' or 'short', got {self.side!r}")
        try:
            notional, price = float(self.notional_usd), float(self.price)
        except OverflowError:  # an int beyond a float's range: as absurd as an infinity
            notional = price = math.inf
        if not (math.isfinite(notional) and notional >= 0 and math.isfinite(price) and price > 0):
            raise ValueError(
                f"LiquidationEvent: need finite notional >= 0 and price > 0, got {notional}, {price}"
            )
        if not isinstance(self.event_id, str):
            raise TypeError(f"LiquidationEvent: event_id must be a str, got {self.event_id!r}")
        # Store plain floats (+0.0 folds -0.0) so events rebuilt from the arrays compare equal to the input.
        object.__setattr__(self, "notional_usd", notional + 0.0)
        object.__setattr__(self, "price", price)


def content_key(e: LiquidationEvent) -> str:
    """The identity of an event whose source gives none: its six fields (JSON, so no two contents share
    one and a venue's own id, which never has "content" in fifth place, cannot be mistaken for one)."""
    return json.dumps([e.venue, e.symbol, e.ts_ms, e.side, "content", e.notional_usd, e.price])


def identity_key(identity: tuple[object, ...]) -> str:
    """A venue identity tuple (str, int and float parts) as the stable string ``event_id`` holds."""
    return json.dumps(identity)


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Liquidated notional in one window; ``by_venue`` maps venue -> (long_usd, short_usd)."""

    window_s: int
    long_usd: float
    short_usd: float
    total_usd: float
    count: int
    long_share: float | None
    by_venue: dict[str, tuple[float, float]]


def coin_of(symbol: str) -> str:
    """The coin a market trades: its base currency in ccxt's unified symbol ("ETH/USDT:USDT" -> "ETH",
    "1000PEPE/USDT:USDT" -> "1000PEPE"); a symbol that is not unified is its own coin."""
    return symbol.split("/", 1)[0] if "/" in symbol else symbol


@dataclass(frozen=True, slots=True)
class CoinTotals:
    """One coin's liquidations in a window, across every venue and every market of that coin."""

    coin: str
    long_usd: float
    short_usd: float
    count: int

    @property
    def total_usd(self) -> float:
        return self.long_usd + self.short_usd


def by_coin(per_symbol: dict[str, tuple[float, float, int]]) -> tuple[CoinTotals, ...]:
    """Per-symbol (long, short, count) summed by coin, largest total first (ties: by coin name)."""
    sums: dict[str, list[float]] = {}
    for symbol, (long_usd, short_usd, count) in per_symbol.items():
        acc = sums.setdefault(coin_of(symbol), [0.0, 0.0, 0])
        acc[0] += long_usd
        acc[1] += short_usd
        acc[2] += count
    coins = [CoinTotals(c, lg, sh, int(n)) for c, (lg, sh, n) in sums.items()]
    return tuple(sorted(coins, key=lambda t: (-t.total_usd, t.coin)))
