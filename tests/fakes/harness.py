"""pytest glue for the fakes (the project has no pytest-asyncio): run async tests, refuse host name lookups.

from tests.fakes.harness import loopback_only, with_fakes, connected   # loopback_only is an autouse fixture

@with_fakes("bybit")
async def test_something(fakes):
    exchange = await connected(fakes, "bybit")   # markets loaded, request log cleared
    try:
        ...
    finally:
        await exchange.close()
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from tests.fakes.cluster import FakeVenues, fake_venues, refuse_lookups, run

AsyncBody = Callable[..., Coroutine[Any, Any, None]]


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Any host name lookup is a test bug (see ``cluster.refuse_lookups``)."""
    with refuse_lookups():
        yield


def with_fakes(*names: str, timeout: float = 4.0) -> Callable[[AsyncBody], Callable[[], None]]:
    """Turn ``async def body(fakes)`` into a plain function that runs it with the named fakes started."""

    def wrap(body: AsyncBody) -> Callable[[], None]:
        async def main() -> None:
            async with fake_venues(*names) as fakes:
                await body(fakes)

        def test() -> None:
            run(main, timeout=timeout)

        test.__name__ = body.__name__
        test.__doc__ = body.__doc__
        return test

    return wrap


async def connected(fakes: FakeVenues, venue: str, **kwargs: Any) -> Any:
    """`fakes.exchange(venue, **kwargs)` with its markets loaded and the fake's request log cleared."""
    exchange = fakes.exchange(venue, **kwargs)
    await exchange.load_markets()
    fakes[venue].reset_log()
    return exchange


def is_text_ping(message: Any) -> bool:
    """A client keepalive as bybit (``{"req_id": .., "op": "ping"}``) or okx (the text ``ping``) sends it."""
    return message == "ping" or (isinstance(message, dict) and message.get("op") == "ping")
