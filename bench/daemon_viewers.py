"""Headless viewers of a running daemon, for bench/daemon_bench.py (run in a process of their own)."""

from __future__ import annotations

import asyncio
import json
import time

from cockpit.daemon.client import DaemonLink
from cockpit.daemon.process import socket_path
from cockpit.sources.demo.market import SYMBOL


class CountingLink(DaemonLink):
    """A viewer that counts the frames and bytes it receives."""

    frames = 0
    bytes = 0

    async def connect(self) -> dict[str, object]:
        info = await super().connect()
        assert self._reader is not None
        reader = self._reader
        original = reader.readexactly

        async def counted(n: int) -> bytes:
            data = await original(n)
            self.bytes += len(data)
            return data

        reader.readexactly = counted  # type: ignore[method-assign]
        return info


async def _watch(link: CountingLink, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    async for _ in link.snapshots():
        link.frames += 1
        if time.monotonic() >= deadline:
            return


async def main(n: int, seconds: float) -> None:
    """``n`` viewers for ``seconds``; prints their total frames and bytes as JSON."""
    links = [CountingLink(socket_path(), SYMBOL, "1h") for _ in range(n)]
    await asyncio.gather(*(_watch(link, seconds) for link in links))
    print(json.dumps({"frames": sum(x.frames for x in links), "bytes": sum(x.bytes for x in links)}))


async def attach_times(repeats: int) -> None:
    """Milliseconds from connecting to the first snapshot, ``repeats`` times; printed as a JSON list."""
    times = []
    for _ in range(repeats):
        link = DaemonLink(socket_path(), SYMBOL, "1h")
        t0 = time.perf_counter()
        async for _snap in link.snapshots():
            times.append((time.perf_counter() - t0) * 1000)
            break
        link.close()
        await asyncio.sleep(0.2)
    print(json.dumps(times))
