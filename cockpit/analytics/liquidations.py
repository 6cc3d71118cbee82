"""The liquidation event every source produces, and a window's totals (plain frozen data)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Side = Literal["long", "short"]


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    """One forced liquidation; ``side`` is the side of the position that was liquidated."""

    ts_ms: int
    venue: str
    symbol: str
    side: Side
    notional_usd: float
    price: float

    def __post_init__(self) -> None:
        if isinstance(self.ts_ms, bool) or not isinstance(self.ts_ms, int):
            raise TypeError(f"LiquidationEvent: ts_ms must be an int, got {self.ts_ms!r}")
        if not (isinstance(self.venue, str) and isinstance(self.symbol, str) and self.venue and self.symbol):
            raise ValueError(
                f"LiquidationEvent: need non-empty str venue/symbol, got {self.venue!r}, {self.symbol!r}"
            )
        if self.side not in ("long", "short"):
            raise ValueError(f"LiquidationEvent: side must be 'long' or 'short', got {self.side!r}")
        notional, price = float(self.notional_usd), float(self.price)
        if not (math.isfinite(notional) and notional >= 0 and math.isfinite(price) and price > 0):
            raise ValueError(
                f"LiquidationEvent: need finite notional >= 0 and price > 0, got {notional}, {price}"
            )
        # Store plain floats (+0.0 folds -0.0) so events rebuilt from the arrays compare equal to the input.
        object.__setattr__(self, "notional_usd", notional + 0.0)
        object.__setattr__(self, "price", price)


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
