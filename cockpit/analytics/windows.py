"""Rolling liquidation windows: totals by side and venue, largest events and events per minute.

Events live in growable numpy arrays sorted by time, so a window (now - W, now] is two ``searchsorted``
calls. Sums come from compensated prefix sums kept per (venue, side) group, the largest events from a max
segment tree over the time-ordered notionals. Events older than the longest window (relative to the newest
timestamp seen, or a later ``prune`` time) are dropped, so memory follows the longest window.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Side = Literal["long", "short"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MIN_CAP = 256  # buffer sizes stay powers of two: the segment tree layout relies on it


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    """One forced liquidation; ``side`` is the side of the position that was liquidated."""

    ts_ms: int
    venue: str
    symbol: str
    side: Side
    notional_usd: float
    price: float

    def __post_init__(self) -> None:
        if isinstance(self.ts_ms, bool) or not isinstance(self.ts_ms, int):
            raise TypeError(f"LiquidationEvent: ts_ms must be an int, got {self.ts_ms!r}")
        if not (isinstance(self.venue, str) and isinstance(self.symbol, str) and self.venue and self.symbol):
            raise ValueError(
                f"LiquidationEvent: need non-empty str venue/symbol, got {self.venue!r}, {self.symbol!r}"
            )
        if self.side not in ("long", "short"):
            raise ValueError(f"LiquidationEvent: side must be 'long' or 'short', got {self.side!r}")
        notional, price = float(self.notional_usd), float(self.price)
        if not (math.isfinite(notional) and notional >= 0 and math.isfinite(price) and price > 0):
            raise ValueError(
                f"LiquidationEvent: need finite notional >= 0 and price > 0, got {notional}, {price}"
            )
        # Store plain floats (+0.0 folds -0.0) so events rebuilt from the arrays compare equal to the input.
        object.__setattr__(self, "notional_usd", notional + 0.0)
        object.__setattr__(self, "price", price)


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Liquidated notional in one window; ``by_venue`` maps venue -> (long_usd, short_usd)."""

    window_s: int
    long_usd: float
    short_usd: float
    total_usd: float
    count: int
    long_share: float | None
    by_venue: dict[str, tuple[float, float]]


def _capacity(live: int, incoming: int, cap: int) -> int:
    """Capacity for a compaction: at least twice what is needed, so the next compaction is at least cap/2
    appends away (amortised O(1) per event), and at most 8x, so memory shrinks with the retained window."""
    need = live + incoming
    while need > cap // 2:
        cap *= 2
    while cap > _MIN_CAP and need < cap // 8:
        cap //= 2
    return cap


class _Rows:
    """Growable columns sorted by ``ts``; rows [lo, n) are live, rows before lo await compaction."""

    def __init__(self, dtypes: Sequence[tuple[str, npt.DTypeLike]]) -> None:
        self.col: dict[str, npt.NDArray[Any]] = {k: np.zeros(_MIN_CAP, dt) for k, dt in dtypes}
        self.lo = 0
        self.n = 0

    def span(self, t0: int, t1: int) -> tuple[int, int]:
        """Positions [a, b) of the live rows with t0 < ts <= t1: two binary searches."""
        a, b = np.searchsorted(self.col["ts"][self.lo : self.n], (t0, t1), "right")
        return self.lo + int(a), self.lo + int(b)

    def cut(self, cutoff: int) -> None:
        """Drop rows with ts <= cutoff in O(log n); the memory is reclaimed by the next compaction."""
        self.lo = self.span(cutoff, cutoff)[0]

    def insert(self, rows: dict[str, npt.NDArray[Any]]) -> None:
        """Add rows sorted by ``order``; rows older than the newest stored one are merged into place."""
        m = len(rows["ts"])
        if self.n + m > len(self.col["ts"]):
            self.compact(m)
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

    def compact(self, incoming: int) -> None:
        """Move the live rows to the front of right-sized buffers, making room for ``incoming`` more."""
        live = self.n - self.lo
        cap = _capacity(live, incoming, len(self.col["ts"]))
        for k, old in self.col.items():
            self.col[k] = np.zeros(cap, old.dtype)
            self.col[k][:live] = old[self.lo : self.n]
        self.lo, self.n = 0, live
        self.refresh(0, rebuilt=True)

    def order(self, rows: dict[str, npt.NDArray[Any]]) -> IntArray:
        """Storage order of rows: by time (stable)."""
        return np.argsort(rows["ts"], kind="stable").astype(np.int64)

    def refresh(self, a: int, rebuilt: bool) -> None:
        """Hook: rows from position a changed; ``rebuilt`` means the buffers were reallocated."""


class _PrefixSeries(_Rows):
    """Timestamps and notionals of one (venue, side) group, with compensated prefix sums.

    ``p`` is the running float sum and ``c`` the running sum of each addition's exact rounding error
    (TwoSum), so ``p[b] - p[a] + (c[b] - c[a])`` stays accurate when a small window sits on a huge prefix,
    where a plain prefix difference would lose most digits to cancellation. What remains is an absolute
    error of about eps^2 * n * (retained sum), i.e. ~1e-21 USD for 10^6 events summing to $10^11.
    """

    def __init__(self) -> None:
        super().__init__((("ts", np.int64), ("val", np.float64)))
        self.p: FloatArray = np.zeros(_MIN_CAP + 1)
        self.c: FloatArray = np.zeros(_MIN_CAP + 1)

    def window(self, t0: int, t1: int) -> tuple[float, int]:
        """(sum, count) of the events with t0 < ts <= t1."""
        a, b = self.span(t0, t1)
        return float(self.p[b] - self.p[a] + (self.c[b] - self.c[a])), b - a

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


class _Interner:
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


def _parse_side(side: object, m: int) -> BoolArray:
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


class _EventRows(_Rows):
    """All retained events, with a max segment tree over notional for top-k queries.

    Tree leaf i is ``tree[cap + i]``, node j is max(node 2j, node 2j + 1), and empty leaves are -inf.
    """

    def __init__(self, venues: _Interner, symbols: _Interner) -> None:
        cols = (("ts", np.int64), ("side", np.int8), ("venue", np.int16), ("symbol", np.int32))
        super().__init__((*cols, ("notional", np.float64), ("price", np.float64)))
        self.venues, self.symbols = venues, symbols
        self.tree: FloatArray = np.full(2 * _MIN_CAP, -np.inf)

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
        """Refresh leaves [a, n) and their ancestors, one vectorised step per tree level."""
        cap = len(self.col["ts"])
        if rebuilt:
            self.tree = np.full(2 * cap, -np.inf)
        if a >= self.n:
            return
        tree = self.tree
        tree[cap + a : cap + self.n] = self.col["notional"][a : self.n]
        lo, hi = (cap + a) >> 1, (cap + self.n - 1) >> 1
        while lo >= 1:
            tree[lo : hi + 1] = np.maximum(tree[2 * lo : 2 * hi + 2 : 2], tree[2 * lo + 1 : 2 * hi + 2 : 2])
            lo, hi = lo >> 1, hi >> 1

    def top(self, a: int, b: int, k: int) -> list[int]:
        """Positions of the k largest notionals in [a, b), descending, ties newest first: O(k log n)."""
        tree, cap = self.tree, len(self.col["ts"])
        depth = cap.bit_length() - 1
        heap: list[tuple[float, int, int]] = []

        def push(node: int) -> None:
            # Heap nodes are disjoint ranges, so among equal maxima the one ending further right holds
            # the newer leaf: keying on -end pops ties newest first.
            end = ((node + 1) << (depth - node.bit_length() + 1)) - cap
            heapq.heappush(heap, (-float(tree[node]), -end, node))

        lo, hi = a + cap, b + cap
        while lo < hi:  # the O(log n) canonical nodes covering [a, b)
            if lo & 1:
                push(lo)
                lo += 1
            if hi & 1:
                hi -= 1
                push(hi)
            lo, hi = lo >> 1, hi >> 1
        out: list[int] = []
        while heap and len(out) < k:
            node = heapq.heappop(heap)[2]
            if node >= cap:
                out.append(node - cap)
            else:
                push(2 * node)
                push(2 * node + 1)
        return out


class LiquidationWindows:
    """Rolling windows over liquidation events; ingest in batches, query totals and top events.

    A window is the half-open interval (now_ms - window_s * 1000, now_ms]; now_ms defaults to the newest
    event timestamp seen. Any window_s up to the longest configured one can be queried; history older than
    the longest window is dropped, so queries with an old now_ms only see what is retained.
    """

    def __init__(self, windows_s: Sequence[int] = (3600, 14400, 86400)) -> None:
        if not windows_s or not all(type(w) is int and w > 0 for w in windows_s):
            raise ValueError(f"windows_s must be positive ints, got {windows_s!r}")
        self.windows_s: tuple[int, ...] = tuple(sorted(set(windows_s)))
        self._span_ms = self.windows_s[-1] * 1000
        self._venues = _Interner("venue", int(np.iinfo(np.int16).max))
        self._symbols = _Interner("symbol", int(np.iinfo(np.int32).max))
        self._rows = _EventRows(self._venues, self._symbols)
        self._groups: dict[int, _PrefixSeries] = {}  # key: venue_id * 2 + is_long
        self._latest: int | None = None
        self._clock: int | None = None  # newest of latest event and prune() time: drives retention
        self.dropped_stale = 0

    def __len__(self) -> int:
        return self._rows.n - self._rows.lo

    @property
    def latest_ts_ms(self) -> int | None:
        """Newest event timestamp seen (None before the first event)."""
        return self._latest

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy buffers (bounded by a small multiple of the retained events)."""
        arrays = [self._rows.tree, *self._rows.col.values()]
        for g in self._groups.values():
            arrays += [g.p, g.c, *g.col.values()]
        return sum(a.nbytes for a in arrays)

    def ingest(self, events: Iterable[LiquidationEvent]) -> int:
        """Add events in any order; returns how many were stored (stale ones are counted, not stored)."""
        evs = list(events)
        return self.ingest_arrays(
            np.array([e.ts_ms for e in evs], np.int64),
            [e.venue for e in evs],
            [e.symbol for e in evs],
            np.array([e.side == "long" for e in evs], np.bool_),
            np.array([e.notional_usd for e in evs], np.float64),
            np.array([e.price for e in evs], np.float64),
        )

    def ingest_arrays(
        self,
        ts_ms: npt.ArrayLike,
        venue: str | npt.ArrayLike,
        symbol: str | npt.ArrayLike,
        side: str | npt.ArrayLike,
        notional_usd: npt.ArrayLike,
        price: npt.ArrayLike,
    ) -> int:
        """Batch ingest (the fast path); rows need not be sorted. venue/symbol: one str or one per event;
        side: 'long'/'short' (one or one per event) or a bool is_long array. Returns events stored;
        events at or before (newest ts seen) - longest window are counted in ``dropped_stale``."""
        ts = np.asarray(ts_ms)
        m = len(ts) if ts.ndim == 1 else -1
        if m < 0 or (m and ts.dtype.kind not in "iu"):
            raise ValueError("ts_ms: expected a 1-D integer array")
        notional = np.asarray(notional_usd, dtype=np.float64) + 0.0  # folds -0.0, see LiquidationEvent
        px = np.asarray(price, dtype=np.float64)
        if notional.shape != (m,) or px.shape != (m,):
            raise ValueError(f"notional_usd and price must have {m} values like ts_ms")
        if not (np.all(np.isfinite(notional) & (notional >= 0)) and np.all(np.isfinite(px) & (px > 0))):
            raise ValueError("need finite notional_usd >= 0 and price > 0")
        if m == 0:
            return 0
        is_long = _parse_side(side, m)
        venue_ids, symbol_ids = self._venues.ids(venue, m), self._symbols.ids(symbol, m)
        ts = ts.astype(np.int64)
        newest = int(ts.max())
        self._latest = newest if self._latest is None else max(self._latest, newest)
        self._clock = newest if self._clock is None else max(self._clock, newest)
        keep = ts > self._clock - self._span_ms
        self.dropped_stale += m - int(np.count_nonzero(keep))
        self._cut()
        if not keep.any():
            return 0
        # In _EventRows column order: ts, side, venue, symbol, notional, price.
        cols: list[npt.NDArray[Any]] = [ts, is_long.astype(np.int8), venue_ids, symbol_ids, notional, px]
        rows = {k: v[keep] for k, v in zip(self._rows.col, cols, strict=True)}
        order = self._rows.order(rows)
        rows = {k: v[order] for k, v in rows.items()}
        self._rows.insert(rows)
        # Split into (venue, side) groups; the stable sort keeps each group time-sorted.
        key = rows["venue"] * 2 + rows["side"]
        order = np.argsort(key, kind="stable")
        bounds = [0, *(np.flatnonzero(np.diff(key[order])) + 1).tolist(), len(order)]
        for s, e in itertools.pairwise(bounds):
            g = int(key[order[s]])
            if g not in self._groups:
                self._groups[g] = _PrefixSeries()
            self._groups[g].insert({"ts": rows["ts"][order[s:e]], "val": rows["notional"][order[s:e]]})
        return len(order)

    def prune(self, now_ms: int | None = None) -> int:
        """Drop events at or before now_ms - longest window (default: newest event) and shrink the buffers
        if most of them is dead; later ingests treat now_ms as the clock. Returns events dropped."""
        before = len(self)
        if now_ms is not None:
            self._clock = int(now_ms) if self._clock is None else max(self._clock, int(now_ms))
        self._cut()
        for rows in (self._rows, *self._groups.values()):
            if rows.lo > rows.n - rows.lo:
                rows.compact(0)
        return before - len(self)

    def totals(self, window_s: int, now_ms: int | None = None) -> WindowTotals:
        """Long/short/total notional, count and per-venue split in the window; O(V log n) for V venues."""
        t0, t1 = self._bounds(window_s, now_ms)
        a, b = self._rows.span(t0, t1)
        long_usd = short_usd = 0.0
        by_venue: dict[str, tuple[float, float]] = {}
        for name in sorted(self._venues.names):  # fixed order: sums do not depend on arrival order
            vid = self._venues.index[name]
            lg, sh = self._groups.get(2 * vid + 1), self._groups.get(2 * vid)
            lg_usd, lg_n = lg.window(t0, t1) if lg else (0.0, 0)
            sh_usd, sh_n = sh.window(t0, t1) if sh else (0.0, 0)
            if lg_n or sh_n:
                by_venue[name] = (lg_usd, sh_usd)
                long_usd += lg_usd
                short_usd += sh_usd
        total = long_usd + short_usd
        share = long_usd / total if total > 0 else None
        return WindowTotals(window_s, long_usd, short_usd, total, b - a, share, by_venue)

    def largest(self, window_s: int, k: int = 10, now_ms: int | None = None) -> list[LiquidationEvent]:
        """The k largest events in the window by notional, descending. Ties: newest first, then by side
        (long first), venue, symbol and price descending, a fixed order whatever the arrival order.
        O(k log n) heap steps."""
        a, b = self._rows.span(*self._bounds(window_s, now_ms))
        c = self._rows.col
        return [
            LiquidationEvent(
                int(c["ts"][i]),
                self._venues.names[int(c["venue"][i])],
                self._symbols.names[int(c["symbol"][i])],
                "long" if c["side"][i] else "short",
                float(c["notional"][i]),
                float(c["price"][i]),
            )
            for i in (self._rows.top(a, b, k) if k > 0 and a < b else [])
        ]

    def events_per_minute(self, window_s: int = 3600, now_ms: int | None = None) -> IntArray:
        """Event counts per minute (window_s a multiple of 60), oldest first: bucket i holds
        t0 + i min < ts <= t0 + (i + 1) min with t0 = now_ms - window_s * 1000."""
        t0, _ = self._bounds(window_s, now_ms)
        if window_s % 60:
            raise ValueError(f"events_per_minute: window_s must be a multiple of 60, got {window_s}")
        edges = t0 + 60_000 * np.arange(window_s // 60 + 1, dtype=np.int64)
        idx = np.searchsorted(self._rows.col["ts"][self._rows.lo : self._rows.n], edges, "right")
        return np.diff(idx).astype(np.int64)

    def rate_per_minute(self, window_s: int, now_ms: int | None = None) -> float:
        """Average events per minute over the window."""
        a, b = self._rows.span(*self._bounds(window_s, now_ms))
        return (b - a) * 60.0 / window_s

    def _bounds(self, window_s: int, now_ms: int | None) -> tuple[int, int]:
        """(t0, t1) with the window being t0 < ts <= t1."""
        if type(window_s) is not int or not 0 < window_s <= self.windows_s[-1]:
            raise ValueError(f"window_s must be an int in (0, {self.windows_s[-1]}], got {window_s!r}")
        now = int(now_ms) if now_ms is not None else (self._latest or 0)
        return now - window_s * 1000, now

    def _cut(self) -> None:
        if self._clock is not None:
            for rows in (self._rows, *self._groups.values()):
                rows.cut(self._clock - self._span_ms)
