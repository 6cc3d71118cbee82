"""The REST throttle that replaces ccxt's busy-waiting leaky bucket: same pacing, one sleep per wait."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from cockpit.sources.venues.throttle import RefillThrottle
from cockpit.sources.venues.urls import make_exchange


class FakeTime:
    """A monotonic clock that only moves when the throttle sleeps (so the test measures no real time)."""

    def __init__(self) -> None:
        self.now_s = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now_s

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleeps.append(seconds)
            self.now_s += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def gate_on(bucket: dict[str, Any], clock: FakeTime) -> RefillThrottle:
    return RefillThrottle(bucket, clock=clock.monotonic, sleep=clock.sleep)


def test_requests_go_in_order_one_rate_limit_apart_with_one_sleep_each(fake_time: FakeTime) -> None:
    # ccxt's bucket for a 100 ms rate limit: one token per 100 ms, capacity 1, starting empty.
    bucket = {"refillRate": 1 / 100, "capacity": 1.0, "tokens": 0.0, "cost": 1.0, "delay": 0.001}

    async def run() -> list[tuple[int, float]]:
        gate = gate_on(bucket, fake_time)
        released: list[tuple[int, float]] = []

        async def request(k: int) -> None:
            await gate()
            released.append((k, fake_time.now_s))

        await asyncio.gather(*(request(k) for k in range(4)))
        return released

    released = asyncio.run(run())
    assert [k for k, _ in released] == [0, 1, 2, 3]
    times = [t - 1000.0 for _, t in released]
    assert times[0] == 0.0
    assert [round(b - a, 6) for a, b in itertools.pairwise(times)] == [0.1, 0.1, 0.1]
    # ccxt's own loop would have slept 1 ms about 300 times here; this one sleeps once per wait.
    assert len(fake_time.sleeps) == 3


def test_a_heavier_request_waits_longer_and_idle_time_refills(fake_time: FakeTime) -> None:
    bucket = {"refillRate": 1 / 100, "capacity": 1.0, "tokens": 0.0, "cost": 1.0}

    async def run() -> list[float]:
        gate = gate_on(bucket, fake_time)
        out = []
        await gate(5)  # tokens 0 -> -5: the next request waits 500 ms
        out.append(fake_time.now_s)
        await gate()
        out.append(fake_time.now_s)
        fake_time.now_s += 10.0  # ten idle seconds: the bucket refills up to its capacity, no more
        await gate()
        out.append(fake_time.now_s)
        return out

    first, second, third = asyncio.run(run())
    assert round(second - first, 6) == 0.5
    assert third == second + 10.0  # no wait after the idle time
    assert bucket["tokens"] == 0.0  # capacity 1, minus the request's cost


def test_make_exchange_installs_it_for_leaky_bucket_venues() -> None:
    for venue in ("binanceusdm", "bybit", "okx", "gate", "htx"):
        exchange = make_exchange(venue, streaming=False)
        assert isinstance(exchange.throttler, RefillThrottle), venue
        # ccxt's pacing for the venue carries over: one request per rateLimit ms.
        assert exchange.throttler.config["refillRate"] == pytest.approx(1 / exchange.rateLimit)
