"""Rolling liquidation windows: totals by side and venue, largest events and events per minute.

Events live in growable numpy arrays sorted by time, so a window (now - W, now] is two ``searchsorted``
calls. Sums come from compensated prefix sums of per-slot (10 s) totals kept per (venue, side) group, plus
the raw events of the partial slots at the window's edges; the largest events from per-block maxima over the
time-ordered notionals. Events older than the longest window (relative to the newest
timestamp seen, or a later ``prune`` time) are dropped, so memory follows the longest window.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from cockpit.analytics.liquidations import LiquidationEvent, WindowTotals, coin_of
from cockpit.analytics.window_store import SLOT_MS, EventRows, Interner, SlotSums, parse_side

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


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
        # The id widths (EventRows' columns) bound the distinct names: 127 venues, 32,767 symbols.
        self._venues = Interner("venue", int(np.iinfo(np.int8).max))
        self._symbols = Interner("symbol", int(np.iinfo(np.int16).max))
        # int32 offsets hold +-24.8 days: a longer window keeps 64-bit times.
        self._rows = EventRows(self._venues, self._symbols, wide=self._span_ms > 20 * 86_400_000)
        self._groups: dict[int, SlotSums] = {}  # key: venue_id * 2 + is_long
        self._coins: tuple[int, dict[str, tuple[str, ...]]] = (0, {})  # (names seen, coin -> its symbols)
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
    def symbols(self) -> tuple[str, ...]:
        """Every symbol an event has named (retained or not)."""
        return tuple(self._symbols.names)

    def symbols_of(self, coin: str) -> tuple[str, ...]:
        """Every symbol of ``coin`` an event has named (BTC/USDT:USDT and BTC/USDC:USDC are one coin)."""
        names = self._symbols.names
        known, by_coin = self._coins
        if known != len(names):  # names are only ever added: their count says when to regroup
            grouped: dict[str, list[str]] = {}
            for name in names:
                grouped.setdefault(coin_of(name), []).append(name)
            by_coin = {c: tuple(v) for c, v in grouped.items()}
            self._coins = (len(names), by_coin)
        return by_coin.get(coin, ())

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy buffers (bounded by a small multiple of the retained events)."""
        arrays = [self._rows.bmax, *self._rows.col.values()]
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
        is_long = parse_side(side, m)
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
        # In EventRows column order: ts, side, venue, symbol, notional, price.
        cols: list[npt.NDArray[Any]] = [ts, is_long.astype(np.int8), venue_ids, symbol_ids, notional, px]
        rows = {k: v[keep] for k, v in zip(self._rows.col, cols, strict=True)}
        order = self._rows.order(rows)
        rows = {k: v[order] for k, v in rows.items()}
        changed = self._rows.insert(rows)
        appended = changed == self._rows.n - len(rows["ts"])  # nothing older moved (compaction aside)
        self._resum(np.unique(rows["ts"] // SLOT_MS), carry_from=changed if appended else None)
        return len(rows["ts"])

    def _resum(self, slots: IntArray, carry_from: int | None) -> None:
        """Recompute each group's total for the given slots from the stored raw events. When the new rows
        were appended (``carry_from`` is the old end), the first slot's stored totals carry on with just
        the rows from there: in a cascade a batch is ~100 events while its slot holds up to thousands."""
        lo = self._rows.lo
        ts, keys = self._rows.col["ts"][lo : self._rows.n], self._rows.keys
        starts = np.searchsorted(ts, keys(slots * SLOT_MS), "left")
        lens = np.searchsorted(ts, keys((slots + 1) * SLOT_MS), "left") - starts
        carried = carry_from is not None and lo + starts[0] < carry_from
        if carried:
            assert carry_from is not None
            lens[0] -= carry_from - lo - starts[0]
            starts[0] = carry_from - lo
        # Positions of every stored event in those slots, ascending (the slots are disjoint, sorted).
        pos = lo + np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        c = self._rows.col
        ngroups = 2 * len(self._venues.names)
        group = c["venue"][pos].astype(np.int64) * 2 + c["side"][pos]
        key = np.repeat(np.arange(len(slots)), lens) * ngroups + group
        order = np.argsort(key, kind="stable")  # by (slot, group), storage order kept within
        key = key[order]
        first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        sums = np.add.reduceat(c["notional"][pos][order], first)
        run_slot, run_group = slots[key[first] // ngroups], key[first] % ngroups
        if carried:
            for i in np.flatnonzero(run_slot == slots[0]):
                stored = self._groups.get(int(run_group[i]))
                sums[i] += stored.value(int(slots[0])) if stored is not None else 0.0
        by_group = np.argsort(run_group, kind="stable")  # each group's slots stay ascending
        run_group, run_slot, sums = run_group[by_group], run_slot[by_group], sums[by_group]
        bounds = [0, *(np.flatnonzero(np.diff(run_group)) + 1).tolist(), len(run_group)]
        for s, e in itertools.pairwise(bounds):
            g = int(run_group[s])
            if g not in self._groups:
                self._groups[g] = SlotSums()
            self._groups[g].put(run_slot[s:e], sums[s:e])

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
        """Long/short/total notional, count and per-venue split in the window; O(V log n) for V venues
        plus the events of the two partial slots at its edges."""
        t0, t1 = self._bounds(window_s, now_ms)
        a, b = self._rows.span(t0, t1)
        # Whole slots s_lo..s_hi come from the per-slot sums, the partial ones at the edges from the raw
        # events: slot s holds s * SLOT_MS <= ts < (s + 1) * SLOT_MS. A slot at or before the retention
        # cutoff may hold dropped events, so the sums start after the cutoff.
        t0 = max(t0, self._clock - self._span_ms) if self._clock is not None else t0
        s_lo, s_hi = t0 // SLOT_MS + 1, (t1 + 1) // SLOT_MS - 1
        if self._latest is not None and t1 >= self._latest:
            s_hi = t1 // SLOT_MS  # no event is newer than t1: the slot holding it is whole
        edges = [(t0, t1)]
        if s_lo <= s_hi:
            edges = [(t0, s_lo * SLOT_MS - 1), ((s_hi + 1) * SLOT_MS - 1, t1)]
        ngroups = 2 * len(self._venues.names)
        raw, seen = np.zeros(ngroups), np.zeros(ngroups, np.int64)
        c = self._rows.col
        for e0, e1 in edges:
            ea, eb = self._rows.span(e0, e1)
            key = c["venue"][ea:eb].astype(np.int64) * 2 + c["side"][ea:eb]
            raw += np.bincount(key, weights=c["notional"][ea:eb], minlength=ngroups)
            seen += np.bincount(key, minlength=ngroups)

        def side(group: int) -> tuple[float, int]:
            """(notional, edge events plus slots with events: 0 when none) of one (venue, side) group."""
            g = self._groups.get(group)
            usd, slots = g.window(s_lo - 1, s_hi) if g is not None and s_lo <= s_hi else (0.0, 0)
            return float(raw[group]) + usd, int(seen[group]) + slots

        long_usd = short_usd = 0.0
        by_venue: dict[str, tuple[float, float]] = {}
        for name in sorted(self._venues.names):  # fixed order: sums do not depend on arrival order
            vid = self._venues.index[name]
            (lg_usd, lg_n), (sh_usd, sh_n) = side(2 * vid + 1), side(2 * vid)
            if lg_n or sh_n:  # zero-notional events still name their venue
                by_venue[name] = (lg_usd, sh_usd)
                long_usd += lg_usd
                short_usd += sh_usd
        total = long_usd + short_usd
        share = long_usd / total if total > 0 else None
        return WindowTotals(window_s, long_usd, short_usd, total, b - a, share, by_venue)

    def by_symbol(self, window_s: int, now_ms: int | None = None) -> dict[str, tuple[float, float, int]]:
        """(long_usd, short_usd, count) per symbol with events in the window: one pass over its events
        (O(n) where ``totals`` is O(V log n): callers refresh it at a human pace, not per event)."""
        a, b = self._rows.span(*self._bounds(window_s, now_ms))
        c = self._rows.col
        groups = 2 * len(self._symbols.names)
        key = c["symbol"][a:b].astype(np.int64) * 2 + c["side"][a:b]
        usd = np.bincount(key, weights=c["notional"][a:b], minlength=groups)
        count = np.bincount(key, minlength=groups)
        return {
            name: (float(usd[2 * sid + 1]), float(usd[2 * sid]), int(count[2 * sid] + count[2 * sid + 1]))
            for sid, name in enumerate(self._symbols.names)
            if count[2 * sid] or count[2 * sid + 1]
        }

    def totals_for(self, symbols: Collection[str], window_s: int, now_ms: int | None = None) -> WindowTotals:
        """``totals`` of the events on ``symbols`` only (one pass over the window's events)."""
        a, b = self._rows.span(*self._bounds(window_s, now_ms))
        c = self._rows.col
        pick = self._picked(symbols, a, b)
        groups = 2 * len(self._venues.names)
        key = c["venue"][a:b][pick].astype(np.int64) * 2 + c["side"][a:b][pick]
        usd = np.bincount(key, weights=c["notional"][a:b][pick], minlength=groups)
        count = np.bincount(key, minlength=groups)
        by_venue = {
            name: (float(usd[2 * vid + 1]), float(usd[2 * vid]))
            for name, vid in sorted(self._venues.index.items())
            if count[2 * vid] or count[2 * vid + 1]
        }
        long_usd = sum(lg for lg, _ in by_venue.values())
        short_usd = sum(sh for _, sh in by_venue.values())
        total = long_usd + short_usd
        share = long_usd / total if total > 0 else None
        return WindowTotals(window_s, long_usd, short_usd, total, int(count.sum()), share, by_venue)

    def _picked(self, symbols: Collection[str] | None, a: int, b: int) -> BoolArray:
        """Which rows a..b are on ``symbols`` (every row when None)."""
        if symbols is None:
            return np.ones(b - a, dtype=np.bool_)
        ids = [self._symbols.index[s] for s in symbols if s in self._symbols.index]
        return np.isin(self._rows.col["symbol"][a:b], np.asarray(ids, dtype=np.int64))

    def largest(self, window_s: int, k: int = 10, now_ms: int | None = None) -> list[LiquidationEvent]:
        """The k largest events in the window by notional, descending. Ties: newest first, then by side
        (long first), venue, symbol and price descending, a fixed order whatever the arrival order.
        O(k log n) heap steps."""
        a, b = self._rows.span(*self._bounds(window_s, now_ms))
        c = self._rows.col
        return [
            LiquidationEvent(
                int(c["ts"][i]) + self._rows.base,
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
        ts = self._rows.col["ts"][self._rows.lo : self._rows.n]
        idx = np.searchsorted(ts, self._rows.keys(edges), "right")
        return np.diff(idx).astype(np.int64)

    def per_bucket(
        self, edges_ms: IntArray, symbols: Collection[str] | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per bucket [edges[i], edges[i + 1]) of the retained events (on ``symbols`` only, when given):
        long and short notional and their notional-weighted prices (NaN where a side had none). Buckets
        are chart bars, so markers sit at the bar and the price where the liquidations happened."""
        m = max(0, len(edges_ms) - 1)
        c, lo, n = self._rows.col, self._rows.lo, self._rows.n
        ts = c["ts"][lo:n]
        a, b = np.searchsorted(ts, self._rows.keys((edges_ms[0], edges_ms[-1])), "left") if m else (0, 0)
        out: list[FloatArray] = []
        bucket = np.searchsorted(edges_ms, self._rows.times(lo + a, lo + b), "right") - 1
        on = self._picked(symbols, lo + a, lo + b)
        for is_long in (1, 0):
            sel = (c["side"][lo + a : lo + b] == is_long) & on
            weights = c["notional"][lo + a : lo + b][sel]
            usd = np.bincount(bucket[sel], weights=weights, minlength=m)[:m].astype(np.float64)
            paid = weights * c["price"][lo + a : lo + b][sel]
            px = np.bincount(bucket[sel], weights=paid, minlength=m)[:m]
            with np.errstate(invalid="ignore", divide="ignore"):
                out += [usd, np.where(usd > 0, px / usd, np.nan)]
        return out[0], out[2], out[1], out[3]

    def _bounds(self, window_s: int, now_ms: int | None) -> tuple[int, int]:
        """(t0, t1) with the window being t0 < ts <= t1."""
        if type(window_s) is not int or not 0 < window_s <= self.windows_s[-1]:
            raise ValueError(f"window_s must be an int in (0, {self.windows_s[-1]}], got {window_s!r}")
        now = int(now_ms) if now_ms is not None else (self._latest or 0)
        return now - window_s * 1000, now

    def _cut(self) -> None:
        if self._clock is not None:
            self._rows.cut(self._clock - self._span_ms)
            for group in self._groups.values():
                group.cut_ms(self._clock - self._span_ms)
