"""ccxt's request throttle, without the busy wait.

ccxt's leaky bucket (``ccxt.async_support.base.throttler``) waits for tokens by sleeping its ``delay``
(1 ms) and checking again: while a request waits for its turn the event loop wakes up a thousand times a
second. Against the fake venues at rest that was 186 wake-ups a second, about a third of the live
cockpit's CPU samples (bench/RESULTS.md, "In a real terminal"). The bucket below keeps ccxt's rule
(a request goes when the tokens are >= 0, costs ``cost`` tokens, tokens refill at ``refillRate`` per ms
up to ``capacity``) and sleeps once for as long as the refill takes.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable
from typing import Any

# Never sleep less than this: a deficit of a thousandth of a token is not worth a wake-up of its own.
MIN_WAIT_S = 0.001


class RefillThrottle:
    """A drop-in for ccxt's ``Throttler`` (same ``config`` dict and call signature), leaky bucket only."""

    def __init__(
        self,
        config: dict[str, Any],
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.loop = loop
        self._clock, self._sleep = clock, sleep  # injectable: tests run the bucket on a clock of their own
        self.config: dict[str, Any] = {"refillRate": 1.0, "capacity": 1.0, "tokens": 0.0, "cost": 1.0}
        self.config.update(config)
        self.queue: collections.deque[tuple[asyncio.Future[None], float | None]] = collections.deque()
        self.running = False
        self._task: asyncio.Future[None] | None = None  # held: the loop keeps only weak references
        self._refilled_ms = self._clock() * 1000

    def __call__(self, cost: float | None = None) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append((future, cost))
        if not self.running:
            self.running = True
            self._task = asyncio.ensure_future(self._release())
        return future

    def _refill(self) -> float:
        """Tokens now (refilled for the time since the last look)."""
        now = self._clock() * 1000
        cfg = self.config
        cfg["tokens"] = min(cfg["tokens"] + (now - self._refilled_ms) * cfg["refillRate"], cfg["capacity"])
        self._refilled_ms = now
        return float(cfg["tokens"])

    async def _release(self) -> None:
        """Let queued requests go in order, each when the bucket allows it."""
        cfg = self.config
        try:
            while self.queue:
                tokens = self._refill()
                if tokens < 0:
                    await self._sleep(max(MIN_WAIT_S, -tokens / cfg["refillRate"] / 1000))
                    continue
                future, cost = self.queue.popleft()
                cfg["tokens"] = tokens - (cfg["cost"] if cost is None else cost)
                if not future.done():
                    future.set_result(None)
                await self._sleep(0)  # the released request runs before the next is looked at
        finally:
            self.running = False


def install(exchange: Any) -> None:
    """Replace ``exchange``'s REST throttle with ``RefillThrottle`` (leaky-bucket venues only; ccxt's
    rolling-window algorithm does not poll and is left alone)."""
    bucket = getattr(exchange, "tokenBucket", None)
    if not isinstance(bucket, dict) or bucket.get("algorithm", "leakyBucket") != "leakyBucket":
        return
    exchange.throttler = RefillThrottle(bucket, getattr(exchange, "asyncio_loop", None))
