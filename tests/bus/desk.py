"""A daemon in the test's own process, serving the simulated market on a real broker: the daemon's loop
(``DaemonServer.run``) with the bus as its outlet, as ``cockpit daemon`` runs them (no socket needed)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.bus.publisher import BusPublisher
from cockpit.bus.signing import new_secret_file
from cockpit.config import BusSettings, Config
from cockpit.daemon.server import DaemonServer
from cockpit.engine.engine import Engine
from cockpit.sources.clock import SimClock
from cockpit.sources.demo.market import OPENING_MS
from cockpit.wiring import demo_engine


@dataclass
class Desk:
    engine: Engine
    server: DaemonServer
    bus: BusPublisher

    def liquidation(
        self, event_id: str, symbol: str = "ETH/USDT:USDT", usd: float = 25_000.0
    ) -> LiquidationEvent:
        """A print of the test's, with an id of its own, emitted into the engine now."""
        now = self.engine.clock.now_ms()
        event = LiquidationEvent(now, "binanceusdm", symbol, "long", usd, 2_000.0, event_id=event_id)
        self.engine.emit(event)
        return event


def secret(tmp: Path, name: str = "secret") -> Path:
    path = tmp / name
    new_secret_file(path)
    return path


def settings(url: str, secret_file: Path | None = None, **extra: Any) -> BusSettings:
    return BusSettings(url=url, secret_file=str(secret_file) if secret_file else "", **extra)


@contextlib.asynccontextmanager
async def desk(bus: BusSettings, tmp: Path) -> AsyncIterator[Desk]:
    config = Config(bus=bus)
    engine = demo_engine(config, 7, SimClock(OPENING_MS, 1.0))
    server = DaemonServer(engine, tmp / "unused.sock", {"pid": 1, "started_ms": 1, "kind": "demo"})
    publisher = BusPublisher(server, bus)
    server.outlets.append(publisher)
    tasks = [asyncio.create_task(server.run()), asyncio.create_task(publisher.serve())]
    try:
        yield Desk(engine, server, publisher)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until(check: Any, timeout_s: float = 10.0, what: str = "") -> None:
    """Wait (polling the loop) until ``check()`` is true; AssertionError naming ``what`` after the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)
