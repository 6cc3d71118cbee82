"""A market-wide cascade in a real terminal (issue 18): the cockpit on the simulated market plus a source
that delivers 5,000 liquidations a second over 200 symbols for ``SECONDS``, in batches every 50 ms (as a
venue's websocket frames arrive). Run in a pty by bench/market_bench.py:
``python -m bench.flood_launch OUT.json``. The event loop's stalls are sampled inside the app's own loop
and written to OUT.json every second (the pty bench ends the process with a signal).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import numpy as np

from bench.loop_stalls import StallMonitor, pct
from bench.market_bench import SYMBOLS
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock

RATE = 5_000  # liquidations a second
SECONDS = 20.0
BATCH_S = 0.05


class FloodSource:
    """Heavy-tailed by symbol (the first symbols take most prints, as real flow does), both sides."""

    name = "flood"
    label = "Flood"
    cadence_s = 1.0
    simulated = True
    venues = ("Flood",)
    symbols = tuple(SYMBOLS)

    def __init__(self, clock: Clock, out: Path) -> None:
        self.clock, self.out = clock, out
        self.delivered = 0

    async def run(self, emit: Emit) -> None:
        monitor = StallMonitor()
        monitor.start()
        rng = np.random.default_rng(11)
        weights = 1 / np.arange(1, len(SYMBOLS) + 1)
        per_batch = int(RATE * BATCH_S)
        loop = asyncio.get_running_loop()
        started = loop.time()
        k = 0
        while loop.time() - started < SECONDS:
            now = self.clock.now_ms()
            which = rng.choice(len(SYMBOLS), per_batch, p=weights / weights.sum())
            sizes = rng.lognormal(9, 1.5, per_batch)
            for j in range(per_batch):
                side = "long" if j % 3 else "short"
                emit(LiquidationEvent(now, "Flood", SYMBOLS[which[j]], side, float(sizes[j]), 100.0, f"f{k}"))
                k += 1
            self.delivered = k
            if k % RATE < per_batch:
                self._write(monitor.stalls)
            await asyncio.sleep(max(0.0, started + (k / RATE) - loop.time()))
        self._write(monitor.stalls)
        await asyncio.Event().wait()

    def _write(self, stalls: list[float]) -> None:
        report = {"delivered": self.delivered, "p99_ms": pct(stalls, 99), "max_ms": max(stalls, default=0)}
        self.out.write_text(json.dumps(report))


def main(out: Path) -> None:
    from cockpit.ui.app import CockpitApp
    from cockpit.wiring import stored_demo_engine

    config = Config()
    engine = stored_demo_engine(config, None, 1.0)
    engine.sources.append(FloodSource(engine.clock, out))
    engine.reset_state()  # registers the flood source's health and feed
    CockpitApp(config, engine).run()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
