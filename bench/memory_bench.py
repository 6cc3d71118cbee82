"""Memory of the whole program over a soak at accelerated speed (issue 9): the cockpit (headless Textual
app, 120x40, every pane live) on the simulated market at ``SPEED`` x, plus a flood of liquidations, for
two simulated days, so that over a million events enter the 24h window and then the window turns over.

Each run is a fresh process (``python -m bench.memory_bench --child``), so the numbers are the program's
own resident memory and not the leftovers of other benchmarks. The parent prints/returns the samples.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.chart_bench import CascadeSource
from bench.children import run_child
from cockpit.analytics.liquidations import LiquidationEvent

REPO = Path(__file__).resolve().parents[1]
SPEED = 2_000.0  # simulated seconds per real second
SIM_HOURS = 48  # two days: the first fills the 24h window, the second turns it over
RATE = 12.0  # flood liquidations per simulated second: ~1.04M in a day, on top of the simulator's own


def rss_mb() -> float:
    """Resident memory of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class FloodSource(CascadeSource):
    """``rate`` liquidations per simulated second (the cascade source's rate is per real second),
    stamped on the simulated clock across three venues."""

    name = "flood"

    async def run(self, emit: Any) -> None:
        rng = np.random.default_rng(5)
        start = last = self.clock.now_ms()
        venues = ("SimEx Flood A", "SimEx Flood B", "SimEx Flood C")
        while True:
            await asyncio.sleep(0.02)
            now = self.clock.now_ms()
            due = int((now - start) / 1000 * self.rate) - self.emitted
            if due <= 0:
                continue
            ts = np.sort(rng.integers(last + 1, now + 1, due))
            longs = rng.random(due) < 0.8
            notional = rng.lognormal(8, 1.5, due)
            price = self.price * (1 + rng.normal(0, 0.002, due))
            which = rng.integers(0, 3, due)
            for i in range(due):
                side = "long" if longs[i] else "short"
                venue = venues[which[i]]
                emit(LiquidationEvent(int(ts[i]), venue, "BTC/USDT:USDT", side, notional[i], price[i]))
            self.emitted += due
            last = now


async def _child(where: str, hours: float, speed: float, rate: float) -> dict[str, Any]:
    from cockpit.analytics.allocator import fix_mmap_threshold

    fix_mmap_threshold()  # as cockpit.cli.main does first thing
    from cockpit.config import Config, load_config
    from cockpit.engine.engine import Engine
    from cockpit.sources.clock import SimClock
    from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS, SYMBOL
    from cockpit.sources.demo.source import DemoSource
    from cockpit.ui.app import CockpitApp
    from cockpit.wiring import live_engine

    if where != "demo":  # "CONFIG@START_MS": the fake venues, served by the parent process
        path, start = where.rsplit("@", 1)
        config = load_config(path)
        start_ms = int(start)
        clock = SimClock(start_ms, speed)
        engine = live_engine(config, clock)
    else:
        config = Config()
        start_ms = OPENING_MS
        clock = SimClock(start_ms, speed)
        engine = Engine(config, [DemoSource(DEFAULT_SEED, clock)], clock, symbol=SYMBOL, kind="demo")
    flood = FloodSource(clock, rate, 75_000.0)
    engine.sources.append(flood)
    app = CockpitApp(config, engine)
    # (simulated hours, events emitted, events retained, RSS MB, MB in the windows' buffers)
    samples: list[tuple[float, int, int, float, float]] = []
    end_ms = start_ms + int(hours * 3_600_000)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)):
        while clock.now_ms() < end_ms:
            await asyncio.sleep(0.5)
            sim_h = (clock.now_ms() - start_ms) / 3_600_000
            windows = engine.state.windows
            samples.append((sim_h, flood.emitted, len(windows), rss_mb(), windows.nbytes / 1e6))
    real_s = time.perf_counter() - started
    return {"samples": samples, "real_s": real_s, "speed": speed, "rate": rate}


def run(
    mode: str = "demo", hours: float = SIM_HOURS, speed: float = SPEED, rate: float = RATE
) -> dict[str, Any]:
    """One soak in a fresh process (``mode`` "demo": the simulated market, "live": the fake venues, which
    this process serves so that their memory is not counted); returns its samples."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COCKPIT_DATA_DIR": "/tmp/cockpit-bench-data"}

    def child(arg: str) -> dict[str, Any]:
        args = [sys.executable, "-m", "bench.memory_bench", "--child", arg, str(hours), str(speed), str(rate)]
        res = run_child(f"memory soak child ({mode}, {hours:g} simulated hours)", args, env=env, cwd=REPO)
        out: dict[str, Any] = json.loads(res.stdout.splitlines()[-1])
        return {**out, "mode": mode}

    if mode == "demo":
        return child("demo")
    from bench.fakes_thread import FakeVenuesThread
    from tests.integration.test_live_venues import START_MS  # just after the fakes' recorded candles

    # Polls once a real second per venue, as a live run does (at this speed, every ~33 simulated min).
    # The child gets the clock's start as an argument: importing the test module there would count the
    # fakes' code (~3.5 MB) as the cockpit's.
    with FakeVenuesThread(Path("/tmp/cockpit-bench-memory.toml"), poll_s=SPEED) as config:
        return child(f"{config}@{START_MS}")


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """RSS when a million events were first emitted, and over the second day (window full, turning)."""
    samples = result["samples"]
    at_million = next((s for s in samples if s[1] >= 1_000_000), samples[-1])
    day2 = [s for s in samples if s[0] >= 24.0]
    mb = [s[3] for s in day2] or [samples[-1][3]]
    slope = float(np.polyfit([s[0] for s in day2], mb, 1)[0]) if len(day2) > 2 else float("nan")
    return {
        "start_mb": samples[0][3],
        "million_mb": at_million[3],
        "million_retained": at_million[2],
        "day2_min": min(mb),
        "day2_max": max(mb),
        "day2_slope_mb_per_h": slope,
        "emitted": samples[-1][1],
        "retained_end": samples[-1][2],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        h, sp, r = (float(x) for x in sys.argv[3:6])
        print(json.dumps(asyncio.run(_child(sys.argv[2], h, sp, r))))
    else:
        mode = sys.argv[1] if len(sys.argv) > 1 else "demo"
        result = run(mode, float(sys.argv[2]) if len(sys.argv) > 2 else SIM_HOURS)
        for s in result["samples"][:: max(1, len(result["samples"]) // 40)]:
            hours, emitted, retained, mb, windows_mb = s
            print(f"{hours:6.2f} h  emitted {emitted:>9,}  retained {retained:>9,}  {mb:6.1f} MB", end="")
            print(f"  windows {windows_mb:.1f} MB")
        print(summary(result), f"real {result['real_s']:.0f} s")
