"""Benchmark for cockpit.analytics.windows: batch ingest rate and query latency.

Run: ``PYTHONPATH=. python bench/windows_bench.py`` (or ``python -m bench.windows_bench``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from cockpit.analytics.windows import LiquidationWindows

VENUES = np.array(["binance", "bybit", "okx", "hyperliquid", "bitmex"])
SYMBOLS = np.array([f"SYM{i}USDT" for i in range(20)])


def _synthetic(n: int, span_ms: int, late_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """n events spread over span_ms ending at a fixed time, in arrival order.

    A ``late_fraction`` of them arrive up to 5 s late (out of order), as real feeds do.
    """
    rng = np.random.default_rng(seed)
    end = 1_700_000_000_000
    ts = np.sort(rng.integers(end - span_ms, end, n, dtype=np.int64))
    arrival = ts + np.where(rng.random(n) < late_fraction, rng.integers(0, 5_000, n), 0)
    order = np.argsort(arrival, kind="stable")
    return {
        "ts_ms": ts[order],
        "venue": VENUES[rng.integers(0, len(VENUES), n)],
        "symbol": SYMBOLS[rng.integers(0, len(SYMBOLS), n)],
        "side": np.where(rng.random(n) < 0.5, "long", "short"),
        "notional_usd": np.round(rng.lognormal(8.0, 2.0, n), 2),
        "price": rng.uniform(1.0, 100_000.0, n),
    }


def _ms_per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of one call, in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def bench_ingest(
    n: int = 1_000_000,
    batch: int = 10_000,
    span_ms: int = 86_400_000,
    late_fraction: float = 0.0,
    repeat: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """Time batch ingest of n synthetic events (string venue/symbol/side arrays, as a feed would give),
    then the median latency of each query on the 1h/4h/24h windows."""
    data = _synthetic(n, span_ms, late_fraction, seed)
    w = LiquidationWindows()
    t = time.perf_counter()
    for s in range(0, n, batch):
        w.ingest_arrays(**{k: v[s : s + batch] for k, v in data.items()})
    ingest_s = time.perf_counter() - t
    out: dict[str, float] = {
        "events": float(n),
        "batch": float(batch),
        "late_fraction": late_fraction,
        "ingest_s": ingest_s,
        "events_per_s": n / ingest_s,
        "retained": float(len(w)),
        "nbytes": float(w.nbytes),
    }
    for window_s in (3600, 14400, 86400):
        label = f"{window_s // 3600}h"
        out[f"totals_{label}_ms"] = _ms_per_call(lambda ws=window_s: w.totals(ws), repeat)
        out[f"largest10_{label}_ms"] = _ms_per_call(lambda ws=window_s: w.largest(ws, 10), repeat)
        out[f"events_per_minute_{label}_ms"] = _ms_per_call(
            lambda ws=window_s: w.events_per_minute(ws), repeat
        )
    return out


if __name__ == "__main__":
    for late in (0.0, 0.01):
        print(f"--- late_fraction={late}")
        for key, value in bench_ingest(late_fraction=late).items():
            print(
                f"{key:>28}: {value:,.0f}"
                if value >= 1000 or value == int(value)
                else f"{key:>28}: {value:.4f}"
            )
