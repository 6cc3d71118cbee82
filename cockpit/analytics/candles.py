"""OHLCV candles as parallel numpy arrays, the input of every analytic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candles:
    """Candles in ascending time order; index i of every array is the same bar."""

    ts_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        n = len(self.ts_ms)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"candles: column {name!r} has {len(getattr(self, name))} rows, expected {n}"
                )

    def __len__(self) -> int:
        return len(self.ts_ms)

    @classmethod
    def from_arrays(
        cls,
        ts_ms: npt.ArrayLike,
        open: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike | None = None,
    ) -> Candles:
        """Build from anything array-like, converting to int64 timestamps and float64 prices."""
        c = np.asarray(close, dtype=np.float64)
        vol = np.zeros_like(c) if volume is None else np.asarray(volume, dtype=np.float64)
        return cls(
            np.asarray(ts_ms, dtype=np.int64),
            np.asarray(open, dtype=np.float64),
            np.asarray(high, dtype=np.float64),
            np.asarray(low, dtype=np.float64),
            c,
            vol,
        )

    def frozen(self) -> Candles:
        """The same candles with read-only arrays, safe to share with another floor (snapshots)."""

        def ro(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
            a = a.copy() if a.flags.writeable else a
            a.flags.writeable = False
            return a

        return Candles(
            ro(self.ts_ms), ro(self.open), ro(self.high), ro(self.low), ro(self.close), ro(self.volume)
        )

    def head(self, n: int) -> Candles:
        """The first n bars: what was known when bar n-1 closed (used by causality checks)."""
        return Candles(
            self.ts_ms[:n], self.open[:n], self.high[:n], self.low[:n], self.close[:n], self.volume[:n]
        )
