"""The charted instrument's feeds from the price venue: candle history and closed minutes, the ticker
(when polled: streamed venues watch theirs beside the liquidations) and funding / open interest. ``follow``
moves all of them to another instrument; candles resume per symbol from the newest minute sent.

A mixin of ``VenueSource`` (venue_source.py), which owns the ccxt instance, the retry loops and the
health reporting this module calls.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.config import LiveSettings, VenueSettings
from cockpit.models import CANDLES, FUNDING, TICKER, Backfill, CandleClosed, DerivativesUpdate, PriceTick
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.funding import funding_interval_h

MINUTE_MS = 60_000
Step = Callable[[Emit], Awaitable[float]]


class PriceFeeds:
    """Candles, ticker and derivatives of ``charted``; the attributes below are ``VenueSource``'s."""

    name: str
    label: str
    settings: VenueSettings
    live: LiveSettings
    clock: Clock
    exchange: Any
    streaming: bool
    is_price_venue: bool
    charted: str
    _perpetuals: dict[str, Any]
    _refollow: asyncio.Event
    _last_candle_ms: int | None
    _candles_seen: dict[str, int]
    _last_price: float | None
    _rest: Callable[[Awaitable[Any]], Awaitable[Any]]
    _forever: Callable[[Emit, str, Step, str], Awaitable[None]]
    _until_ok: Callable[[Emit, str, Step, str], Awaitable[None]]

    @property
    def instruments(self) -> tuple[str, ...]:
        """What can be charted from this venue: its linear perpetuals (the price venue's only)."""
        return tuple(self._perpetuals) if self.is_price_venue else ()

    also: frozenset[str] = frozenset()  # instruments on other screens (a daemon's viewers), kept current

    def follow(self, symbol: str) -> None:
        """Chart ``symbol``: the price venue restarts its candles, ticker and derivatives on it."""
        if symbol != self.charted:
            self.charted = symbol
            self._refollow.set()

    def follow_also(self, symbols: frozenset[str]) -> None:
        """Besides the charted instrument, keep ``symbols`` current: a daemon's other viewers chart them.
        Their candles, last price and derivatives are polled (one request per feed and cadence each)."""
        if self.is_price_venue and symbols != self.also:  # only the price venue feeds charts
            self.also = symbols
            self._refollow.set()

    async def _price_feeds(self, emit: Emit) -> None:
        """The charted instrument's candles, derivatives (and ticker, when polled), restarted on it
        whenever ``follow`` changes it; the candles resume from the newest minute sent for that symbol."""
        while True:
            self._refollow.clear()
            self._last_candle_ms = self._candles_seen.get(self.charted)
            loops = [
                self._price_feed(emit),
                self._forever(emit, "funding/open interest", self._derivatives_step, FUNDING),
            ]
            if not self.streaming:
                loops.append(self._forever(emit, "ticker", self._ticker_step, TICKER))
            loops += [self._other_feeds(emit, symbol) for symbol in sorted(self.also - {self.charted})]
            tasks = [asyncio.ensure_future(loop) for loop in loops]
            try:
                await self._refollow.wait()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _other_feeds(self, emit: Emit, symbol: str) -> None:
        """Another screen's instrument: its candles (from the newest minute sent for it, history first if
        none was), its last price at the candle cadence and its derivatives at theirs."""

        async def candles(emit: Emit) -> float:
            since = self._candles_seen.get(symbol)
            if since is None:
                since = self.clock.now_ms() - self.live.backfill_minutes * MINUTE_MS - MINUTE_MS
            rows = await self._fetch_closed_candles(symbol, since + MINUTE_MS)
            for ts, o, h, lo, c, v in rows:
                emit(CandleClosed(self.name, symbol, int(ts), o, h, lo, c, v))
                self._candles_seen[symbol] = int(ts)
            ticker = await self._rest(self.exchange.fetch_ticker(symbol))
            last = number(ticker.get("last"), "ticker last")
            emit(PriceTick(self.name, symbol, int(ticker.get("timestamp") or self.clock.now_ms()), last))
            return self.settings.candles_poll_s

        async def derivatives(emit: Emit) -> float:
            return await self._derivatives_step(emit, symbol)

        await asyncio.gather(
            self._forever(emit, f"candles {symbol}", candles, CANDLES),
            self._forever(emit, f"funding/open interest {symbol}", derivatives, FUNDING),
        )

    async def _price_feed(self, emit: Emit) -> None:
        """Candle history first, then new closed minutes; runs beside the liquidation loops, never before."""
        await self._until_ok(emit, "candles", self._backfill, CANDLES)
        await self._forever(emit, "candles", self._candles_step, CANDLES)

    async def _ticker_step(self, emit: Emit) -> float:
        symbol = self.charted
        if self.streaming:
            ticker = await self.exchange.watch_ticker(symbol)
        else:
            ticker = await self._rest(self.exchange.fetch_ticker(symbol))
        last = number(ticker.get("last"), "ticker last")
        self._last_price = last
        if self.is_price_venue:
            ts = int(ticker.get("timestamp") or self.clock.now_ms())
            emit(PriceTick(self.name, symbol, ts, last))
        return 0.0 if self.streaming else self.settings.candles_poll_s

    async def _fetch_closed_candles(self, symbol: str, since_ms: int) -> list[list[float]]:
        # The symbol is the caller's, read before the request: ``follow`` may change ``charted`` meanwhile.
        rows = await self._rest(self.exchange.fetch_ohlcv(symbol, "1m", since_ms, 1000))
        now = self.clock.now_ms()
        closed = []
        for row in rows or []:
            ts = int(number(row[0], "candle time"))
            values = [number(v, "candle value") for v in row[1:6]]
            if ts + MINUTE_MS <= now:  # the last row is the candle still forming
                closed.append([ts, *values])
        return closed

    async def _backfill(self, emit: Emit) -> float:
        from cockpit.analytics.candles import Candles

        symbol = self.charted
        start = self.clock.now_ms() - self.live.backfill_minutes * MINUTE_MS
        if self._last_candle_ms is not None:  # seen before: only what came since (the engine kept the rest)
            start = max(start, self._last_candle_ms + MINUTE_MS)
        rows: list[list[float]] = []
        since = start
        for _ in range(50):  # pages of up to 1,000 (300 on OKX) until caught up
            page = await self._fetch_closed_candles(symbol, since)
            page = [r for r in page if not rows or r[0] > rows[-1][0]]
            if not page:
                break
            rows += page
            since = int(page[-1][0]) + MINUTE_MS
        if not rows:
            if self._last_candle_ms is not None:
                return 0.0  # nothing closed since the last visit
            raise ValueError(f"{self.name} returned no candles for {symbol}")
        if symbol != self.charted:
            return 0.0  # switched while the pages came in
        cols = list(zip(*rows, strict=True))
        candles = Candles.from_arrays(*cols)
        self._candle_sent(symbol, int(candles.ts_ms[-1]))
        emit(Backfill(self.name, symbol, candles))
        return 0.0

    def _candle_sent(self, symbol: str, ts_ms: int) -> None:
        self._last_candle_ms = self._candles_seen[symbol] = ts_ms

    async def _candles_step(self, emit: Emit) -> float:
        symbol = self.charted
        since = (self._last_candle_ms or self.clock.now_ms() - 5 * MINUTE_MS) + MINUTE_MS
        for ts, o, h, lo, c, v in await self._fetch_closed_candles(symbol, since):
            if symbol != self.charted:
                break  # switched while the request ran: the new symbol's feed takes over
            if self._last_candle_ms is None or ts > self._last_candle_ms:
                emit(CandleClosed(self.name, symbol, int(ts), o, h, lo, c, v))
                self._candle_sent(symbol, int(ts))
        return self.settings.candles_poll_s

    async def _derivatives_step(self, emit: Emit, symbol: str | None = None) -> float:
        symbol = symbol or self.charted
        funding = await self._rest(self.exchange.fetch_funding_rate(symbol))
        rate = funding.get("fundingRate")
        oi: dict[str, Any] = {}
        if self.exchange.has.get("fetchOpenInterest"):  # ccxt has none for Gate: funding alone, no error
            oi = await self._rest(self.exchange.fetch_open_interest(symbol))
        value = oi.get("openInterestValue")
        if value is None and oi.get("openInterestAmount") is not None:
            # Binance and Bybit give base units, HTX contracts: value them at the last price (VENUES.md).
            last = self._last_price if symbol == self.charted else None  # the ticker's is the charted one's
            price = last or number(funding.get("markPrice"), "mark price")
            size = float(self.exchange.market(symbol).get("contractSize") or 1.0)
            value = float(oi["openInterestAmount"]) * size * price
        interval_h = await funding_interval_h(self.exchange, self.name, symbol, funding, self._rest)
        emit(
            DerivativesUpdate(
                self.name,
                symbol,
                self.clock.now_ms(),
                None if rate is None else number(rate, "funding rate"),
                None if value is None else number(value, "open interest"),
                venue=self.label,
                funding_interval_h=interval_h,
            )
        )
        return self.settings.derivatives_poll_s


def number(value: object, what: str) -> float:
    """A finite float, or a ValueError naming the field (an HTML page parsed by ccxt yields Nones)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} is {value!r}, not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} is {number}, not finite")
    return number
