"""Whole-program measurements (issue 9): start to first full frame on the simulated market and against
the fake venues, CPU and event-loop stalls at rest and during a 1,000 liquidations/s cascade, ingest
through the engine to the snapshot, and memory over a two-day soak at accelerated speed
(``bench.memory_bench``). Run: ``PYTHONPATH=. .venv-bench/bin/python -m bench.program_bench`` (writes its
section of bench/RESULTS.md); not part of the tests.

CPU is process CPU time over wall time (1.0 = one core) of the app running headless (Textual's test
driver: composing included, terminal writes not).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import calibration, memory_bench
from bench.calibration import Calibration
from bench.chart_bench import CascadeSource
from bench.children import run_child
from bench.loop_stalls import StallMonitor, pct
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.sources.clock import ManualClock, SimClock
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS, SYMBOL
from cockpit.sources.demo.source import DemoSource

REPO = Path(__file__).resolve().parents[1]
QUIET_START_S = 6 * 3600  # six simulated hours in: the cascades are over, the tape is slow


_FIRST_FRAME = """
import time, asyncio
t0 = time.time()
from cockpit.config import Config
from cockpit.wiring import demo_app
from cockpit.widgets.price_chart import PriceChart
async def main():
    app = demo_app(Config(), None, None)
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one(PriceChart)
        while app.snapshot is None or app.snapshot.price is None or chart.replots == 0:
            await asyncio.sleep(0.005)
        await pilot.pause()
        print(time.time() - START, time.time() - t0)
asyncio.run(main())
"""


_MINIMAL_FIRST_FRAME = """
import time, asyncio
t0 = time.time()
from bench.minimal_app import MinimalApp
async def main():
    app = MinimalApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print(time.time() - START, time.time() - t0)
asyncio.run(main())
"""


def _frame_times(step: str, code: str, runs: int) -> list[tuple[float, float]]:
    """(seconds from process start, seconds from the first import) to the first frame, ``runs`` times."""
    out = []
    env = {**os.environ, "PYTHONPATH": str(REPO), "COCKPIT_DATA_DIR": "/tmp/cockpit-bench-data"}
    for _ in range(runs):
        start = time.time()
        res = run_child(step, [sys.executable, "-c", f"START = {start!r}\n" + code], env=env, timeout=60)
        total, after_import = (float(x) for x in res.stdout.split()[-2:])
        out.append((total, after_import))
    return out


def first_frame(runs: int = 5) -> list[tuple[float, float]]:
    """(seconds from process start, seconds from the first import) to the first full frame: every pane
    filled from the opening snapshot and the chart drawn."""
    return _frame_times("first frame (simulated market)", _FIRST_FRAME, runs)


def minimal_first_frame(runs: int = 5) -> list[tuple[float, float]]:
    """The same for the minimal Textual app (bench/minimal_app.py), started the same way: the reference
    the cockpit's start-up is judged against."""
    return _frame_times("first frame (minimal Textual app)", _MINIMAL_FIRST_FRAME, runs)


_FIRST_LIVE_FRAME = """
import time, asyncio, sys
t0 = time.time()
from cockpit.sources.clock import SimClock
from cockpit.config import load_config
from cockpit.wiring import live_app
from cockpit.widgets.price_chart import PriceChart
async def main():
    app = live_app(load_config(sys.argv[1]), SimClock(int(sys.argv[2])))
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one(PriceChart)
        def full(s):
            return (s is not None and s.price is not None and len(s.candles.ts_ms) > 0
                    and s.sentiment is not None and all(x.state == "ok" for x in s.sources))
        while not full(app.snapshot) or chart.replots == 0:
            await asyncio.sleep(0.005)
            if time.time() - t0 > 30:
                s = app.snapshot
                what = s and (s.price, len(s.candles.ts_ms), s.sentiment, [x.state for x in s.sources])
                raise SystemExit(f"no full frame in 30 s: (price, candles, sentiment, states) = {what}")
        await pilot.pause()
        print(time.time() - START, time.time() - t0)
        await asyncio.sleep(5)
        with open("/proc/self/statm") as f:
            print(int(f.read().split()[1]) * 4096 / 1e6)
asyncio.run(main())
"""


def first_live_frame(runs: int = 5) -> list[tuple[float, float, float]]:
    """(seconds from process start, from the first import) to the first full frame of the live cockpit,
    and its resident MB 5 s later
    against the fake venues (tests/fakes: real HTTP/websocket servers on 127.0.0.1, each venue's wire
    format): price, candles, sentiment drawn and every venue past "starting". The live app runs on a
    clock set just after the fakes' recorded candles, as tests/integration/test_live_venues.py does."""
    from bench.fakes_thread import FakeVenuesThread
    from tests.integration.test_live_venues import START_MS  # just after the fakes' recorded candles

    out = []
    with FakeVenuesThread(Path("/tmp/cockpit-bench-live.toml")) as config:
        env = {**os.environ, "PYTHONPATH": str(REPO), "COCKPIT_DATA_DIR": "/tmp/cockpit-bench-data"}
        for _ in range(runs):
            start = time.time()
            code = f"START = {start!r}\n" + _FIRST_LIVE_FRAME
            res = run_child(
                "first frame (live, fake venues)",
                [sys.executable, "-c", code, str(config), str(START_MS)],
                env=env,
                timeout=60,
            )
            total, after_import, rss = (float(x) for x in res.stdout.split()[:3])
            out.append((total, after_import, rss))
    return out


def cpu_share(seconds: float, cascade_rate: int) -> dict[str, float]:
    """CPU time / wall time of the app on the simulated market (quiet hours), with an optional cascade,
    then the event-loop stalls over as long again."""
    from cockpit.ui.app import CockpitApp

    config = Config()
    clock = SimClock(OPENING_MS + QUIET_START_S * 1000, 1.0)
    sources: list[Any] = [DemoSource(DEFAULT_SEED, clock)]
    if cascade_rate:
        sources.append(CascadeSource(clock, cascade_rate, 75_000.0))
    engine = Engine(config, sources, clock, symbol=SYMBOL, kind="demo")
    app = CockpitApp(config, engine)
    out: dict[str, float] = {}

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(3.0)  # the opening history, the catch-up to the start time, first frames
            c0, w0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            out["cpu"] = (time.process_time() - c0) / (time.perf_counter() - w0)
            monitor = StallMonitor()  # afterwards: its 500 wake-ups a second would count as CPU
            monitor.start()
            await asyncio.sleep(seconds)
            stalls = await monitor.stop()
            out["stall_p99_ms"], out["stall_max_ms"] = pct(stalls, 99), max(stalls)

    asyncio.run(run())
    return out


def ingest(n: int = 1_000_000, batch: int = 1_000) -> dict[str, Any]:
    """Liquidations through the engine (queue, state, windows) into snapshots."""
    config = Config()
    clock = ManualClock(OPENING_MS)
    engine = Engine(config, [], clock, symbol=SYMBOL, kind="demo")
    rng = np.random.default_rng(3)
    notional = rng.lognormal(9, 1.5, n)
    price = 75_000.0 * (1 + rng.normal(0, 0.002, n))
    seen = 0
    started = time.perf_counter()
    for k in range(0, n, batch):
        clock.ms += 100  # 1,000 events per 100 ms: 10,000/s of market time, 24h retention reached at ~864M
        for i in range(k, min(n, k + batch)):
            engine.emit(
                LiquidationEvent(clock.ms, "Bench", SYMBOL, "long", float(notional[i]), float(price[i]))
            )
        seen += len(engine.snapshot().new_liquidations)
    elapsed = time.perf_counter() - started
    return {"events_per_s": n / elapsed, "delivered": seen}


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def _memory_cell(m: dict[str, Any]) -> str:
    return (
        f"{m['million_mb']:.0f} MB at 1,000,000 events ({m['million_retained']:,} in the windows); "
        f"second day {m['day2_min']:.0f}-{m['day2_max']:.0f} MB, slope {m['day2_slope_mb_per_h']:+.2f} MB/h"
    )


# Start-up is judged against the minimal Textual app started the same way in the same run. On the AMD
# EPYC reference machine (2026-12-04) the cockpit's first frame took 5.0x the minimal app's (1.95-2.69 s
# against 0.37-0.53 s); the old absolute budgets had 1.23x headroom over the Xeon's 0.81 s (1.0 s) and
# 2.15x over its live 0.93 s (2.0 s), which gives 6x; the live start-up could not be measured then (the
# child found no sentiment against the fakes), so its budget is the same headroom on the Xeon's
# live/demo proportion (0.93/0.81 x 5.0 x 2.15 = ~12x).
FRAME_RATIO = 6.0
LIVE_FRAME_RATIO = 12.0


def _runs(times: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


def _frame_rows(runs: int, frames: list[float], live: list[float], ref: list[float]) -> list[str]:
    """The two start-up rows, each as a ratio to the minimal app's median."""
    ref_med = float(np.median(ref))
    med, live_med = float(np.median(frames)), float(np.median(live))
    ratio, live_ratio = med / ref_med, live_med / ref_med
    return [
        f"| start to first full frame, simulated market (process start, median of {runs}) "
        f"| <= {FRAME_RATIO:g}x the minimal app | {med:.2f} s vs {ref_med:.2f} s = {ratio:.1f}x "
        f"(runs: {_runs(frames)}) | {_met(ratio <= FRAME_RATIO)} |",
        f"| start to first full frame, live against the fake venues (price, candles, sentiment drawn, all "
        f"6 sources ok; median of {runs}) | <= {LIVE_FRAME_RATIO:g}x the minimal app "
        f"| {live_med:.2f} s vs {ref_med:.2f} s = {live_ratio:.1f}x (runs: {_runs(live)}) "
        f"| {_met(live_ratio <= LIVE_FRAME_RATIO)} |",
    ]


def _cpu_rows(cal: Calibration, rest: dict[str, float], cascade: dict[str, float]) -> list[str]:
    """Headless CPU and stalls, budgets scaled by the machine's speed factor."""
    rest_b, casc_b, stall_b = cal.time_budget(3.0), cal.time_budget(30.0), cal.time_budget(16.0)
    return [
        f"| CPU at rest, headless (simulated market, quiet hours, 120x40) | {cal.scaled(3.0, '%')} of a core "
        f"| {rest['cpu'] * 100:.1f}% | {_met(rest['cpu'] * 100 <= rest_b)} |",
        f"| CPU during a 1,000 liquidations/s cascade, headless | {cal.scaled(30.0, '%')} "
        f"| {cascade['cpu'] * 100:.1f}% | {_met(cascade['cpu'] * 100 <= casc_b)} |",
        f"| p99 event-loop stall during that cascade, headless (how late a 2 ms sleep wakes) "
        f"| {cal.scaled(16.0, 'ms')} | {cascade['stall_p99_ms']:.1f} ms (max {cascade['stall_max_ms']:.1f}; "
        f"at rest p99 {rest['stall_p99_ms']:.1f}) | {_met(cascade['stall_p99_ms'] <= stall_b)} |",
    ]


def _memory_rows(hours: float, demo_mem: dict[str, Any], live_mem: dict[str, Any]) -> list[str]:
    return [
        f"| memory after 1,000,000 liquidation events, simulated market (soak at "
        f"{memory_bench.SPEED:,.0f}x: {hours:.0f} simulated hours, ~{memory_bench.RATE:.0f} events/s) "
        "| flat after warm-up, < 150 MB "
        f"| {_memory_cell(demo_mem)} | {_met(demo_mem['million_mb'] < 150)} |",
        f"| same soak, live against the fake venues (ccxt loaded, every venue connected and polled once a "
        f"real second) | flat after warm-up, < 150 MB | {_memory_cell(live_mem)} "
        f"| {_met(live_mem['million_mb'] < 150)} |",
    ]


def section(quick: bool = False) -> list[str]:
    runs = 3 if quick else 5
    cal = calibration.measure()
    ref = [t for t, _ in minimal_first_frame(runs)]
    frames = [t for t, _ in first_frame(runs)]
    live = first_live_frame(runs)
    rest = cpu_share(10 if quick else 20, 0)
    cascade = cpu_share(10 if quick else 20, 1_000)
    ing = ingest(200_000 if quick else 1_000_000)
    hours = 30.0 if quick else memory_bench.SIM_HOURS
    demo_mem = memory_bench.summary(memory_bench.run("demo", hours))
    live_mem = memory_bench.summary(memory_bench.run("live", hours))
    live_rss = float(np.median([r for _, _, r in live]))
    mem_ok = max(demo_mem["million_mb"], live_mem["million_mb"]) < 150
    ing_ok = ing["events_per_s"] >= cal.rate_budget(100_000)
    return [
        "## Whole program (issue 9)",
        "",
        f"Written by `./scripts/bench` (`python -m bench.program_bench`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The app runs headless (Textual's test "
        "driver at 120x40: every widget composed and rendered, no terminal writes; the bytes a terminal "
        "receives are in *Over SSH*, its CPU in a real terminal in *In a real terminal*). *Live* is the real "
        "live engine and ccxt against the fake venues (tests/fakes: HTTP/websocket servers on 127.0.0.1 "
        "speaking each venue's wire format), on a clock set just after their recorded candles. Start-up is "
        "a ratio to the minimal Textual app (bench/minimal_app.py) started the same way in the same run; "
        f"time budgets are scaled by this run's calibration: {cal.describe()}.",
        "",
        "| measure | budget | measured | met |",
        "|---|---|---|---|",
        *_frame_rows(runs, frames, [t for t, _, _ in live], ref),
        *_cpu_rows(cal, rest, cascade),
        *_memory_rows(hours, demo_mem, live_mem),
        f"| liquidation ingest through the engine to the snapshot | {cal.scaled_rate(100_000, '/s')} "
        f"| {ing['events_per_s']:,.0f}/s ({ing['delivered']:,} delivered once each) | {_met(ing_ok)} |",
        "",
        f"Resident memory of the live cockpit at rest, 5 s after start: {live_rss:.0f} MB "
        f"(the simulated market's: {demo_mem['start_mb']:.0f} MB at its first sample). "
        + (
            "Every memory row is under 150 MB at the million-event mark."
            if mem_ok
            else "A memory row is over 150 MB at the million-event mark."
        ),
        "",
        LIVE_MEMORY_MARGIN,
    ]


# One run is one reading: the live soak sits close to its budget, and other runs say so (issue 16).
LIVE_MEMORY_MARGIN = (
    "The live soak's margin under 150 MB is thin and varies from run to run on a shared machine: separate "
    "runs of `PYTHONPATH=. .venv-dev/bin/python -m bench.memory_bench live 48` measured 154.7 MB at "
    "1,000,000 events (issue 16) and 149.7 MB (2026-12-04, second day 147-155 MB, beside a pip install)."
)


if __name__ == "__main__":
    from bench.results import write_section

    text = "\n".join(section("--quick" in sys.argv)) + "\n"
    write_section(text)
    print(text)
