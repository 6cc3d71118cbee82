"""The simulated market as an engine source: history first, then live events as the clock moves.

It simulates many coins (``symbols``): every coin's history arrives as its own ``Backfill`` and every coin
ticks every second, each event naming its symbol. An engine follows one symbol's price and candles and
counts every coin's liquidations (the totals are market-wide); ``candles(symbol)`` gives any coin's closed
minutes so far, for charting another coin.
"""

from __future__ import annotations

import asyncio

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import Backfill, Covered, DerivativesUpdate, SentimentUpdate
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.demo.coins import derivatives as coin_derivatives
from cockpit.sources.demo.liquidations import VENUES
from cockpit.sources.demo.market import OPENING_MS, SOURCE, SYMBOL, SYMBOLS, DemoMarket

SOURCE_NAME = SOURCE
DAY_MS = 86_400_000


class DemoSource:
    """Feeds the engine from ``DemoMarket``; everything it emits is simulated."""

    name = SOURCE_NAME
    cadence_s = 1.0
    simulated = True
    sampled = False  # the simulator reports every liquidation it makes
    venues: tuple[str, ...] = VENUES
    symbols: tuple[str, ...] = SYMBOLS  # BTC first; the liquidation totals add up all of them

    @property
    def instruments(self) -> tuple[str, ...]:
        """Every simulated coin can be charted (``s``, ``--symbol``)."""
        return self.symbols

    def __init__(self, seed: int, clock: Clock) -> None:
        self.market = DemoMarket(seed)
        self.clock = clock
        self._opened = False  # the opening state is emitted once: a restarted engine keeps what it has

    def backfill_events(self) -> list[Backfill | DerivativesUpdate | Covered]:
        """The opening state: ten days of minutes and a day and a half of liquidations of every coin (one
        ``Backfill`` per coin, BTC's first with a month of sentiment), BTC's funding and open interest, and
        the claim that the day is covered (the simulator made every liquidation of it)."""
        h = self.market.history()
        sentiment = SentimentUpdate(self.name, h.fear_greed[-1], tuple(h.fear_greed))
        last_ms = int(h.candles_1m.ts_ms[-1]) + 60_000
        liqs_by_symbol: dict[str, list[LiquidationEvent]] = {symbol: [] for symbol in SYMBOLS}
        for e in h.liquidations:
            liqs_by_symbol[e.symbol].append(e)
        backfills = [
            Backfill(
                self.name,
                symbol,
                h.coin_candles[symbol],
                tuple(liqs_by_symbol[symbol]),
                sentiment if symbol == SYMBOL else None,
            )
            for symbol in SYMBOLS
        ]
        return [
            *backfills,
            *coin_derivatives(self.name, last_ms, h.funding_rate, h.open_interest_usd),
            Covered(self.name, OPENING_MS - DAY_MS, OPENING_MS),
        ]

    def candles(self, symbol: str) -> Candles:
        """Closed 1-minute candles of any simulated coin: its history, then the live minutes so far
        (KeyError for a symbol the market does not simulate)."""
        return self.market.candles(symbol)

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
