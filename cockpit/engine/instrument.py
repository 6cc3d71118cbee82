"""One instrument's own market: its closed 1-minute candles, the minute being built from ticks, its last
price and its derivatives. The engine keeps one per symbol it has heard of; the followed one feeds the
chart, the levels and the scenarios, the others keep their candles and last price so that a switch shows
them at once and their price alarms are judged on their own stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.models import Backfill, CandleClosed, DerivativesUpdate, PriceTick

MAX_MINUTES = 60 * 24 * 45  # 1m candles kept: enough for 45 daily bars, ~3 MB


class CandleStore:
    """Closed 1-minute candles in growable arrays, oldest dropped past ``MAX_MINUTES``."""

    def __init__(self) -> None:
        self._cols = np.empty((6, 0))
        self.version = 0

    def __len__(self) -> int:
        return self._cols.shape[1]

    @property
    def last_ts_ms(self) -> int | None:
        return int(self._cols[0, -1]) if len(self) else None

    def extend(self, c: Candles) -> None:
        """Append candles newer than the last stored one (older or repeated minutes are ignored)."""
        last = self.last_ts_ms
        keep = c.ts_ms > last if last is not None else np.ones(len(c), dtype=bool)
        if not keep.any():
            return
        block = np.vstack(
            [c.ts_ms[keep], c.open[keep], c.high[keep], c.low[keep], c.close[keep], c.volume[keep]]
        )
        self._cols = np.concatenate((self._cols, block), axis=1)[:, -MAX_MINUTES:]
        self.version += 1

    def candles(self) -> Candles:
        """A read-only view of everything stored."""
        cols = self._cols
        return Candles(cols[0].astype(np.int64), cols[1], cols[2], cols[3], cols[4], cols[5]).frozen()


@dataclass
class _Forming:
    """The minute being built from ticks."""

    ts_ms: int
    open: float
    high: float
    low: float
    close: float


@dataclass
class Instrument:
    """What is known of one symbol's own market (not its liquidations: those are market-wide)."""

    candles: CandleStore = field(default_factory=CandleStore)
    price: float | None = None
    price_ts_ms: int | None = None  # when ``price`` was true (a tick's time, a candle's end)
    forming: _Forming | None = None
    funding_rate: float | None = None
    open_interest_usd: float | None = None
    funding_interval_h: float | None = None
    funding_venue: str | None = None
    open_interest_venue: str | None = None

    def observe(self, ts_ms: int, price: float) -> bool:
        """The newest price wins, whichever feed brought it: a ticker stream that went silent while the REST
        candles moved must not hold the price where it stopped. False when ``ts_ms`` is older than what is
        known."""
        if self.price_ts_ms is not None and ts_ms < self.price_ts_ms:
            return False
        self.price_ts_ms, self.price = ts_ms, price
        return True

    def tick(self, t: PriceTick) -> bool:
        """A price; True when it is the newest."""
        minute = t.ts_ms // 60_000 * 60_000
        f = self.forming
        if f is None or minute != f.ts_ms:
            self.forming = _Forming(minute, t.price, t.price, t.price, t.price)
        else:
            f.high, f.low, f.close = max(f.high, t.price), min(f.low, t.price), t.price
        return self.observe(t.ts_ms, t.price)

    def close_minute(self, c: CandleClosed) -> bool:
        """A closed minute; True when its close is the newest price (the price at the minute's end)."""
        self.candles.extend(
            Candles.from_arrays([c.ts_ms], [c.open], [c.high], [c.low], [c.close], [c.volume])
        )
        if self.forming is not None and self.forming.ts_ms <= c.ts_ms:
            self.forming = None
        return self.observe(c.ts_ms + 60_000 - 1, c.close)

    def backfill(self, b: Backfill) -> None:
        """History: candles, and the last close as the price (not an observation alarms judge)."""
        self.candles.extend(b.candles_1m)
        if len(b.candles_1m):
            self.observe(int(b.candles_1m.ts_ms[-1]) + 60_000 - 1, float(b.candles_1m.close[-1]))

    def derivatives(self, d: DerivativesUpdate) -> None:
        """Keep the last known value of each, with whose it is (a poll may bring only one of them)."""
        if d.funding_rate is not None:
            self.funding_rate, self.funding_interval_h = d.funding_rate, d.funding_interval_h
            self.funding_venue = d.venue or None
        if d.open_interest_usd:
            self.open_interest_usd, self.open_interest_venue = d.open_interest_usd, d.venue or None
