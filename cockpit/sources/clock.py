"""Clocks: wall time for live markets, scaled time for the simulator, manual time for tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Market time in epoch milliseconds, and how long to sleep in real seconds for market seconds."""

    def now_ms(self) -> int: ...

    def real_seconds(self, market_seconds: float) -> float: ...


class WallClock:
    """Live markets: market time is the machine's UTC time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def real_seconds(self, market_seconds: float) -> float:
        return market_seconds


class SimClock:
    """The simulated market: starts at ``start_ms`` and runs ``speed`` times faster than real time."""

    def __init__(self, start_ms: int, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.start_ms = start_ms
        self.speed = speed
        self._t0 = time.monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((time.monotonic() - self._t0) * 1000 * self.speed)

    def real_seconds(self, market_seconds: float) -> float:
        return market_seconds / self.speed


class ManualClock:
    """Tests move time by hand; sleeping is instant in real time."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms

    def real_seconds(self, market_seconds: float) -> float:
        return 0.0
