"""How fast this machine is, measured in the same run as the benchmarks it judges (issue 17 §2).

Absolute times do not travel between machines (an AMD EPYC ran every benchmark 1.2-2.9x slower than the
Intel Xeon bench/RESULTS.md was written on). A budget with no natural peer to compare against (a full
analytics pass < 5 ms, an ingest rate, a stall) is therefore scaled by a speed factor: two fixed workloads,
one numpy (sorting 10^6 seeded random float64) and one pure Python (10^6 small tuples into a dict), timed
here and divided by the same workloads' times on the reference machine. The factor is the geometric mean
of the two ratios (> 1: this machine is slower). A time budget B is met when measured <= B x factor; a
rate budget R when measured >= R / factor.

Run: ``PYTHONPATH=. python -m bench.calibration`` prints this machine's figures.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

N = 1_000_000
# The reference machine: the one bench/RESULTS.md is written on from issue 17 on (AMD EPYC, 2 cores; the
# figures before it came from an Intel Xeon). Medians of 13 runs of `python -m bench.calibration` over ten
# minutes on 2026-12-04, with other sessions using the machine: single runs gave 11.8-23.4 ms and
# 220-410 ms, so one run's factor is good to about +-20% on a shared machine.
REFERENCE_MACHINE = "AMD EPYC, 2 cores, Python 3.11.7, numpy 2.4.6"
REFERENCE_NUMPY_MS = 13.7
REFERENCE_PYTHON_MS = 281.0


@dataclass(frozen=True)
class Calibration:
    numpy_ms: float  # np.sort of 10^6 seeded random float64, median
    python_ms: float  # 10^6 small tuples into a dict, median

    @property
    def factor(self) -> float:
        """This machine's time over the reference machine's (geometric mean of the two workloads)."""
        return math.sqrt((self.numpy_ms / REFERENCE_NUMPY_MS) * (self.python_ms / REFERENCE_PYTHON_MS))

    def time_budget(self, budget: float) -> float:
        """A time (or CPU share) budget on this machine."""
        return budget * self.factor

    def rate_budget(self, budget: float) -> float:
        """A rate budget (events per second) on this machine."""
        return budget / self.factor

    def describe(self) -> str:
        return (
            f"numpy sort of 10^6 float64 {self.numpy_ms:.1f} ms (reference {REFERENCE_NUMPY_MS:.1f} ms), "
            f"pure-Python 10^6 tuples into a dict {self.python_ms:.1f} ms "
            f"(reference {REFERENCE_PYTHON_MS:.1f} ms): speed factor {self.factor:.2f} "
            f"(this machine's time / the reference machine's, {REFERENCE_MACHINE})"
        )

    def scaled(self, budget: float, unit: str, fmt: str = ".1f") -> str:
        """``budget x factor = scaled`` for a table cell."""
        return f"{budget:{fmt}} {unit} x {self.factor:.2f} = {self.time_budget(budget):{fmt}} {unit}"

    def scaled_rate(self, budget: float, unit: str) -> str:
        return f"{budget:,.0f} {unit} / {self.factor:.2f} = {self.rate_budget(budget):,.0f} {unit}"


_VALUES = np.random.default_rng(17).random(N)


def _numpy_workload() -> None:
    np.sort(_VALUES)  # a sorted copy: the input stays shuffled


def _python_workload() -> None:
    d: dict[int, tuple[int, int]] = {}
    for i in range(N):
        d[i] = (i, i + 1)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time in ms over ``repeat`` runs after one warm-up run."""
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples)


def measure(repeat: int = 9) -> Calibration:
    """Both workloads, median of ``repeat`` runs each after a warm-up, with the garbage collector off (its
    passes would scale with whatever the benchmark process holds, not with the machine)."""
    gc.collect()
    gc.disable()
    try:
        return Calibration(median_ms(_numpy_workload, repeat), median_ms(_python_workload, repeat))
    finally:
        gc.enable()


if __name__ == "__main__":
    cal = measure()
    print(f"numpy {cal.numpy_ms:.2f} ms, python {cal.python_ms:.2f} ms")
