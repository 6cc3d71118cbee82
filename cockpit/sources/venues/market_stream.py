"""Gate's and HTX's all-market liquidation websockets (``gate_ws``, ``htx_ws``) inside a ``VenueSource``:
their state (up once subscribed, down on any error or disconnect), the health they report and the time
they claim as covered.

Which path is complete decides how the stream and the REST polls share the work:

- Gate's ``futures.public_liquidates`` pushes at most one liquidation per contract per second (Gate's
  websocket docs, "public liquidates order"; every client library we checked says the same), while REST
  ``liq_orders`` without a contract returns every one. So REST stays Gate's complete source and keeps
  polling whatever the stream does; the stream only brings prints a poll earlier. It claims no coverage and
  Gate's totals are not labelled sampled: the polls complete them. Both paths give a print one identity
  (``prints``), so the copy that comes second is dropped by the deduper.
- HTX's ``public.*.liquidation_orders`` carries every contract's liquidations, more than REST's round of
  the ``top_n`` most active. While it is up it is the source (it claims its time as covered) and the
  polls pause; they run while it is down, from where it stopped (``down_at_ms``), and at start until each
  followed contract's history was read once (a stream cannot backfill).

A stream that drops shows at once: its task's error on the liquidation feed, saying what takes over.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from cockpit.config import VenueSettings
from cockpit.models import LIQUIDATIONS, Covered, SourceError, SourceOk
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.feeds import HEARTBEAT_S
from cockpit.sources.venues.gate_ws import GATE_USDT_WS_URL, GateLiquidationStream
from cockpit.sources.venues.htx_ws import HTX_NOTIFICATION_WS_URL, HtxLiquidationStream
from cockpit.sources.venues.liquidation_ws import LiquidationStream, RowsCallback

__all__ = ["STREAM_COMPLETE", "STREAM_VENUES", "TASK", "MarketStream", "stream_url"]

STREAM_VENUES = frozenset({"gate", "htx"})
STREAM_COMPLETE = {"gate": False, "htx": True}  # does the stream carry every print (see the docstring)
TASK = "liquidations stream"  # the health task of the stream (its errors clear when it is back)
COVER_EVERY_S = 5.0  # how often a complete, connected stream claims the time since its last claim
HTX_PING_S = 5.0  # HTX pings its clients every few seconds: a socket silent for much longer is dead
_DEFAULT_URL = {"gate": GATE_USDT_WS_URL, "htx": HTX_NOTIFICATION_WS_URL}


def stream_url(venue_id: str, ws_url: str) -> str:
    """The stream's URL: the venue's own, or its path on the configured ``ws_url`` (testnets, fakes)."""
    default = _DEFAULT_URL[venue_id]
    return f"{ws_url.rstrip('/')}{urlsplit(default).path}" if ws_url else default


class MarketStream:
    """One venue's all-market liquidation websocket and its state; rows go to ``on_rows``."""

    def __init__(
        self, venue_id: str, settings: VenueSettings, clock: Clock, on_rows: RowsCallback, top_n: int
    ) -> None:
        self.venue_id = venue_id
        self.clock = clock
        self.complete = STREAM_COMPLETE[venue_id]
        self.up = False
        self.down_at_ms: int | None = None  # when it last went down (the polls resume from there)
        self.up_since_ms: int | None = None
        self._changed = asyncio.Event()
        self._emit: Emit | None = None
        self._fallback = (
            f"polling the top {top_n} contracts meanwhile"
            if self.complete
            else "REST polls carry on (complete, a poll later)"
        )
        keepalive = settings.ws_keepalive_s
        kind: type[LiquidationStream] = GateLiquidationStream if venue_id == "gate" else HtxLiquidationStream
        # Gate answers our pings, so silence past two of them is a dead socket; HTX pings us instead.
        idle_s = max(2.0, 2 * keepalive) if venue_id == "gate" else max(6 * HTX_PING_S, 2 * keepalive)
        self.client: Any = kind(
            stream_url(venue_id, settings.ws_url),
            on_rows,
            on_status=self._status,
            ping_interval_s=keepalive,
            idle_timeout_s=idle_s,
            backoff_s=min(0.5, settings.backoff_max_s),
            max_backoff_s=settings.backoff_max_s,
        )

    async def run(self, emit: Emit) -> None:
        """Keep the stream connected and report its state until cancelled."""
        self._emit = emit
        await asyncio.gather(self.client.run(), self._beat(emit))

    async def wait_changed(self) -> None:
        """Return at the next change of ``up``."""
        self._changed.clear()
        await self._changed.wait()

    def _status(self, kind: str, detail: str) -> None:
        if kind == "subscribed":
            self._set_up(True)
            self._report(SourceOk(self.venue_id, self.clock.now_ms(), TASK, data=False, feed=LIQUIDATIONS))
        elif kind in ("error", "disconnected"):
            why = detail if kind == "error" else "disconnected"
            self._set_up(False)
            message = f"{TASK}: down ({why[:200]}); {self._fallback}"
            self._report(
                SourceError(self.venue_id, self.clock.now_ms(), message, task=TASK, feed=LIQUIDATIONS)
            )

    def _set_up(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        now = self.clock.now_ms()
        if up:
            self.up_since_ms = now
        else:
            self.down_at_ms, self.up_since_ms = now, None
        self._changed.set()

    def _report(self, event: SourceOk | SourceError) -> None:
        if self._emit is not None:
            self._emit(event)

    async def _beat(self, emit: Emit) -> None:
        """While up: say the feed is alive every HEARTBEAT_S (a quiet market sends nothing), and, for a
        complete stream, claim the time since the last claim as covered every COVER_EVERY_S."""
        alive_at = claimed = 0
        while True:
            now = self.clock.now_ms()
            if self.up and now - alive_at >= HEARTBEAT_S * 1000:
                emit(SourceOk(self.venue_id, now, TASK, data=False, feed=LIQUIDATIONS))
                alive_at = now
            since = self.up_since_ms
            if self.complete and self.up and since is not None and now - claimed >= COVER_EVERY_S * 1000:
                emit(Covered(self.venue_id, max(since, claimed), now))
                claimed = now
            await asyncio.sleep(self.clock.real_seconds(min(1.0, HEARTBEAT_S)))
