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
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.config import LiveSettings, VenueSettings
from cockpit.models import TICKER, SourceError, SourceOk
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.cache_reader import CacheReader, counting_cache
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.feeds import feed_cadences
from cockpit.sources.venues.liquidation_loops import LiquidationLoops
from cockpit.sources.venues.market_stream import STREAM_VENUES, MarketStream
from cockpit.sources.venues.market_wide import (
    RERANK_S,
    coverage_note,
    followed,
    linear_perpetuals,
    rank_by_turnover,
)
from cockpit.sources.venues.polling import LiquidationPoller
from cockpit.sources.venues.price_feed import PriceFeeds
from cockpit.sources.venues.retry import Backoff, classify, require_json_bodies
from cockpit.text.excerpt import excerpt
from cockpit.venues import SAMPLED_VENUES, STREAMING_VENUES, VENUE_NAMES

MINUTE_MS = 60_000
NOTICE = "notice"  # the task of a source's notices: input it skipped and counted (``VenueSource._notice``)
NOTICE_MIN_S = 5.0  # market seconds a notice stays up at least while good input follows it
# Text frames that are not JSON yet mean something: okx answers its text ping with the text "pong".
KEEPALIVE_TEXT = frozenset({"ping", "pong"})

Step = Callable[[Emit], Awaitable[float]]  # one unit of work; returns seconds to wait before the next


CLOSE_TIMEOUT_S = 5.0  # real seconds: how long quitting waits for a venue's connections to close


class VenueSource(LiquidationLoops, PriceFeeds):
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
        # Gate's stream samples but its REST polls, which always run, complete it: not sampled (see
        # market_stream); HTX's stream is complete.
        self.sampled = venue_id in SAMPLED_VENUES
        self.venues: tuple[str, ...] = (VENUE_NAMES.get(venue_id, venue_id),)
        self.symbols: tuple[str, ...] = tuple(settings.symbols)
        self.market_wide = settings.market_wide
        with_stream = self.market_wide and settings.stream and venue_id in STREAM_VENUES
        self.coverage_note = coverage_note(
            venue_id, self.market_wide, settings.top_n, self.symbols, stream=with_stream
        )
        self.label = self.venues[0]  # the name its liquidations carry ("Binance")
        # Streams deliver tickers every second or so; polled venues answer once per poll.
        self.cadence_s = 10.0 if self.streaming else settings.liquidations_poll_s
        self.feeds = feed_cadences(settings, streaming=self.streaming, is_price_venue=is_price_venue)
        self._factory = exchange_factory
        self.charted = live.symbol  # the instrument on the chart: its candles, ticker and derivatives
        self._refollow = asyncio.Event()  # set by ``follow``: restart the price feeds on ``charted``
        self._last_candle_ms: int | None = None
        self._candles_seen: dict[str, int] = {}  # symbol -> newest closed minute sent (kept per symbol)
        self._last_price: float | None = None
        self._emit: Emit | None = None
        self._notice_at: float | None = None  # monotonic time of the last notice still shown
        self.exchange: Any = None
        self._init_liquidations(with_stream)

    def _init_liquidations(self, with_stream: bool) -> None:
        """The state of the liquidation loops (liquidation_loops)."""
        self._perpetuals: dict[str, Any] = {}  # symbol -> market: the linear perpetuals (market-wide)
        self._by_id: dict[str, Any] = {}  # venue id -> market of the same perpetuals
        self._contract_sizes: dict[str, float] = {}  # venue id -> contract size (the gate/htx streams)
        self._followed: tuple[str, ...] = self.symbols  # what the liquidation loops read (see _symbols)
        self._turn = 0  # htx: the next of ``_followed`` to poll
        self._bybit_url = ""  # bybit: the linear stream's URL, the first connection's
        self._dedup = Deduper()
        self._poller = LiquidationPoller(self.name, self.clock, self._fetch_liquidations)
        # Input skipped and counted, each shown as a notice (``_notice``) that costs no retry:
        self.bad_frames = 0  # websocket frames that could not be read (not JSON, or ccxt failed on them)
        self.malformed = 0  # liquidation messages that could not be read
        self._bad_seen: dict[str, None] = {}  # the latest BAD_SEEN_MAX of them, oldest first
        self._cached = CacheReader()  # one read position over ccxt's liquidation cache, for every symbol
        self._subscribed = False  # a liquidation watch has been answered or acknowledged since connecting
        # Gate's / HTX's all-market websocket (market_stream), rows through the same deduper as the polls.
        self.stream = self._make_stream() if with_stream else None

    def _make_stream(self) -> MarketStream:
        rows = self._stream_rows(self._emit_later)
        return MarketStream(self.name, self.settings, self.clock, rows, self.settings.top_n)

    def _emit_later(self, event: Any) -> None:
        """``emit`` for what is made before ``run`` is given it (the stream's callback)."""
        if self._emit is not None:
            self._emit(event)

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
            self._contract_sizes = {
                str(i): float(m["contractSize"])
                for i, m in self._by_id.items()
                if isinstance(m.get("contractSize"), int | float) and m["contractSize"] > 0
            }
            if self.name in ("bybit", "htx"):
                ranked = await self._rest(rank_by_turnover(self.exchange, self._perpetuals))
                self._followed = followed(ranked, self.symbols, self.settings.top_n)
            if self.name == "bybit":
                first = self._followed[0]
                self._bybit_url = await self.exchange.get_url_by_market_type(
                    first, False, "watchLiquidations", {}
                )
        return RERANK_S

    async def _rest(self, call: Awaitable[Any]) -> Any:
        """A ccxt REST call. Its body must have been JSON: the instance checks that per request
        (``require_json_bodies``); what the parsed result holds is checked where it is read (``_number``,
        ``normalize``, the market list)."""
        return await call


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
