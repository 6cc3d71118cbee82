"""The liquidation loops of a ``VenueSource``: per configured symbol, or market-wide one loop for a venue's
feed of every market (binanceusdm, okx), one per Bybit connection, Gate's all-contract polls and HTX's
round of polls, plus Gate's and HTX's all-market websockets (``market_stream`` says how they share the work
with the polls).

A mixin of ``VenueSource`` (venue_source.py), which owns the ccxt instance, the retry loops and the notices
this module calls. Every path hands its events to ``_deliver``: one deduper per venue, so a print two paths
deliver (a stream and a poll) with one identity (``prints``) is emitted once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import VenueSettings
from cockpit.models import LIQUIDATIONS, Covered, SourceOk
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.cache_reader import CacheReader
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.feeds import HEARTBEAT_S
from cockpit.sources.venues.gate_ws import normalize_gate_rows
from cockpit.sources.venues.htx_ws import normalize_htx_rows
from cockpit.sources.venues.liquidation_ws import RawRow
from cockpit.sources.venues.market_stream import MarketStream
from cockpit.sources.venues.market_wide import (
    ALL,
    BYBIT_TOPICS_PER_CONNECTION,
    RERANK_S,
    bybit_watch,
    chunks,
    connection_url,
    gate_all_contracts,
)
from cockpit.sources.venues.normalize import normalize
from cockpit.sources.venues.polling import LiquidationPoller
from cockpit.sources.venues.prints import number_prints
from cockpit.sources.venues.retry import Backoff
from cockpit.text.excerpt import excerpt

COVER_EVERY_S = 5.0  # how often a connected stream claims the time since its last claim as covered
BAD_SEEN_MAX = 1_000  # unreadable liquidations remembered, so that a poll reading one again counts it once
POLL_TASK = "liquidations"

Step = Callable[[Emit], Awaitable[float]]  # one unit of work; returns seconds to wait before the next


class LiquidationLoops:
    """The liquidation loops; the attributes below are ``VenueSource``'s."""

    name: str
    settings: VenueSettings
    clock: Clock
    exchange: Any
    streaming: bool
    market_wide: bool
    malformed: int
    stream: MarketStream | None
    _followed: tuple[str, ...]
    _perpetuals: dict[str, Any]
    _by_id: dict[str, Any]
    _contract_sizes: dict[str, float]
    _turn: int
    _bybit_url: str
    _subscribed: bool
    _dedup: Deduper
    _poller: LiquidationPoller
    _cached: CacheReader
    _bad_seen: dict[str, None]
    _rest: Callable[[Awaitable[Any]], Awaitable[Any]]
    _forever: Callable[[Emit, str, Step, str], Awaitable[None]]
    _attempt: Callable[[Emit, str, Step, Backoff, str], Awaitable[float | None]]
    _notice: Callable[[Emit, str], None]
    _expire_notice: Callable[..., None]
    _load_markets: Step

    def _symbols(self) -> tuple[str, ...]:
        """The symbols whose liquidations are read: the configured ones, or market-wide the followed ones."""
        return self._followed

    def _liquidation_loops(self, emit: Emit) -> list[Awaitable[None]]:
        """One loop per configured symbol; market-wide one loop for the venue's feed of every market (one
        reader of ccxt's cache, see cache_reader), one per Bybit connection, or Gate's / HTX's polls (with
        their all-market stream beside them)."""
        if not self.market_wide:
            return [
                self._forever(emit, f"liquidations {s}", self._liquidation_step(s), LIQUIDATIONS)
                for s in self._symbols()
            ]
        loops: list[Awaitable[None]] = [self._rerank(emit)]
        if self.name == "bybit":
            wanted = self.settings.top_n + len(self.settings.symbols)
            for k in range(-(-wanted // BYBIT_TOPICS_PER_CONNECTION)):
                loops.append(
                    self._forever(emit, f"liquidations #{k + 1}", self._liquidation_step(k), LIQUIDATIONS)
                )
        elif self.streaming:
            loops.append(self._forever(emit, "liquidations", self._liquidation_step(ALL), LIQUIDATIONS))
        else:
            loops.append(self._poll_loop(emit))
            if self.stream is not None:
                loops.append(self.stream.run(emit))
        return loops

    async def _rerank(self, emit: Emit) -> None:
        """Reload the markets (new listings) and rank the most active perpetuals again, every RERANK_S."""
        await asyncio.sleep(self.clock.real_seconds(RERANK_S))
        await self._forever(emit, "markets", self._load_markets, "")

    async def _claim_stream_coverage(self, emit: Emit) -> None:
        """While the venue's streams are connected, every liquidation it publishes reaches us: claim that
        time. A disconnect ends the stretch; the next one starts when the streams are up again. A stream
        is only trusted once a liquidation watch has subscribed on it (``_subscribed``). Checked every
        second so a stretch starts promptly; claimed every ``COVER_EVERY_S`` (recordings carry claims)."""
        since: int | None = None
        claimed = 0
        while True:
            now = self.clock.now_ms()
            if not (self._subscribed and self._streams_connected()):
                since = None
            elif since is None or now - claimed >= COVER_EVERY_S * 1000:
                since = now if since is None else since
                emit(Covered(self.name, since, now))
                since = claimed = now
            await asyncio.sleep(self.clock.real_seconds(1.0))

    # -- polls (gate, htx) ---------------------------------------------------------------------------

    async def _poll_loop(self, emit: Emit) -> None:
        """Gate's all-contract polls or HTX's round, retried like every loop; paused while a complete
        stream is up and every followed contract was read once (``market_stream``)."""
        backoff = Backoff(cap_s=self.settings.backoff_max_s)
        step = self._liquidation_step(ALL)
        while True:
            if not self._poll_needed():
                await self._pause_polls(emit)
                continue
            wait = await self._attempt(emit, POLL_TASK, step, backoff, LIQUIDATIONS)
            if wait:
                await self._sleep_unless_stream_changes(wait)

    def _stream_covers(self) -> bool:
        return self.stream is not None and self.stream.complete and self.stream.up

    def _poll_needed(self) -> bool:
        """Polls run unless a complete stream is up and has nothing left to backfill."""
        return not self._stream_covers() or any(s not in self._poller.covered for s in self._followed)

    async def _pause_polls(self, emit: Emit) -> None:
        """Wait while the stream carries the venue; then the polls resume where it stopped."""
        assert self.stream is not None
        # The stream carries the feed now: the poll loop's last error (if any) no longer stands.
        emit(SourceOk(self.name, self.clock.now_ms(), POLL_TASK, data=False, feed=LIQUIDATIONS))
        while self._stream_covers():
            await self.stream.wait_changed()
        down_at = self.stream.down_at_ms
        if down_at is not None:
            # Read again from a little before the drop: what it lost then comes from REST, what it
            # delivered before is dropped by identity. Never from the old cursors: the deduper
            # remembers 30 minutes, the stream may have carried the venue for hours.
            since = down_at - int(self.stream.client.idle_timeout_s * 1000)
            for symbol in self._followed:
                self._poller.advance(symbol, since)

    async def _sleep_unless_stream_changes(self, wait_s: float) -> None:
        if self.stream is None or not self.stream.complete:
            await asyncio.sleep(self.clock.real_seconds(wait_s))
            return
        with_timeout = asyncio.wait_for(self.stream.wait_changed(), self.clock.real_seconds(wait_s))
        with contextlib.suppress(asyncio.TimeoutError):  # the wait ended without a change: poll again
            await with_timeout

    def _poll_symbol(self, key: str | int) -> str:
        """What a poll asks for: the symbol, ``ALL`` for Gate's every contract, HTX's next in its round
        (while a complete stream is up, the next one not read yet)."""
        if key != ALL or self.streaming or self.name == "gate":
            return str(key)
        if self._stream_covers():
            unread = [s for s in self._followed if s not in self._poller.covered]
            if unread:
                return unread[0]
        return self._followed[self._turn % len(self._followed)]

    def _poll_wait(self) -> float:
        """Seconds to the next poll: HTX's round spreads the cadence over its contracts, so each is read
        every ``liquidations_poll_s`` (or slower: the rate limiter has the last word)."""
        if self.market_wide and self.name == "htx":
            return self.settings.liquidations_poll_s / max(1, len(self._followed))
        return self.settings.liquidations_poll_s

    async def _fetch_liquidations(
        self, symbol: str, since: int | None, limit: int, params: dict[str, Any]
    ) -> Any:
        if symbol == ALL:  # Gate's every contract: ccxt's fetch_liquidations needs a symbol
            return await self._rest(gate_all_contracts(self.exchange, self._by_id, limit, params))
        return await self._rest(self.exchange.fetch_liquidations(symbol, since, limit, params))

    # -- one step of a loop ---------------------------------------------------------------------------

    def _liquidation_step(self, key: str | int) -> Step:
        """A step of the loop of ``key``: a symbol, ``ALL`` (a feed of every market, or HTX's round of
        polls) or the number of a Bybit connection."""

        async def step(emit: Emit) -> float:
            covered: tuple[int, int] | None = None
            symbol = self._poll_symbol(key)
            if self.streaming:
                await self._watch(emit, f"liquidations {key}", self._liquidation_watch(key))
                self._subscribed = True
                raw = self._new_cached(emit)
                wait = 0.0
            else:
                raw, more = await self._poller.poll(symbol)
                wait = 0.0 if more else self._poll_wait()
                self._turn += 0 if more else 1  # HTX: the next contract once this one is read up to now
                covered = self._poller.covered.get(symbol)
            events = self._read_items(emit, raw or [], symbol)
            if events and not self.streaming:
                self._poller.advance(symbol, max(e.ts_ms for e in events))
            self._deliver(emit, events)
            if covered is not None:  # after its events: the range was read whole
                emit(Covered(self.name, *covered))
            return wait

        return step

    def _read_items(self, emit: Emit, raw: list[Any], symbol: str) -> list[LiquidationEvent]:
        """The events of ccxt liquidation structures (a watch's or a poll's), Gate/HTX twins numbered;
        unreadable ones are counted and shown, never raised: a raise would back off and hold the good
        messages that arrived meanwhile (they wait in ccxt's cache) for the length of the backoff."""
        events: list[LiquidationEvent] = []
        bad: list[str] = []
        for item in raw:
            try:
                # A stream's items are of every followed symbol (whichever loop reads them), and so are
                # the rows of Gate's all-contract history.
                by_item = self.streaming or symbol == ALL
                market = self.exchange.market(item["symbol"] if by_item else symbol)
                events.extend(normalize(self.name, item, market))
            except ValueError as exc:  # one malformed message must not cost the good ones
                if self._first_sight(item):
                    bad.append(str(exc))
        self._count_malformed(emit, bad)
        return number_prints(events)

    def _count_malformed(self, emit: Emit, bad: list[str]) -> None:
        if bad:
            self.malformed += len(bad)
            what = "a malformed message" if len(bad) == 1 else f"{len(bad)} malformed messages"
            self._notice(emit, f"liquidations: skipped {what} ({bad[0]}); {self.malformed} so far")

    def _deliver(self, emit: Emit, events: list[LiquidationEvent]) -> None:
        """Emit what the venue's deduper has not seen (from any path), then clear an expired notice."""
        for e in self._dedup.fresh(self.name, events):
            emit(e)
        self._expire_notice(emit, delivered=True)  # the venue answered (or a stream delivered)

    def _stream_rows(self, emit: Emit) -> Callable[[list[RawRow]], None]:
        """The callback of Gate's / HTX's stream: one push's rows to events, through the same deduper.
        Rows of contracts that are no linear perpetual we know (dated futures, a listing newer than the
        markets) are left out, as the polls leave them out."""
        read = normalize_gate_rows if self.name == "gate" else normalize_htx_rows
        key = "contract" if self.name == "gate" else "contract_code"

        def on_rows(rows: list[RawRow]) -> None:
            known = [r for r in rows if str(r.get(key)) in self._contract_sizes]
            events, problems = read(known, self._contract_sizes)
            self._count_malformed(emit, [str(p) for p in problems])  # a push is never read twice
            self._deliver(emit, list(events))

        return on_rows

    # -- ccxt.pro watches (binanceusdm, bybit, okx) -----------------------------------------------------

    def _liquidation_watch(self, key: str | int) -> Awaitable[Any]:
        """The watch a stream loop awaits: one symbol's, the feed of every market, or a Bybit connection's."""
        if not self.market_wide:
            return self.exchange.watch_liquidations(key)  # type: ignore[no-any-return]
        if self.name == "bybit":
            assert isinstance(key, int)
            part = chunks(self._followed, BYBIT_TOPICS_PER_CONNECTION)
            if key >= len(part):  # fewer perpetuals than connections opened for: nothing to watch yet
                return asyncio.sleep(self.clock.real_seconds(RERANK_S))
            return bybit_watch(self.exchange, connection_url(self._bybit_url, key), part[key])
        # binanceusdm: [] subscribes !forceOrder@arr; okx: None sends no instrument (instType SWAP).
        return self.exchange.watch_liquidations_for_symbols([] if self.name == "binanceusdm" else None)  # type: ignore[no-any-return]

    def _first_sight(self, item: object) -> bool:
        """Whether this unreadable liquidation was not seen before: a poll reads its last minute again (and
        all of it while nothing newer arrives), so the same bad row must be counted and shown once."""
        info = item.get("info") if isinstance(item, dict) else item
        try:
            key = json.dumps(info, sort_keys=True, default=repr)
        except (ValueError, TypeError, RecursionError):
            key = excerpt(info, 400)
        if key in self._bad_seen:
            return False
        self._bad_seen[key] = None
        if len(self._bad_seen) > BAD_SEEN_MAX:
            del self._bad_seen[next(iter(self._bad_seen))]
        return True

    async def _watch(self, emit: Emit, what: str, call: Awaitable[Any]) -> Any:
        """Await a liquidation watch; while it waits and every stream is connected, say the feed is alive
        at once (so a reconnect on a quiet market clears the error instead of waiting for the next
        liquidation) and again every HEARTBEAT_S (so a quiet market's silent stream stays ok). Neither that
        nor an expired notice is data (``data=False``): a stream that is not connected, or
        connected while the other venues' liquidations pour in, still goes stale (``source_health``)."""
        task = asyncio.ensure_future(call)
        alive_at: int | None = None  # market time of the last "alive"
        tick_s = max(0.02, min(0.25, self.clock.real_seconds(HEARTBEAT_S)))  # a fast clock beats as often
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=tick_s)
                if done:
                    return task.result()
                if not self._streams_connected():
                    continue
                now = self.clock.now_ms()
                if alive_at is None or now - alive_at >= HEARTBEAT_S * 1000:
                    emit(SourceOk(self.name, now, what, data=False, feed=LIQUIDATIONS))
                    alive_at = now
                    self._subscribed = self._subscribed or what.startswith("liquidations")
                self._expire_notice(emit, delivered=False)
        finally:
            if not task.done():
                task.cancel()

    def _streams_connected(self) -> bool:
        clients = list((self.exchange.clients or {}).values())
        return bool(clients) and all(
            c.connected.done()
            and not c.connected.cancelled()
            and c.connected.exception() is None
            and not c.closed()
            for c in clients
        )

    def _new_cached(self, emit: Emit) -> list[Any]:
        """Every liquidation of a followed symbol that ccxt cached since any loop of this venue last looked:
        a watch returns only the first message of a burst, the rest wait in ``exchange.liquidations``, one
        cache for all symbols (see ``cache_reader``)."""
        overruns, lost = self._cached.overruns, self._cached.lost
        items = self._cached.take(self.exchange.liquidations)
        if self._cached.overruns > overruns:
            n = self._cached.lost - lost
            what = f"{n:,} liquidations" if n else "some liquidations"
            size = self.settings.liquidations_cache
            self._notice(
                emit,
                f"stream: lost {what}: more than {size:,} arrived between two reads "
                f"({self._cached.lost:,} lost so far)",
            )
        # Market-wide every linear perpetual counts (an OKX message of a coin-margined swap does not).
        wanted = self._perpetuals if self.market_wide else set(self._symbols())
        return [it for it in items if it.get("symbol") in wanted]
