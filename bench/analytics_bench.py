"""Benchmark of the analytics core; writes bench/RESULTS.md. Run with ./scripts/bench (not part of the tests).

Candles are the real Coinbase BTC-USD hourly file, tiled with a drift to the wanted length, so gaps, swings
and zones occur at real-market rates (random walks make far more gaps than real candles do).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from bench.results import replace_section, sections
from cockpit.analytics import (
    Candles,
    analyze,
    build_scenarios,
    fib_ladder,
    find_fvgs,
    find_swings,
    find_zones,
    rsi,
)
from cockpit.storage.csv_ohlcv import load_ohlcv_csv

REPO = Path(__file__).resolve().parents[1]
BTC_1H = REPO / "tests" / "data" / "btc" / "coinbase_btcusd_1h_2017-07_2018-08.csv"


def tiled(n: int) -> Candles:
    """n candles: the real hourly file repeated, each copy shifted 1% so structure keeps evolving."""
    base = load_ohlcv_csv(BTC_1H) if BTC_1H.exists() else load_ohlcv_csv(_sample())
    reps = n // len(base) + 1
    scale = np.repeat(1 + 0.01 * np.arange(reps), len(base))[:n]

    def col(a: np.ndarray) -> np.ndarray:
        return np.tile(a, reps)[:n] * scale

    ts = np.arange(n, dtype=np.int64) * 3_600_000
    return Candles.from_arrays(
        ts, col(base.open), col(base.high), col(base.low), col(base.close), col(base.volume)
    )


def _sample() -> Path:
    from cockpit.storage.csv_ohlcv import sample_csv_path

    return sample_csv_path()


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time in ms over ``repeat`` runs after one warm-up run."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.system()} {platform.release()}"
    )


def bench_analytics(sizes: tuple[int, ...], repeat: int) -> list[tuple[str, int, float]]:
    rows = []
    for n in sizes:
        c = tiled(n)
        reps = max(3, repeat if n <= 100_000 else repeat // 3)
        swings = find_swings(c.high, c.low, 5)
        ladder = fib_ladder(swings)
        fvgs = find_fvgs(c.high, c.low)
        gaps = fvgs.records(0.0005, open_only=True)
        price = float(c.close[-1])
        zones = find_zones(swings, price)
        rows.append(("rsi (14)", n, timed(lambda c=c: rsi(c.close), reps)))
        rows.append(("swings (L=5)", n, timed(lambda c=c: find_swings(c.high, c.low, 5), reps)))
        rows.append(("fib ladder (from swings)", n, timed(lambda s=swings: fib_ladder(s), reps)))
        rows.append(("fvg (detect + touch/fill)", n, timed(lambda c=c: find_fvgs(c.high, c.low), reps)))
        rows.append(("zones (from swings)", n, timed(lambda s=swings, p=price: find_zones(s, p), reps)))
        rows.append(
            (
                "scenarios",
                n,
                timed(lambda c=c, lad=ladder, g=gaps, z=zones: build_scenarios(c, lad, g, z), reps),
            )
        )
        rows.append(("full pass (analyze)", n, timed(lambda c=c: analyze(c), reps)))
    return rows


def bench_talib(n: int, repeat: int) -> tuple[float, float] | None:
    try:
        import talib
    except ImportError:
        return None
    close = tiled(n).close
    ours = timed(lambda: rsi(close), repeat)
    ref = timed(lambda: talib.RSI(close, 14), repeat)
    return ours, ref


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 10^6 (for a smoke run)")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv)
    repeat = 5 if args.quick else 15
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    rows = bench_analytics(sizes, repeat)
    c5k = tiled(5_000)
    full_5k = timed(lambda: analyze(c5k), 50)
    talib_cmp = bench_talib(1_000_000, repeat)
    from bench.windows_bench import bench_ingest

    ingest = bench_ingest(1_000_000)
    fvg_1m = next((ms for name, n, ms in rows if name.startswith("fvg") and n == 1_000_000), None)

    lines = [
        "# Benchmark results",
        "",
        f"Written by `./scripts/bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}.",
        f"Machine: {machine()}.",
        "Candles: the real Coinbase BTC-USD hourly file tiled to length (1% drift per copy).",
        "Times are medians of repeated runs after a warm-up, in milliseconds.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| full analytics pass over 5,000 candles < 5 ms | {full_5k:.2f} ms | {_met(full_5k < 5)} |",
    ]
    if talib_cmp is not None:
        ours, ref = talib_cmp
        ratio = ours / ref
        lines.append(
            f"| RSI at 10^6 within 5x of TA-Lib | {ours:.1f} ms vs TA-Lib {ref:.1f} ms = {ratio:.1f}x "
            f"| {_met(ratio <= 5)} |"
        )
    else:
        lines.append("| RSI at 10^6 within 5x of TA-Lib | TA-Lib not installed | n/a |")
    if fvg_1m is not None:
        lines.append(f"| FVG at 10^6 < 200 ms | {fvg_1m:.1f} ms | {_met(fvg_1m < 200)} |")
    eps = ingest["events_per_s"]
    lines.append(f"| liquidation ingest >= 500,000 events/s | {eps:,.0f} events/s | {_met(eps >= 500_000)} |")
    lines += [
        "",
        "## Each analytic",
        "",
        "| analytic | " + " | ".join(f"{n:,} candles" for n in sizes) + " |",
    ]
    lines.append("|---|" + "---|" * len(sizes))
    names = list(dict.fromkeys(name for name, _, _ in rows))
    for name in names:
        cells = [f"{ms:.2f} ms" for nm, _, ms in rows if nm == name]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Rolling liquidation windows (10^6 events)", "", "| measure | value |", "|---|---|"]
    for key, value in ingest.items():
        lines.append(f"| {key} | {value:,.4g} |" if isinstance(value, float) else f"| {key} | {value:,} |")
    from bench.chart_bench import section as chart_section

    lines += ["", *chart_section(quick=args.quick)]
    text = "\n".join(lines) + "\n"
    old = Path(args.out).read_text() if Path(args.out).exists() else ""
    own = set(sections(text))
    for heading, section in sections(old).items():  # written by other commands: kept
        if heading not in own:
            text = replace_section(text, section)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
