"""One exchange as an engine source, through ccxt: liquidations, and for the price venue candles, ticker,
funding and open interest.

One ccxt instance per venue is shared by every task (ccxt's rate limiter is per instance). Each task is a
loop that reports success as a heartbeat and failure as a classified error with a retry countdown; a
failure in one task or venue never stops another. Websocket reconnection is ccxt.pro's: the next
``watch_*`` call after an error reconnects and resubscribes, and the deduper drops what a venue repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.config import LiveSettings, VenueSettings
from cockpit.models import (
    LIQUIDATIONS,
    TICKER,
    Covered,
    SourceError,
    SourceOk,
)
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.cache_reader import CacheReader, counting_cache
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.feeds import HEARTBEAT_S, feed_cadences
from cockpit.sources.venues.market_wide import (
    ALL,
    BYBIT_TOPICS_PER_CONNECTION,
    RERANK_S,
    bybit_watch,
    chunks,
    connection_url,
    coverage_note,
    followed,
    gate_all_contracts,
    linear_perpetuals,
    rank_by_turnover,
)
from cockpit.sources.venues.normalize import normalize
from cockpit.sources.venues.polling import LiquidationPoller
from cockpit.sources.venues.price_feed import PriceFeeds
from cockpit.sources.venues.retry import Backoff, classify, require_json_bodies
from cockpit.text.excerpt import excerpt
from cockpit.venues import SAMPLED_VENUES, STREAMING_VENUES, VENUE_NAMES

MINUTE_MS = 60_000
COVER_EVERY_S = 5.0  # how often a connected stream claims the time since its last claim as covered
NOTICE = "notice"  # the task of a source's notices: input it skipped and counted (``VenueSource._notice``)
NOTICE_MIN_S = 5.0  # market seconds a notice stays up at least while good input follows it
# Text frames that are not JSON yet mean something: okx answers its text ping with the text "pong".
KEEPALIVE_TEXT = frozenset({"ping", "pong"})
BAD_SEEN_MAX = 1_000  # unreadable liquidations remembered, so that a poll reading one again counts it once

Step = Callable[[Emit], Awaitable[float]]  # one unit of work; returns seconds to wait before the next


CLOSE_TIMEOUT_S = 5.0  # real seconds: how long quitting waits for a venue's connections to close


class VenueSource(PriceFeeds):
    """Feeds the engine from one venue; ``name`` is the ccxt id (binanceusdm, bybit, okx, gate, htx)."""

    simulated = False

    def __init__(
        self,
        venue_id: str,
        settings: VenueSettings,
        live: LiveSettings,
        clock: Clock,
        *,
        is_price_venue: bool,
        exchange_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.name = venue_id
        self.settings = settings
        self.live = live
        self.clock = clock
        self.is_price_venue = is_price_venue
        self.streaming = venue_id in STREAMING_VENUES
        self.sampled = venue_id in SAMPLED_VENUES
        self.venues: tuple[str, ...] = (VENUE_NAMES.get(venue_id, venue_id),)
        self.symbols: tuple[str, ...] = tuple(settings.symbols)
        self.market_wide = settings.market_wide
        self.coverage_note = coverage_note(venue_id, self.market_wide, settings.top_n, self.symbols)
        self._perpetuals: dict[str, Any] = {}  # symbol -> market: the linear perpetuals (market-wide)
        self._by_id: dict[str, Any] = {}  # venue id -> market of the same perpetuals
        self._followed: tuple[str, ...] = self.symbols  # what the liquidation loops read (see _symbols)
        self._turn = 0  # htx: the next of ``_followed`` to poll
        self._bybit_url = ""  # bybit: the linear stream's URL, the first connection's
        self.label = self.venues[0]  # the name its liquidations carry ("Binance")
        # Streams deliver tickers every second or so; polled venues answer once per poll.
        self.cadence_s = 10.0 if self.streaming else settings.liquidations_poll_s
        self.feeds = feed_cadences(settings, streaming=self.streaming, is_price_venue=is_price_venue)
        self._factory = exchange_factory
        self._dedup = Deduper()
        self._poller = LiquidationPoller(venue_id, clock, self._fetch_liquidations)
        self.charted = live.symbol  # the instrument on the chart: its candles, ticker and derivatives
        self._refollow = asyncio.Event()  # set by ``follow``: restart the price feeds on ``charted``
        self._last_candle_ms: int | None = None
        self._candles_seen: dict[str, int] = {}  # symbol -> newest closed minute sent (kept per symbol)
        self._last_price: float | None = None
        # Input skipped and counted, each shown as a notice (``_notice``) that costs no retry:
        self.bad_frames = 0  # websocket frames that could not be read (not JSON, or ccxt failed on them)
        self.malformed = 0  # liquidation messages that could not be read
        self._bad_seen: dict[str, None] = {}  # the latest BAD_SEEN_MAX of them, oldest first
        self._cached = CacheReader()  # one read position over ccxt's liquidation cache, for every symbol
        self._emit: Emit | None = None
        self._notice_at: float | None = None  # monotonic time of the last notice still shown
        self._subscribed = False  # a liquidation watch has been answered or acknowledged since connecting
        self.exchange: Any = None

    @property
    def lost(self) -> int:
        """Liquidations a stream delivered but ccxt's cache dropped before they were read (counted, shown)."""
        return self._cached.lost

    def _make(self) -> Any:
        if self._factory is not None:
            return self._factory(self.name, self.settings, streaming=self.streaming)
        from cockpit.sources.venues.urls import make_exchange

        ex = make_exchange(
            self.name, self.settings.rest_url or None, self.settings.ws_url or None, streaming=self.streaming
        )
        ex.timeout = int(self.settings.timeout_s * 1000)
        require_json_bodies(ex, self.name)
        if self.streaming:
            self._guard_frames(ex)
            # A ring sized for bursts, that counts what it is given (see cache_reader); ccxt fills the one it
            # finds, and makes one of this size should it ever drop it.
            ex.options["liquidationsLimit"] = self.settings.liquidations_cache
            ex.liquidations = counting_cache(self.settings.liquidations_cache)
            # A stream that stops answering pings is dead even if the socket looks open (a half-read frame
            # kills ccxt's reader silently): two missed pongs raise, and the next watch reconnects.
            ex.streaming = {**ex.streaming, "keepAlive": int(self.settings.ws_keepalive_s * 1000)}
        return ex

    def _guard_frames(self, ex: Any) -> None:
        """Keep ccxt's websocket reader alive past a frame it cannot read, and count every such frame.

        ccxt 4.5.90 decodes frames and runs the venue's handler inside the callback that schedules the next
        read, so any exception there (a cut JSON frame's ValueError, or the TypeError binance's handler
        raises on a text frame such as ``}{garbage`` or a proxy's "502 Bad Gateway" page) ends the reader
        silently: every watch hangs until the keepalive gives up. A text frame that is not JSON reaches the
        handler as a string, which bybit and okx drop without a word. Wrapping each client's decoder skips
        such a frame before ccxt sees it, catches whatever ccxt raises on the others, and counts and shows
        both (``_skipped_frame``); the stream carries on with the next frame.
        """
        make_client = ex.client

        def client(url: str) -> Any:
            c = make_client(url)
            if not getattr(c, "_cockpit_guarded", False):
                decode = c.handle_text_or_binary_message

                def guarded(data: Any, _decode: Any = decode) -> None:
                    why = _not_json(data)
                    if why is None:
                        try:
                            _decode(data)
                            return
                        except Exception as exc:  # anything escaping here would end ccxt's reader
                            why = f"{type(exc).__name__}: {excerpt(str(exc))}"
                    self._skipped_frame(why)

                c.handle_text_or_binary_message = guarded
                c._cockpit_guarded = True
            return c

        ex.client = client

    def _skipped_frame(self, why: str) -> None:
        self.bad_frames += 1
        if self._emit is not None:
            self._notice(self._emit, f"stream: skipped an unreadable frame ({why}); {self.bad_frames} so far")

    def _notice(self, emit: Emit, message: str) -> None:
        """Show a problem that needs no retry (input skipped and counted) as the source's error, until
        ``_expire_notice`` clears it."""
        self._notice_at = time.monotonic()
        emit(SourceError(self.name, self.clock.now_ms(), message[:300], task=NOTICE))

    def _expire_notice(self, emit: Emit, *, delivered: bool) -> None:
        """Clear the notice once good input has been ``delivered`` at least ``NOTICE_MIN_S`` (market time)
        after it, or ``2 x ws_keepalive_s`` after it whatever came. Not at the first good message: one
        right behind the bad one would clear the notice before any snapshot showed it."""
        if self._notice_at is None:
            return
        age_s = time.monotonic() - self._notice_at
        if age_s > 2 * self.settings.ws_keepalive_s or (
            delivered and age_s >= self.clock.real_seconds(NOTICE_MIN_S)
        ):
            self._notice_at = None
            emit(SourceOk(self.name, self.clock.now_ms(), NOTICE, data=False))  # not news: see ``_watch``

    async def run(self, emit: Emit) -> None:
        self._emit = emit
        self.exchange = self._make()
        try:
            await self._until_ok(emit, "markets", self._load_markets, "")
            loops = self._liquidation_loops(emit)
            if self.streaming:
                loops.append(self._forever(emit, "ticker", self._ticker_step, TICKER))
                loops.append(self._claim_stream_coverage(emit))
            if self.is_price_venue:
                loops.append(self._price_feeds(emit))
            await asyncio.gather(*loops)
        finally:
            # Bounded: closing a connection the venue stopped answering must not keep the cockpit from
            # quitting (seen in the soak run with a hung reconnect).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.exchange.close(), CLOSE_TIMEOUT_S)

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

    def _symbols(self) -> tuple[str, ...]:
        """The symbols whose liquidations are read: the configured ones, or market-wide the followed ones."""
        return self._followed

    def _liquidation_loops(self, emit: Emit) -> list[Awaitable[None]]:
        """One loop per configured symbol; market-wide one loop for the venue's feed of every market (one
        reader of ccxt's cache, see cache_reader), one per Bybit connection, or HTX's round of polls."""
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
        else:
            loops.append(self._forever(emit, "liquidations", self._liquidation_step(ALL), LIQUIDATIONS))
        return loops

    async def _rerank(self, emit: Emit) -> None:
        """Reload the markets (new listings) and rank the most active perpetuals again, every RERANK_S."""
        await asyncio.sleep(self.clock.real_seconds(RERANK_S))
        await self._forever(emit, "markets", self._load_markets, "")

    # -- the retry machinery -------------------------------------------------------------------------

    async def _attempt(self, emit: Emit, what: str, step: Step, backoff: Backoff, feed: str) -> float | None:
        """Run one step of ``feed`` ("" = the venue as a whole); on failure report it and return None after
        waiting the backoff."""
        try:
            wait = await step(emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is shown and retried, never allowed to crash the app
            failure = classify(exc, getattr(self.exchange, "last_response_headers", None), self.name)
            delay = backoff.next_delay(failure)
            emit(
                SourceError(
                    self.name,
                    self.clock.now_ms(),
                    f"{what}: {failure.message}",
                    permanent=failure.kind != "transient",
                    retry_in_s=delay,
                    task=what,
                    feed=feed,
                )
            )
            await asyncio.sleep(self.clock.real_seconds(delay))
            return None
        backoff.reset()
        emit(SourceOk(self.name, self.clock.now_ms(), what, feed=feed))
        return wait

    async def _until_ok(self, emit: Emit, what: str, step: Step, feed: str) -> None:
        backoff = Backoff(cap_s=self.settings.backoff_max_s)
        while await self._attempt(emit, what, step, backoff, feed) is None:
            pass

    async def _forever(self, emit: Emit, what: str, step: Step, feed: str) -> None:
        backoff = Backoff(cap_s=self.settings.backoff_max_s)
        while True:
            wait = await self._attempt(emit, what, step, backoff, feed)
            if wait:
                await asyncio.sleep(self.clock.real_seconds(wait))

    # -- steps ---------------------------------------------------------------------------------------

    async def _load_markets(self, emit: Emit) -> float:
        # reload: ccxt caches even an empty market list from an HTML answer, then every call is BadSymbol.
        markets = await self._rest(self.exchange.load_markets(reload=True))
        missing = [s for s in self.symbols if s not in markets]
        if missing:
            import ccxt

            raise ccxt.BadSymbol(f"{self.name} has no market {', '.join(missing)}")
        if self.market_wide:
            self._perpetuals = linear_perpetuals(markets)
            self._by_id = {m["id"]: m for m in self._perpetuals.values()}
            if self.name in ("bybit", "htx"):
                ranked = await self._rest(rank_by_turnover(self.exchange, self._perpetuals))
                self._followed = followed(ranked, self.symbols, self.settings.top_n)
            if self.name == "bybit":
                first = self._followed[0]
                self._bybit_url = await self.exchange.get_url_by_market_type(
                    first, False, "watchLiquidations", {}
                )
        return RERANK_S

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
            events = []
            bad: list[str] = []
            for item in raw or []:
                try:
                    # A stream's items are of every followed symbol (whichever loop reads them), and so
                    # are the rows of Gate's all-contract history.
                    by_item = self.streaming or symbol == ALL
                    market = self.exchange.market(item["symbol"] if by_item else symbol)
                    events.extend(normalize(self.name, item, market))
                except ValueError as exc:  # one malformed message must not cost the good ones
                    if self._first_sight(item):
                        bad.append(str(exc))
            if bad:
                # Counted and shown, never raised: a raise would back off and hold the good messages
                # that arrived meanwhile (they wait in ccxt's cache) for the length of the backoff.
                self.malformed += len(bad)
                what = "a malformed message" if len(bad) == 1 else f"{len(bad)} malformed messages"
                self._notice(emit, f"liquidations: skipped {what} ({bad[0]}); {self.malformed} so far")
            if events and not self.streaming:
                self._poller.advance(symbol, max(e.ts_ms for e in events))
            for e in self._dedup.fresh(self.name, events):
                emit(e)
            if covered is not None:  # after its events: the range was read whole
                emit(Covered(self.name, *covered))
            self._expire_notice(emit, delivered=True)  # the venue answered (or a stream delivered)
            return wait

        return step

    def _poll_symbol(self, key: str | int) -> str:
        """What a poll asks for: the symbol, ``ALL`` for Gate's every contract, HTX's next in its round."""
        if key != ALL or self.streaming or self.name == "gate":
            return str(key)
        return self._followed[self._turn % len(self._followed)]

    def _poll_wait(self) -> float:
        """Seconds to the next poll: HTX's round spreads the cadence over its contracts, so each is read
        every ``liquidations_poll_s`` (or slower: the rate limiter has the last word)."""
        if self.market_wide and self.name == "htx":
            return self.settings.liquidations_poll_s / max(1, len(self._followed))
        return self.settings.liquidations_poll_s

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

    async def _rest(self, call: Awaitable[Any]) -> Any:
        """A ccxt REST call. Its body must have been JSON: the instance checks that per request
        (``require_json_bodies``); what the parsed result holds is checked where it is read (``_number``,
        ``normalize``, the market list)."""
        return await call

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

    async def _fetch_liquidations(
        self, symbol: str, since: int | None, limit: int, params: dict[str, Any]
    ) -> Any:
        if symbol == ALL:  # Gate's every contract: ccxt's fetch_liquidations needs a symbol
            return await self._rest(gate_all_contracts(self.exchange, self._by_id, limit, params))
        return await self._rest(self.exchange.fetch_liquidations(symbol, since, limit, params))


def _not_json(data: object) -> str | None:
    """Why a websocket frame's payload cannot be a venue message, or None when ccxt should decode it: text
    that does not start like a JSON object or array (ccxt 4.5.90 would pass it on as a string) and is no
    keepalive word. A binary frame arrives here decompressed and is judged as its text."""
    if isinstance(data, bytes | bytearray):  # ccxt decodes these to text first, then the same applies
        try:
            data = bytes(data).decode()
        except UnicodeDecodeError:
            return None  # ccxt raises on it: caught and counted by the guard
    if not isinstance(data, str):
        return None
    if (len(data) >= 2 and data[0] in "{[") or data.strip() in KEEPALIVE_TEXT:  # ccxt's own JSON test
        return None
    return f"not JSON: {excerpt(data, 40)}"
