"""The soak run's driver: publishes the run's liquidations through the fakes on the simulated clock and
injects the scripted faults, rotating across venues and fault kinds.

Faults that break the link are held for a while (reconnects refused, every batch truncated, polls failing),
as venues fail in practice, so the cockpit's error state lasts long enough to be seen on screen; duplicates
and out-of-order delivery are harmless by design (the data arrives; only the counting must be right).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cockpit.sources.clock import Clock
from tests.fakes import binanceusdm, fixtures
from tests.fakes.base import FakeVenue
from tests.fakes.cluster import FakeVenues
from tests.fakes.faults import Fault
from tests.fakes.soak import POLLED, STREAMED, VENUES, Events, Ledger, messages, row

FNG = "fng"  # the Fear & Greed fake; its source is named "alternative.me"


@dataclass(frozen=True)
class FaultKind:
    """One kind of misbehaviour: which venues it fits (``family``), how to start it on a fake, and whether
    it is harmless (no error expected) or kills the stream outright (nothing flows while it lasts)."""

    family: str  # "stream", "poll" or "fng"
    start: Callable[[FakeVenue], None]
    harmless: bool = False
    dead: bool = False


def _set(*pairs: tuple[str, Callable[[], Fault]]) -> Callable[[FakeVenue], None]:
    """Start: a fresh Fault per endpoint each time (a Fault counts its own hits)."""

    def start(fake: FakeVenue) -> None:
        for endpoint, make in pairs:
            fake.set_fault(endpoint, make())

    return start


L = "liquidations"
FAULT_KINDS: dict[str, FaultKind] = {
    # streams (binanceusdm, bybit, okx)
    "ws close, reconnects refused (503)": FaultKind(
        "stream", _set((L, lambda: Fault.ws_close(times=1)), ("ws", lambda: Fault.http(503)))
    ),
    "truncated frame, reconnects hang": FaultKind(
        "stream", _set((L, lambda: Fault.ws_truncated_frame(times=1)), ("ws", lambda: Fault.timeout()))
    ),
    "truncated JSON frames": FaultKind("stream", _set((L, lambda: Fault.ws_truncated_json(times=None)))),
    "no pong (dead stream)": FaultKind("stream", _set(("ws", lambda: Fault.no_pong())), dead=True),
    "duplicate messages": FaultKind("stream", _set((L, lambda: Fault.duplicate())), harmless=True),
    "out-of-order messages": FaultKind("stream", _set((L, lambda: Fault.out_of_order())), harmless=True),
    # polled venues (gate, htx)
    "timeout": FaultKind("poll", _set((L, lambda: Fault.timeout()))),
    "HTTP 503": FaultKind("poll", _set((L, lambda: Fault.http(503)))),
    "429 + Retry-After 20 s": FaultKind("poll", _set((L, lambda: Fault.rate_limited(retry_after=20)))),
    "HTML error page (200)": FaultKind("poll", _set((L, lambda: Fault.html()))),
    "malformed JSON (200)": FaultKind("poll", _set((L, lambda: Fault.malformed_json()))),
    "duplicate rows": FaultKind("poll", _set((L, lambda: Fault.duplicate())), harmless=True),
    "out-of-order rows": FaultKind("poll", _set((L, lambda: Fault.out_of_order())), harmless=True),
    # Fear & Greed
    "F&G HTTP 503": FaultKind("fng", _set((FNG, lambda: Fault.http(503)))),
    "F&G HTML page (200)": FaultKind("fng", _set((FNG, lambda: Fault.html()))),
    "F&G malformed JSON (200)": FaultKind("fng", _set((FNG, lambda: Fault.malformed_json()))),
}
ROTATION = ("binanceusdm", "gate", "bybit", "htx", "okx", FNG)


def family(venue: str) -> str:
    return "stream" if venue in STREAMED else "poll" if venue in POLLED else "fng"


def rotation(seconds: float, every_s: float, first_s: float) -> tuple[tuple[float, str, str], ...]:
    """(at, venue, kind): a fault every `every_s` simulated seconds, venues in turn, each venue stepping
    through its family's kinds from its own offset (so the venues of a family meet different kinds)."""
    out = []
    seen: dict[str, int] = {}
    at, i = first_s, 0
    while at < seconds:
        venue = ROTATION[i % len(ROTATION)]
        kinds = [name for name, k in FAULT_KINDS.items() if k.family == family(venue)]
        offset = [v for v in ROTATION if family(v) == family(venue)].index(venue) * 2
        n = seen.get(venue, 0)
        seen[venue] = n + 1
        out.append((at, venue, kinds[(n + offset) % len(kinds)]))
        at, i = at + every_s, i + 1
    return tuple(out)


@dataclass
class FaultRecord:
    """One injected fault and when (simulated ms) it started and was cleared."""

    venue: str
    kind: str
    start_ms: int
    end_ms: int | None = None

    @property
    def source(self) -> str:
        return "alternative.me" if self.venue == FNG else self.venue


class Driver:
    """Publishes the events on time, starts and clears the faults, pushes the streams' tickers."""

    def __init__(
        self,
        fakes: FakeVenues,
        clock: Clock,
        events: Events,
        ledger: Ledger,
        faults: tuple[tuple[float, str, str], ...],
        hold_s: dict[str, float],
        tick_s: float = 0.5,
    ) -> None:
        self.fakes, self.clock, self.events, self.ledger = fakes, clock, events, ledger
        self.plan, self.hold_s, self.tick_s = faults, hold_s, tick_s
        self.records: list[FaultRecord] = []
        self._active: list[FaultRecord] = []
        self._dead: set[str] = set()

    async def run(self, seconds: float) -> list[FaultRecord]:
        """Drive `seconds` of simulated time from now; every fault is cleared when it returns."""
        start_ms = self.clock.now_ms()
        self.start_ms = start_ms
        polled = np.flatnonzero(np.isin(self.events.venue, [VENUES.index(v) for v in POLLED]))
        rows = {int(k): row(self.events, int(k), start_ms) for k in polled}  # made up front: flat memory
        next_event, next_fault, next_ticker_ms = 0, 0, 0
        try:
            while (now := self.clock.now_ms() - start_ms) < seconds * 1000:
                for r in [r for r in self._active if self._due(r)]:  # before starting: clearing is per fake
                    await self._stop(r)
                while next_fault < len(self.plan) and self.plan[next_fault][0] * 1000 <= now:
                    self._start(*self.plan[next_fault][1:])
                    next_fault += 1
                upto = int(np.searchsorted(self.events.t_ms, now, side="right"))
                await self._publish(range(next_event, upto), rows, start_ms)
                next_event = upto
                if now >= next_ticker_ms:
                    await self.tickers(start_ms + now)
                    next_ticker_ms = now + 2_000
                await asyncio.sleep(self.clock.real_seconds(self.tick_s))
        finally:
            for r in list(self._active):
                await self._stop(r)
        return self.records

    def _due(self, r: FaultRecord) -> bool:
        return self.clock.now_ms() - r.start_ms >= self.hold_s[family(r.venue)] * 1000

    def _start(self, venue: str, kind: str) -> None:
        FAULT_KINDS[kind].start(self.fakes[venue])
        if FAULT_KINDS[kind].dead:
            self._dead.add(venue)
        record = FaultRecord(venue, kind, self.clock.now_ms())
        self.records.append(record)
        self._active.append(record)

    async def _stop(self, r: FaultRecord) -> None:
        fake = self.fakes[r.venue]
        fake.clear_faults()
        if FAULT_KINDS[r.kind].dead:
            # Whatever the client still holds open is a dead link: drop it, as a venue restart would,
            # before anything is published on it again.
            await fake.drop_connections()
            self._dead.discard(r.venue)
        r.end_ms = self.clock.now_ms()
        self._active.remove(r)

    async def tickers(self, ts_ms: int) -> None:
        """Streams carry tickers between liquidations (Binance's is the price the cockpit shows)."""
        ticker = {
            "binanceusdm": lambda: binanceusdm.mini_ticker(ts=ts_ms),
            "bybit": lambda: fixtures.bybit_ws_tickers()[0],
            "okx": lambda: fixtures.okx_ws_tickers()[0],
        }
        for venue in STREAMED:
            if venue not in self._dead:  # nothing flows on a dead stream
                await self.fakes[venue].push_tickers(ticker[venue]())

    async def _publish(self, ks: range, rows: dict[int, dict[str, Any]], start_ms: int) -> None:
        by_venue: dict[str, list[int]] = {}
        for k in ks:
            by_venue.setdefault(VENUES[self.events.venue[k]], []).append(k)
        for venue, mine in by_venue.items():
            if venue in POLLED:
                self.ledger.published_to_history(mine)
                await self.fakes[venue].push_liquidations(*(rows.pop(k) for k in mine))
            elif venue in self._dead:
                self.ledger.dead(mine)
            else:
                await self.fakes[venue].push_liquidations(*messages(self.events, mine, start_ms))
