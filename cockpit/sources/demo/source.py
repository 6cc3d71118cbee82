"""The simulated market as an engine source: history first, then live events as the clock moves."""

from __future__ import annotations

import asyncio

from cockpit.models import Backfill, Covered, DerivativesUpdate, SentimentUpdate
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.demo.liquidations import VENUES
from cockpit.sources.demo.market import OPENING_MS, SOURCE, SYMBOL, DemoMarket

SOURCE_NAME = SOURCE
DAY_MS = 86_400_000


class DemoSource:
    """Feeds the engine from ``DemoMarket``; everything it emits is simulated."""

    name = SOURCE_NAME
    cadence_s = 1.0
    simulated = True
    sampled = False  # the simulator reports every liquidation it makes
    venues: tuple[str, ...] = VENUES
    symbols: tuple[str, ...] = (SYMBOL,)

    def __init__(self, seed: int, clock: Clock) -> None:
        self.market = DemoMarket(seed)
        self.clock = clock
        self._opened = False  # the opening state is emitted once: a restarted engine keeps what it has

    def backfill_events(self) -> list[Backfill | DerivativesUpdate | Covered]:
        """The opening state: a week of minutes, a day of liquidations (all of it: the day is covered), a
        month of sentiment."""
        h = self.market.history()
        sentiment = SentimentUpdate(self.name, h.fear_greed[-1], tuple(h.fear_greed))
        last_ms = int(h.candles_1m.ts_ms[-1]) + 60_000
        return [
            Backfill(self.name, SYMBOL, h.candles_1m, tuple(h.liquidations), sentiment),
            DerivativesUpdate(
                self.name, SYMBOL, last_ms, h.funding_rate, h.open_interest_usd, funding_interval_h=8.0
            ),
            Covered(self.name, OPENING_MS - DAY_MS, OPENING_MS),
        ]

    async def run(self, emit: Emit) -> None:
        if not self._opened:
            self._opened = True
            for opening_event in self.backfill_events():
                emit(opening_event)
        while True:
            now = self.clock.now_ms()
            for event in self.market.advance(now):
                emit(event)
            emit(Covered(self.name, OPENING_MS, max(OPENING_MS, now)))  # it simulates every minute up to now
            # One simulated second per step, but never busier than 20 steps a real second at high speeds.
            await asyncio.sleep(min(1.0, max(0.05, self.clock.real_seconds(1.0))))
