"""Start several fake venues at once and point ccxt instances at them.

    async with fake_venues("binanceusdm", "gate", "fng") as fakes:
        ex = fakes.exchange("binanceusdm")          # ccxt.pro instance, URLs rewritten, timeout 1000 ms
        await fakes.binanceusdm.push_liquidations(binanceusdm.force_order("SELL"))
        fakes["gate"].set_fault("ohlcv", Fault.rate_limited(retry_after=3))
        ...
        await ex.close()

Synchronous pytest tests run coroutines with `run` (no pytest-asyncio in this project).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from cockpit.sources.venues.urls import make_exchange
from cockpit.venues import STREAMING_VENUES as STREAMED_LIQUIDATIONS
from cockpit.venues import VENUE_IDS as VENUES
from tests.fakes.base import LOOPBACK, FakeVenue
from tests.fakes.binanceusdm import FakeBinanceUsdm
from tests.fakes.bybit import FakeBybit
from tests.fakes.fng import FakeFng
from tests.fakes.gate import FakeGate
from tests.fakes.htx import FakeHtx
from tests.fakes.okx import FakeOkx

FAKES: dict[str, Callable[[], FakeVenue]] = {
    "binanceusdm": FakeBinanceUsdm,
    "bybit": FakeBybit,
    "okx": FakeOkx,
    "gate": FakeGate,
    "htx": FakeHtx,
    "fng": FakeFng,
}
STREAMING_VENUES = tuple(v for v in VENUES if v in STREAMED_LIQUIDATIONS)  # binanceusdm, bybit, okx
POLLED_VENUES = tuple(v for v in VENUES if v not in STREAMED_LIQUIDATIONS)  # gate, htx
SYMBOL = "BTC/USDT:USDT"

_URL = re.compile(r"^[a-z]+://")


class FakeVenues:
    """The running fakes by name (attribute or item access) plus a ccxt factory pointed at them."""

    def __init__(self, venues: dict[str, FakeVenue]) -> None:
        self.venues = venues

    def __getitem__(self, name: str) -> Any:
        return self.venues[name]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["venues"][name]
        except KeyError:
            raise AttributeError(name) from None

    def rest_url(self, name: str) -> str:
        return self.venues[name].rest_url

    def ws_url(self, name: str) -> str:
        return self.venues[name].ws_url

    def exchange(self, venue_id: str, *, streaming: bool | None = None, timeout_ms: int = 1000) -> Any:
        """A ccxt instance for `venue_id` pointed at its fake (ccxt.pro for the streaming venues)."""
        fake = self.venues[venue_id]
        if streaming is None:
            streaming = venue_id in STREAMED_LIQUIDATIONS
        exchange = make_exchange(venue_id, fake.rest_url, fake.ws_url, streaming=streaming)
        exchange.timeout = timeout_ms
        exchange.timeout_on_exit = 0  # close() sleeps this long to drain TLS; plain loopback HTTP has none
        assert not foreign_urls(exchange), foreign_urls(exchange)
        return exchange


def foreign_urls(exchange: Any) -> list[str]:
    """Every URL in ``exchange.urls["api"]`` that does not point at the loopback fake."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and _URL.match(node) and f"://{LOOPBACK}:" not in node:
            found.append(node)

    walk(exchange.urls["api"])
    return found


@contextmanager
def refuse_lookups(refused: list[str] | None = None) -> Iterator[None]:
    """While inside, any host name lookup but the 127.0.0.1 literal raises AssertionError (and is noted in
    `refused`): the fakes are addressed by that literal (aiohttp skips the resolver for IP literals), so a
    lookup can only mean a URL that was not rewritten, about to reach the network."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (LOOPBACK, LOOPBACK.encode()):
            if refused is not None:
                refused.append(str(host))
            raise AssertionError(f"tests must not resolve {host!r}")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield
    finally:
        socket.getaddrinfo = real


@asynccontextmanager
async def fake_venues(*names: str) -> AsyncIterator[FakeVenues]:
    """Start the named fakes (all five venues and fng when none are named) on 127.0.0.1; stop them on exit."""
    chosen = names or tuple(FAKES)
    venues = {name: FAKES[name]() for name in chosen}
    await asyncio.gather(*(v.start() for v in venues.values()))
    try:
        yield FakeVenues(venues)
    finally:
        await asyncio.gather(*(v.stop() for v in venues.values()))


async def until_pending(exchange: Any, message_hash: str, timeout: float = 1.0) -> None:
    """Wait until a ccxt.pro watch has registered its future for `message_hash` (a push cannot race it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(message_hash in client.futures for client in (exchange.clients or {}).values()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no pending watch for {message_hash!r}")
        await asyncio.sleep(0.005)


async def watch_liquidations_after(
    exchange: Any, push: Callable[[], Coroutine[Any, Any, None]], symbol: str = SYMBOL, timeout: float = 1.0
) -> Any:
    """Start ``watch_liquidations(symbol)``, wait until it is pending, run `push`, return the watch result."""
    task = asyncio.create_task(exchange.watch_liquidations(symbol))
    try:
        await until_pending(exchange, f"liquidations::{symbol}")
        await push()
        return await asyncio.wait_for(task, timeout)
    finally:
        if not task.done():
            task.cancel()


def run(coro_fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, timeout: float = 5.0) -> Any:
    """Run a coroutine function to completion in a fresh event loop, with an overall safety timeout."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(*args), timeout)

    return asyncio.run(bounded())
