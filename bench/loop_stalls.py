"""Event-loop stalls: how late a 2 ms sleep wakes up, sampled back to back while something runs."""

from __future__ import annotations

import asyncio

import numpy as np

SLEEP_S = 0.002


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class StallMonitor:
    """``start()`` inside the loop under test, ``await stop()`` for the stalls in milliseconds."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            t = loop.time()
            await asyncio.sleep(SLEEP_S)
            self.stalls.append(max(0.0, (loop.time() - t - SLEEP_S) * 1e3))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        self._stop.set()
        if self._task is not None:
            await self._task
        return self.stalls
