"""Storage behind the rolling liquidation windows: time-sorted growable columns of the raw events with a
maximum per block of rows, and compensated prefix sums of per-slot (10 s) totals per (venue, side) group.
Internal to ``windows``.

Memory is what limits a day of cascades (issue 9): the raw events cost 24 bytes each and nothing else
grows with the event count. The per-group sums are kept per 10 s slot (at most 8,640 rows a group for a
day, however many events), and the largest-event queries use one maximum per 1,024 rows instead of a
segment tree (which cost 16 bytes an event plus power-of-two padding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from cockpit.analytics.allocator import release

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MIN_CAP = 256
_I32 = np.iinfo(np.int32)
SLOT_MS = 10_000  # per-group sums are per slot; a window's two partial slots are summed from raw events
_BLOCK = 1024  # rows per block maximum: a top-k query scans about k blocks of this many rows
_RELEASE_ROWS = 16_384  # dead rows that make a release worth a system call (>= 16 KB in each column)


def _capacity(live: int, incoming: int, cap: int) -> int:
    """Capacity for a compaction: at least a third of it free afterwards, so the next compaction is at
    least need/2 appends away (amortised two row copies per event, a memcpy), and 1.5x what is needed
    when it is resized; a buffer under a quarter full is shrunk. The spare room costs address space, not
    memory: its pages become resident only as rows reach them, and dead rows' pages are released (cut)."""
    need = live + incoming
    if need > cap - cap // 3 or need < cap // 4:
        return max(_MIN_CAP, need + need // 2)
    return cap


class Rows:
    """Growable columns sorted by ``ts``; rows [lo, n) are live, rows before lo await compaction.

    With an int32 ``ts`` column, times are stored as milliseconds after ``base`` (+-24.8 days), which
    the buffer moves at each compaction and whenever new rows would not fit; the methods here take and
    give absolute times, ``keys`` turns absolute times into stored ones for a search."""

    def __init__(self, dtypes: Sequence[tuple[str, npt.DTypeLike]]) -> None:
        self.col: dict[str, npt.NDArray[Any]] = {k: np.zeros(_MIN_CAP, dt) for k, dt in dtypes}
        self.lo = 0
        self.n = 0
        self.base = 0  # absolute time of stored ts 0 (moves only for an int32 ts column)
        self._offsets = self.col["ts"].dtype == np.int32
        self._released = 0  # rows [0, _released) have had their pages handed back

    def keys(self, t: npt.ArrayLike) -> npt.NDArray[Any]:
        """Absolute times as stored ones (clipped to the column's range: a search stays right)."""
        times: IntArray = np.asarray(t, np.int64)
        if not self._offsets:
            return times
        stored: npt.NDArray[np.int32] = np.clip(times - self.base, _I32.min, _I32.max).astype(np.int32)
        return stored

    def times(self, a: int, b: int) -> IntArray:
        """Absolute times of rows [a, b)."""
        return self.col["ts"][a:b].astype(np.int64) + self.base

    def span(self, t0: int, t1: int) -> tuple[int, int]:
        """Positions [a, b) of the live rows with t0 < ts <= t1: two binary searches."""
        a, b = np.searchsorted(self.col["ts"][self.lo : self.n], self.keys((t0, t1)), "right")
        return self.lo + int(a), self.lo + int(b)

    def cut(self, cutoff: int) -> None:
        """Drop rows with ts <= cutoff in O(log n); their whole pages go back to the kernel as they
        accumulate (nothing reads a row before ``lo``), the buffer itself at the next compaction."""
        self.lo = self.span(cutoff, cutoff)[0]
        if self.lo - self._released >= _RELEASE_ROWS:
            for arr in self.col.values():
                release(arr, self._released * arr.itemsize, self.lo * arr.itemsize)
            self._released = self.lo

    def insert(self, rows: dict[str, npt.NDArray[Any]]) -> int:
        """Add rows (absolute ``ts``) sorted by ``order``; rows older than the newest stored one are
        merged into place. Returns the first position that changed (the old end when all were appended)."""
        m = len(rows["ts"])
        if self.n + m > len(self.col["ts"]):
            self.compact(m)
        if self._offsets:  # after any compaction: it moves the base
            first, last = int(rows["ts"][0]), int(rows["ts"][-1])
            if self.n == self.lo:
                self.base = first
            elif first - self.base < _I32.min or last - self.base > _I32.max:
                self.compact(m, new_base=min(first, self.base + int(self.col["ts"][self.lo])))
            rows = {**rows, "ts": (rows["ts"] - self.base).astype(np.int32)}
        c, lo, n = self.col, self.lo, self.n
        if n > lo and rows["ts"][0] <= c["ts"][n - 1]:
            # Late (or same-millisecond) rows: only the tail from the first affected timestamp changes.
            a = lo + int(np.searchsorted(c["ts"][lo:n], rows["ts"][0], "left"))
            merged = {k: np.concatenate((c[k][a:n], rows[k])) for k in c}
            order = self.order(merged)
            for k in c:
                c[k][a : n + m] = merged[k][order]
        else:
            a = n
            for k in c:
                c[k][n : n + m] = rows[k]
        self.n = n + m
        self.refresh(a, rebuilt=False)
        return a

    def compact(self, incoming: int, new_base: int | None = None) -> None:
        """Move the live rows to the front of right-sized buffers, making room for ``incoming`` more;
        stored times are rebased on the oldest live row (or ``new_base``)."""
        live = self.n - self.lo
        cap = _capacity(live, incoming, len(self.col["ts"]))
        shift = 0
        if self._offsets:
            if new_base is None:
                new_base = self.base + int(self.col["ts"][self.lo]) if live else self.base
            shift, self.base = self.base - new_base, new_base
        for k, old in self.col.items():
            self.col[k] = np.zeros(cap, old.dtype)
            if k == "ts" and shift:
                self.col[k][:live] = (old[self.lo : self.n].astype(np.int64) + shift).astype(old.dtype)
            else:
                self.col[k][:live] = old[self.lo : self.n]
        self.lo, self.n, self._released = 0, live, 0
        self.refresh(0, rebuilt=True)

    def order(self, rows: dict[str, npt.NDArray[Any]]) -> IntArray:
        """Storage order of rows: by time (stable)."""
        return np.argsort(rows["ts"], kind="stable").astype(np.int64)

    def refresh(self, a: int, rebuilt: bool) -> None:
        """Hook: rows from position a changed; ``rebuilt`` means the buffers were reallocated."""


class SlotSums(Rows):
    """Notional per ``SLOT_MS`` slot of one (venue, side) group (``ts`` holds the slot number), with
    compensated prefix sums; the windows add the raw events of the partial slots at their edges.

    ``p`` is the running float sum and ``c`` the running sum of each addition's exact rounding error
    (TwoSum), so ``p[b] - p[a] + (c[b] - c[a])`` stays accurate when a small window sits on a huge prefix,
    where a plain prefix difference would lose most digits to cancellation. What remains is an absolute
    error of about eps^2 * n * (retained sum), i.e. ~1e-22 USD for 10^4 slots summing to $10^11.
    """

    def __init__(self) -> None:
        super().__init__((("ts", np.int64), ("val", np.float64)))
        self.p: FloatArray = np.zeros(_MIN_CAP + 1)
        self.c: FloatArray = np.zeros(_MIN_CAP + 1)

    def window(self, s0: int, s1: int) -> tuple[float, int]:
        """(sum, slots holding events) over the slots s0 < slot <= s1 (only such slots have a row)."""
        a, b = self.span(s0, s1)
        return float(self.p[b] - self.p[a] + (self.c[b] - self.c[a])), b - a

    def value(self, slot: int) -> float:
        """The stored sum of one slot (0.0 when it has none)."""
        i = self.lo + int(np.searchsorted(self.col["ts"][self.lo : self.n], slot, "left"))
        return float(self.col["val"][i]) if i < self.n and self.col["ts"][i] == slot else 0.0

    def cut_ms(self, cutoff_ms: int) -> None:
        """Drop the slots that end at or before ``cutoff_ms`` (a slot cut in two stays: the windows never
        read a partial slot from here)."""
        self.cut((cutoff_ms - SLOT_MS + 1) // SLOT_MS)

    def put(self, slots: IntArray, sums: FloatArray) -> None:
        """Set the sums of ``slots`` (ascending, distinct), replacing stored ones: callers pass a slot's
        whole sum, recomputed from its raw events, so it does not depend on how the events were batched."""
        lo, n = self.lo, self.n
        ts = self.col["ts"]
        if n == lo or slots[0] > ts[n - 1]:
            self.insert({"ts": slots, "val": sums})
            return
        a = int(np.searchsorted(ts[lo:n], slots[0], "left"))  # relative: a compaction moves the rows
        old_ts, old_val = ts[lo + a : n], self.col["val"][lo + a : n]
        keep = ~np.isin(old_ts, slots)
        merged_ts = np.concatenate((old_ts[keep], slots))
        merged_val = np.concatenate((old_val[keep], sums))
        order = np.argsort(merged_ts, kind="stable")
        grow = len(merged_ts) - (n - lo - a)
        if n + grow > len(ts):
            self.compact(grow)
        start = self.lo + a
        self.col["ts"][start : start + len(order)] = merged_ts[order]
        self.col["val"][start : start + len(order)] = merged_val[order]
        self.n = start + len(order)
        self.refresh(start, rebuilt=False)

    def refresh(self, a: int, rebuilt: bool) -> None:
        if rebuilt:  # rebasing at 0 also keeps the prefix magnitudes bounded by the retained window
            self.p, self.c = np.zeros(len(self.col["ts"]) + 1), np.zeros(len(self.col["ts"]) + 1)
        x = self.col["val"][a : self.n]
        # cumsum is a sequential accumulate, so s[i + 1] == fl(s[i] + x[i]) and TwoSum recovers the exact
        # error of every addition.
        s = np.cumsum(np.concatenate((self.p[a : a + 1], x)))
        prev, cur = s[:-1], s[1:]
        bb = cur - prev
        err = (prev - (cur - bb)) + (x - bb)
        self.p[a + 1 : self.n + 1] = cur
        self.c[a + 1 : self.n + 1] = self.c[a] + np.cumsum(err)


class Interner:
    """Dense ids for names; ``rank`` orders ids by name so tie-breaks do not depend on arrival order."""

    def __init__(self, what: str, limit: int) -> None:
        self.what, self.limit = what, limit
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.rank: IntArray = np.zeros(0, np.int64)

    def ids(self, value: str | npt.ArrayLike, m: int) -> IntArray:
        """Ids of one name (repeated m times) or of m names, interning new names."""
        if isinstance(value, str):
            distinct, inverse = [value], np.zeros(m, np.int64)
        else:
            arr = np.asarray(value)
            if arr.shape != (m,) or arr.dtype.kind not in "UO":
                raise ValueError(f"{self.what}: expected a str or {m} strings")
            uniq, inv = np.unique(arr, return_inverse=True)  # one dict lookup per distinct name, not per row
            distinct, inverse = uniq.tolist(), inv.astype(np.int64)
        if not all(isinstance(name, str) and name for name in distinct):
            raise ValueError(f"{self.what}: names must be non-empty strings")
        new = [name for name in distinct if name not in self.index]
        if len(self.names) + len(new) > self.limit:
            raise ValueError(f"{self.what}: more than {self.limit} distinct names")
        if new:
            for name in new:
                self.index[name] = len(self.names)
                self.names.append(name)
            self.rank = np.empty(len(self.names), np.int64)
            self.rank[sorted(range(len(self.names)), key=self.names.__getitem__)] = np.arange(len(self.names))
        return np.array([self.index[name] for name in distinct], np.int64)[inverse]


def parse_side(side: object, m: int) -> BoolArray:
    """is_long for each row from 'long'/'short' (one or m of them) or a bool array."""
    if isinstance(side, str):
        if side not in ("long", "short"):
            raise ValueError(f"side must be 'long' or 'short', got {side!r}")
        return np.full(m, side == "long")
    arr = np.asarray(side)
    if arr.shape != (m,):
        raise ValueError(f"side: expected {m} values, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    is_long = np.asarray(arr == "long", dtype=np.bool_) if arr.dtype.kind in "UO" else None
    if is_long is None or not np.all(is_long | (arr == "short")):
        raise ValueError("side: values must be 'long'/'short' strings or bool is_long")
    return is_long


class EventRows(Rows):
    """All retained events, with the maximum notional of every block of ``_BLOCK`` rows for top-k
    queries (``bmax[j]`` covers rows [j * _BLOCK, (j + 1) * _BLOCK) of the buffer)."""

    def __init__(self, venues: Interner, symbols: Interner, wide: bool = False) -> None:
        # ts as int32 milliseconds after ``base``, 4 bytes an event less (see Rows), unless ``wide``.
        ts = np.int64 if wide else np.int32
        cols = (("ts", ts), ("side", np.int8), ("venue", np.int8), ("symbol", np.int16))
        super().__init__((*cols, ("notional", np.float64), ("price", np.float64)))
        self.venues, self.symbols = venues, symbols
        self.bmax: FloatArray = np.full(-(-_MIN_CAP // _BLOCK), -np.inf)

    def order(self, rows: dict[str, npt.NDArray[Any]]) -> IntArray:
        """By ts, then within equal ts by (notional, side, venue name, symbol name, price): storage order,
        and with it every answer, is then the same whatever order the events arrived in."""
        order = super().order(rows)
        s = rows["ts"][order]
        dup = s[1:] == s[:-1]
        if dup.any():
            # Only rows sharing a timestamp need the full key; the lexsort keeps ts primary, so those
            # rows land back on the same positions, merely reordered.
            pos = np.flatnonzero(np.concatenate(([False], dup)) | np.concatenate((dup, [False])))
            sub = order[pos]
            ranks = self.symbols.rank[rows["symbol"]], self.venues.rank[rows["venue"]]
            keys = [k[sub] for k in (rows["price"], *ranks, rows["side"], rows["notional"], rows["ts"])]
            order[pos] = sub[np.lexsort(keys)]
        return order

    def refresh(self, a: int, rebuilt: bool) -> None:
        """Recompute the maxima of the blocks holding rows [a, n)."""
        if rebuilt:
            self.bmax = np.full(-(-len(self.col["ts"]) // _BLOCK), -np.inf)
        if a >= self.n:
            return
        first, last = a // _BLOCK, (self.n - 1) // _BLOCK
        vals = self.col["notional"][first * _BLOCK : self.n]
        pad = (last + 1 - first) * _BLOCK - len(vals)
        if pad:  # the open last block: rows past n are not events
            vals = np.concatenate((vals, np.full(pad, -np.inf)))
        self.bmax[first : last + 1] = vals.reshape(-1, _BLOCK).max(axis=1)

    def top(self, a: int, b: int, k: int) -> list[int]:
        """Positions of the k largest notionals in [a, b), descending, ties newest (highest position)
        first. The k-th largest maximum among the whole blocks inside [a, b) is a lower bound of the k-th
        largest notional (k blocks each hold a value at least that big), so only rows at or above it, in
        the blocks reaching it and in the two partial end blocks, can be in the answer."""
        val = self.col["notional"]
        full_lo, full_hi = -(-a // _BLOCK), b // _BLOCK  # whole blocks [full_lo, full_hi)
        if full_hi - full_lo <= k:
            cand = np.arange(a, b)
        else:
            maxima = self.bmax[full_lo:full_hi]
            bound = np.partition(maxima, len(maxima) - k)[len(maxima) - k]
            blocks = full_lo + np.flatnonzero(maxima >= bound)
            inner = (blocks[:, None] * _BLOCK + np.arange(_BLOCK)).ravel()
            rows = np.concatenate((np.arange(a, full_lo * _BLOCK), inner, np.arange(full_hi * _BLOCK, b)))
            cand = rows[val[rows] >= bound]
        best = np.lexsort((-cand, -val[cand]))[:k]
        return [int(i) for i in cand[best]]
