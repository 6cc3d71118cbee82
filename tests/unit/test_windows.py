"""Tests for cockpit.analytics.windows: hand-worked window edges, ordering, retention, and brute-force
properties (totals, largest, per-minute counts) under random arrival orders and batch splits."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.analytics.liquidations import LiquidationEvent, WindowTotals
from cockpit.analytics.window_store import SLOT_MS
from cockpit.analytics.windows import LiquidationWindows

H = 3_600_000  # one hour in ms
DAY = 24 * H
NOW = 1_700_000_000_000


def ev(
    ts: int,
    notional: float,
    side: str = "long",
    venue: str = "binance",
    symbol: str = "BTC",
    price: float = 1.0,
) -> LiquidationEvent:
    return LiquidationEvent(ts, venue, symbol, side, notional, price)  # type: ignore[arg-type]


def build(
    events: list[LiquidationEvent], windows_s: tuple[int, ...] = (3600, 14400, 86400)
) -> LiquidationWindows:
    w = LiquidationWindows(windows_s)
    w.ingest(events)
    return w


# ---- brute force references -------------------------------------------------------------------------


def retained(events: list[LiquidationEvent], span_s: int) -> list[LiquidationEvent]:
    newest = max(e.ts_ms for e in events)
    return [e for e in events if e.ts_ms > newest - span_s * 1000]


def inside(events: list[LiquidationEvent], window_s: int, now: int) -> list[LiquidationEvent]:
    return [e for e in events if now - window_s * 1000 < e.ts_ms <= now]


def tie_key(e: LiquidationEvent) -> tuple[float, int, bool, str, str, float]:
    """largest() order, descending: notional, then newest, then the fixed content tie-break."""
    return (e.notional_usd, e.ts_ms, e.side == "long", e.venue, e.symbol, e.price)


def check_against_brute_force(
    w: LiquidationWindows, kept: list[LiquidationEvent], window_s: int, now: int
) -> None:
    win = inside(kept, window_s, now)
    t = w.totals(window_s, now)
    assert t.count == len(win)
    assert t.long_usd == pytest.approx(
        math.fsum(e.notional_usd for e in win if e.side == "long"), rel=1e-6, abs=0
    )
    assert t.short_usd == pytest.approx(
        math.fsum(e.notional_usd for e in win if e.side == "short"), rel=1e-6, abs=0
    )
    assert t.total_usd == pytest.approx(math.fsum(e.notional_usd for e in win), rel=1e-6, abs=0)
    assert set(t.by_venue) == {e.venue for e in win}
    for venue, (lg, sh) in t.by_venue.items():
        exp_l = math.fsum(e.notional_usd for e in win if e.venue == venue and e.side == "long")
        exp_s = math.fsum(e.notional_usd for e in win if e.venue == venue and e.side == "short")
        assert (lg, sh) == (pytest.approx(exp_l, rel=1e-6, abs=0), pytest.approx(exp_s, rel=1e-6, abs=0))
    for k in (1, 3, len(win) + 1):
        assert w.largest(window_s, k, now) == sorted(win, key=tie_key, reverse=True)[:k]


# ---- hand-worked examples ---------------------------------------------------------------------------


def test_window_edges_are_half_open() -> None:
    events = [
        ev(NOW - H, 1000.0),  # exactly now - 1h: outside the 1h window
        ev(NOW - H + 1, 200.0, "short", "okx"),  # 1 ms later: inside
        ev(NOW, 30.0),  # exactly now: inside
        ev(NOW - 4 * H, 4.0, "short"),  # exactly now - 4h: outside 4h, inside 24h
        ev(NOW - DAY + 1, 0.5, "long", "okx"),  # oldest one inside 24h
    ]
    w = build(events)
    h1, h4, h24 = w.totals(3600), w.totals(14400), w.totals(86400)
    assert h1 == WindowTotals(
        3600, 30.0, 200.0, 230.0, 2, 30.0 / 230.0, {"binance": (30.0, 0.0), "okx": (0.0, 200.0)}
    )
    assert (h4.long_usd, h4.short_usd, h4.count) == (1030.0, 200.0, 3)
    assert h4.by_venue == {"binance": (1030.0, 0.0), "okx": (0.0, 200.0)}
    assert (h24.long_usd, h24.short_usd, h24.count) == (1030.5, 204.0, 5)
    assert h24.by_venue == {"binance": (1030.0, 4.0), "okx": (0.5, 200.0)}
    # Moving now by 1 ms moves both edges: the event at now leaves, the one at now - 1h re-enters.
    before = w.totals(3600, now_ms=NOW - 1)
    assert (before.long_usd, before.short_usd, before.count) == (1000.0, 200.0, 2)


def test_empty_and_zero_windows() -> None:
    w = LiquidationWindows()
    assert len(w) == 0 and w.latest_ts_ms is None
    assert w.totals(3600) == WindowTotals(3600, 0.0, 0.0, 0.0, 0, None, {})
    assert w.largest(3600) == []
    assert w.events_per_minute(600).tolist() == [0] * 10
    w.ingest([ev(NOW, 0.0)])
    assert w.totals(3600).long_share is None and w.totals(3600).count == 1
    assert w.totals(3600, now_ms=NOW + H).count == 0  # now_ms after the newest event


def test_largest_order_ties_newest_first() -> None:
    events = [
        ev(NOW - 10, 500.0, venue="a"),
        ev(NOW - 20, 900.0),
        ev(NOW - 5, 500.0, venue="b"),
        ev(NOW - 30, 500.0, venue="c"),
        ev(NOW - 40, 100.0),
        ev(NOW - H, 10_000.0),  # outside 1h
    ]
    w = build(events)
    top = w.largest(3600, k=4, now_ms=NOW)
    assert [(e.notional_usd, e.ts_ms) for e in top] == [
        (900.0, NOW - 20),
        (500.0, NOW - 5),
        (500.0, NOW - 10),
        (500.0, NOW - 30),
    ]
    assert top[1] == events[2]  # the full event comes back
    assert len(w.largest(3600, k=100, now_ms=NOW)) == 5
    assert w.largest(3600, k=0) == []
    assert w.largest(86400, k=1)[0].notional_usd == 10_000.0


def test_largest_same_timestamp_and_notional_uses_content_order() -> None:
    events = [
        ev(NOW, 7.0, s, v, sym, p)
        for s in ("long", "short")
        for v in ("x", "y")
        for sym in ("A", "B")
        for p in (1.0, 2.0)
    ]
    expected = sorted(events, key=tie_key, reverse=True)
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        assert build(shuffled).largest(3600, k=len(events)) == expected


def test_events_per_minute_buckets() -> None:
    events = [
        ev(NOW, 1.0),  # last bucket (NOW - 1 min, NOW]
        ev(NOW - 60_000 + 1, 1.0),  # last bucket
        ev(NOW - 60_000, 1.0),  # bucket 3: (NOW - 2 min, NOW - 1 min]
        ev(NOW - 300_000 + 1, 1.0),  # bucket 0
        ev(NOW - 300_000, 1.0),  # outside the 5-minute window
    ]
    w = build(events, windows_s=(300, 3600))
    assert w.events_per_minute(300).tolist() == [1, 0, 0, 1, 2]
    assert w.events_per_minute(300).dtype == np.int64
    assert w.events_per_minute(300, now_ms=NOW - 60_000).tolist() == [1, 1, 0, 0, 1]
    assert len(w.events_per_minute(3600)) == 60 and w.events_per_minute(3600).sum() == 5
    with pytest.raises(ValueError):
        w.events_per_minute(90)


def test_out_of_order_event_is_merged_into_place() -> None:
    w = build([ev(NOW - 10 * 60_000, 1.0), ev(NOW, 2.0)])
    w.ingest([ev(NOW - 30 * 60_000, 4.0, "short"), ev(NOW - 2 * H, 8.0)])  # late arrivals
    assert w.latest_ts_ms == NOW and len(w) == 4
    assert (w.totals(3600).long_usd, w.totals(3600).short_usd) == (3.0, 4.0)
    assert w.totals(14400).total_usd == 15.0
    assert w.events_per_minute(3600).tolist()[29] == 1  # the late one sits in its own minute
    assert [e.notional_usd for e in w.largest(3600)] == [4.0, 2.0, 1.0]


def test_stale_events_are_dropped_and_counted() -> None:
    w = build([ev(NOW, 1.0)])
    stored = w.ingest([ev(NOW - DAY, 5.0), ev(NOW - DAY + 1, 7.0)])  # at now - 24h: stale; 1 ms later: kept
    assert stored == 1 and w.dropped_stale == 1 and len(w) == 2
    assert w.totals(86400).total_usd == 8.0


def test_prune_with_explicit_clock() -> None:
    w = build([ev(NOW - 2 * H, 1.0), ev(NOW - H, 2.0), ev(NOW, 4.0)])
    assert w.prune(NOW + DAY - H) == 2  # drops ts <= NOW - H
    assert len(w) == 1 and w.totals(86400).total_usd == 4.0
    assert w.ingest([ev(NOW - 90 * 60_000, 9.0)]) == 0 and w.dropped_stale == 1  # stale for the new clock
    assert w.latest_ts_ms == NOW  # the clock is not an event


def test_prune_releases_memory_after_a_burst() -> None:
    w = LiquidationWindows()
    n = 50_000
    w.ingest_arrays(NOW + np.arange(n, dtype=np.int64), "okx", "BTC", "short", np.ones(n), np.ones(n))
    busy = w.nbytes
    w.ingest([ev(NOW + DAY + n, 1.0)])  # a day later the burst is history
    assert len(w) == 1  # ingest already dropped the burst logically; prune() gives the memory back
    assert w.prune() == 0
    assert w.nbytes < busy / 20
    assert w.totals(86400).total_usd == 1.0 and w.largest(86400) == [ev(NOW + DAY + n, 1.0)]


def test_precision_of_small_window_over_huge_history() -> None:
    # Plain prefix sums would compute 0.1 + 0.2 + 0.3 as a difference of two ~1e15 numbers and
    # return something like 0.5 or 0.75; the compensated sums must not.
    events = [ev(NOW - 20 * H + i, 1e12 + i) for i in range(1000)]
    events += [ev(NOW - 2, 0.1), ev(NOW - 1, 0.2), ev(NOW, 0.3)]
    w = build(events)
    assert w.totals(3600).long_usd == pytest.approx(0.6, rel=1e-12)
    assert w.totals(86400).long_usd == pytest.approx(math.fsum(e.notional_usd for e in events), rel=1e-12)


def test_precision_survives_late_merges() -> None:
    # Late events re-sum the group from the merge point; that must carry the accumulated error term too.
    w = build([ev(NOW - 20 * H + i, 1e12 + i + 0.3) for i in range(1000)])
    for ts, notional in ((NOW, 0.3), (NOW - 1, 0.2), (NOW - 2, 0.1)):  # newest first: each one is late
        w.ingest([ev(ts, notional)])
    assert w.totals(3600).long_usd == pytest.approx(0.6, rel=1e-12)


def test_largest_tracks_each_append() -> None:
    # One event per ingest, each the biggest so far: every leaf position must reach the tree root.
    w = LiquidationWindows()
    for i in range(600):
        w.ingest([ev(NOW + i, float(i))])
        assert w.largest(3600, 1)[0].ts_ms == NOW + i


def test_batch_arrays_forms_are_equivalent() -> None:
    ts = np.array([NOW - 3, NOW - 1, NOW - 2, NOW], dtype=np.int64)
    notional = [10.0, 20.0, 30.0, 40.0]
    a, b, c = LiquidationWindows(), LiquidationWindows(), LiquidationWindows()
    a.ingest_arrays(ts, "okx", "ETH", np.array(["long", "short", "long", "long"]), notional, [1.0] * 4)
    b.ingest_arrays(
        ts, ["okx"] * 4, np.array(["ETH"] * 4), np.array([True, False, True, True]), notional, [1.0] * 4
    )
    c.ingest(
        [
            ev(int(t), n, s, "okx", "ETH")
            for t, n, s in zip(ts, notional, ["long", "short", "long", "long"], strict=True)
        ]
    )
    for w in (a, b, c):
        assert w.totals(3600).by_venue == {"okx": (80.0, 20.0)}
        assert w.largest(3600, 2) == [
            ev(NOW, 40.0, venue="okx", symbol="ETH"),
            ev(NOW - 2, 30.0, venue="okx", symbol="ETH"),
        ]
    assert a.ingest_arrays([], [], [], [], [], []) == 0 and len(a) == 4


def test_validation() -> None:
    with pytest.raises(ValueError):
        ev(NOW, 1.0, side="flat")
    with pytest.raises(ValueError):
        ev(NOW, -1.0)
    with pytest.raises(ValueError):
        ev(NOW, 1.0, price=float("nan"))
    with pytest.raises(ValueError):
        ev(NOW, 1.0, venue="")
    with pytest.raises(TypeError):
        LiquidationEvent(True, "v", "s", "long", 1.0, 1.0)
    w = LiquidationWindows()
    with pytest.raises(ValueError):
        w.ingest_arrays([NOW, NOW], "v", "s", "long", [1.0], [1.0, 1.0])  # length mismatch
    with pytest.raises(ValueError):
        w.ingest_arrays([NOW], "v", "s", ["flat"], [1.0], [1.0])
    with pytest.raises(ValueError):
        w.ingest_arrays([1.5], "v", "s", "long", [1.0], [1.0])  # float timestamps
    with pytest.raises(ValueError):
        w.ingest_arrays([NOW, NOW], ["v"], "s", "long", [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        w.ingest_arrays([NOW], "v", "s", "long", [float("inf")], [1.0])
    assert len(w) == 0
    for bad in (0, 86401, 60.0, True):
        with pytest.raises(ValueError):
            w.totals(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        LiquidationWindows(())


# ---- retention and memory ---------------------------------------------------------------------------


def test_memory_is_bounded_by_the_longest_window() -> None:
    rng = np.random.default_rng(7)
    w = LiquidationWindows()
    step, batch, days = 5_000, 2_000, 6  # one event every 5 s: 17,280 per day
    t = NOW + np.arange(days * DAY // step, dtype=np.int64) * step
    sizes = []
    for s in range(0, len(t), batch):
        ts = t[s : s + batch]
        w.ingest_arrays(
            ts,
            rng.choice(["a", "b", "c"], len(ts)),
            "BTC",
            rng.random(len(ts)) < 0.5,
            rng.random(len(ts)),
            np.ones(len(ts)),
        )
        if ts[-1] >= t[0] + DAY:
            sizes.append(w.nbytes)
    assert w.latest_ts_ms == int(t[-1])
    assert len(w) == int(np.count_nonzero(t > t[-1] - DAY)) == DAY // step
    assert w.totals(86400).count == len(w)
    # Once a full day is held, memory stays flat while 5 more days stream through (unbounded: 6x).
    assert max(sizes) <= 2 * sizes[0]
    assert w.nbytes <= 400 * (len(w) + batch) + 100_000


def test_compaction_cycles_match_brute_force() -> None:
    # Tiny windows force many compactions (rebasing the prefix sums and the tree) over one stream.
    rng = random.Random(3)
    events = [
        ev(
            i * 997 + rng.randrange(5_000),
            float(rng.randrange(1, 1000)),
            rng.choice(["long", "short"]),
            rng.choice("pq"),
        )
        for i in range(3000)
    ]
    w = LiquidationWindows((60, 300))
    for s in range(0, len(events), 37):
        w.ingest(events[s : s + 37])
        kept = retained(events[: s + 37], 300)
        assert len(w) == len(kept)
    now = w.latest_ts_ms
    assert now is not None
    for window_s in (60, 300):
        check_against_brute_force(w, kept, window_s, now)


# ---- properties ---------------------------------------------------------------------------------------

SPAN = 30 * H  # wider than the longest window, so some events go stale

timestamps = st.one_of(
    st.integers(0, SPAN),
    st.sampled_from([0, H, 4 * H, DAY, DAY + 1, SPAN - H, SPAN - 1, SPAN]),  # shared instants and exact edges
).map(lambda x: NOW - SPAN + x)
# Zero, shared values (ties) and 15 orders of magnitude. Below ~1e-20 USD the compensated sums have an
# absolute floor (about 1e-32 x the retained total), far below any real liquidation.
notionals = st.one_of(st.sampled_from([0.0, 1.0, 250.0]), st.floats(1e-6, 1e9))
events_st = st.builds(
    LiquidationEvent,
    ts_ms=timestamps,
    venue=st.sampled_from(["binance", "bybit", "okx"]),
    symbol=st.sampled_from(["BTC", "ETH"]),
    side=st.sampled_from(["long", "short"]),
    notional_usd=notionals,
    price=st.sampled_from([1.0, 2.5, 60_000.0]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(events_st, min_size=1, max_size=60), st.data())
def test_totals_and_largest_equal_brute_force(events: list[LiquidationEvent], data: st.DataObject) -> None:
    w = build(events)
    kept = retained(events, 86400)
    assert len(w) == len(kept)
    newest = max(e.ts_ms for e in events)
    extra = data.draw(st.lists(st.sampled_from([e.ts_ms for e in events]), max_size=3))
    for now in {newest, newest - 1, newest + H, *extra, *(e + 4 * H for e in extra)}:
        for window_s in (3600, 14400, 86400, 900):
            check_against_brute_force(w, kept, window_s, now)
    counts = w.events_per_minute(3600)
    for i in range(60):
        lo = newest - H + i * 60_000
        assert counts[i] == sum(lo < e.ts_ms <= lo + 60_000 for e in kept)


@settings(max_examples=150, deadline=None)
@given(st.lists(events_st, min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_arrival_order_and_batching_do_not_change_answers(
    events: list[LiquidationEvent], rnd: random.Random
) -> None:
    reference = build(sorted(events, key=lambda e: e.ts_ms))
    shuffled = events[:]
    rnd.shuffle(shuffled)
    w = LiquidationWindows()
    i = 0
    while i < len(shuffled):
        j = i + rnd.randint(1, 8)
        part = shuffled[i:j]
        if rnd.random() < 0.5:
            w.ingest(part)
        else:
            w.ingest_arrays(
                [e.ts_ms for e in part],
                [e.venue for e in part],
                [e.symbol for e in part],
                [e.side for e in part],
                [e.notional_usd for e in part],
                [e.price for e in part],
            )
        i = j
    assert len(w) == len(reference) and w.latest_ts_ms == reference.latest_ts_ms
    newest = reference.latest_ts_ms
    assert newest is not None
    for now in (newest, newest - 30 * 60_000, newest - 5 * H):
        for window_s in (3600, 14400, 86400):
            got, exp = w.totals(window_s, now), reference.totals(window_s, now)
            assert (got.count, set(got.by_venue)) == (exp.count, set(exp.by_venue))
            assert got.total_usd == pytest.approx(exp.total_usd, rel=1e-12, abs=0)
            assert got.long_usd == pytest.approx(exp.long_usd, rel=1e-12, abs=0)
            for venue, (lg, sh) in exp.by_venue.items():
                assert got.by_venue[venue] == (
                    pytest.approx(lg, rel=1e-12, abs=0),
                    pytest.approx(sh, rel=1e-12, abs=0),
                )
            assert w.largest(window_s, 1000, now) == reference.largest(window_s, 1000, now)
            assert w.largest(window_s, 3, now) == reference.largest(window_s, 3, now)
        assert w.events_per_minute(3600, now).tolist() == reference.events_per_minute(3600, now).tolist()


def test_largest_over_many_blocks_equals_brute_force() -> None:
    # Tens of thousands of rows: the top-k search prunes whole blocks by their maxima, so check it
    # where blocks matter, with many ties (a few repeated notionals) and windows cutting blocks in two.
    rng = np.random.default_rng(11)
    n = 40_000
    ts = NOW - DAY + np.sort(rng.integers(0, DAY, n))
    notional = np.where(rng.random(n) < 0.5, rng.choice([5.0, 7.0, 9.0], n), rng.random(n) * 10)
    sides = rng.random(n) < 0.5
    venues = rng.choice(["binance", "bybit", "okx"], n)
    events = [
        ev(int(t), float(x), "long" if s else "short", str(v))
        for t, x, s, v in zip(ts, notional, sides, venues, strict=True)
    ]
    w = LiquidationWindows()
    for s in range(0, n, 5_000):
        w.ingest(events[s : s + 5_000])
    for _ in range(25):
        now = int(rng.integers(NOW - DAY, NOW + 1))
        window_s = int(rng.choice([900, 3600, 14400, 86400]))
        win = inside(events, window_s, now)
        for k in (1, 10, 60):
            assert w.largest(window_s, k, now) == sorted(win, key=tie_key, reverse=True)[:k]


def test_slot_sums_follow_late_events_and_retention() -> None:
    # Per-slot group sums are recomputed from the raw events of each touched slot; a late event in an
    # old slot and a retention cut through the middle of a slot must both show in the totals.
    w = LiquidationWindows((3600,))
    base = NOW - NOW % SLOT_MS + 10 * SLOT_MS  # a slot boundary
    w.ingest([ev(base + 1_000, 1.0), ev(base + 9_000, 2.0), ev(base + 3 * SLOT_MS, 4.0)])
    w.ingest([ev(base + 5_000, 8.0, side="short")])  # late, into the first slot
    assert w.totals(3600).long_usd == 7.0 and w.totals(3600).short_usd == 8.0
    # A window whose edges cut the first and the last slot: both partial slots come from raw events.
    t = w.totals(3600, now_ms=base + 3 * SLOT_MS - 1)
    assert (t.long_usd, t.short_usd, t.count) == (3.0, 8.0, 3)
    w.prune(base + 5_000 + H)  # drops ts <= base + 5 s: the first slot is cut in two
    t = w.totals(3600, now_ms=base + 3 * SLOT_MS)
    assert (t.long_usd, t.short_usd, t.count) == (6.0, 0.0, 2)


def test_many_small_appends_into_one_slot_match_one_batch() -> None:
    # Appended batches carry the slot's stored totals on; late ones re-sum the slot from raw events.
    rng = random.Random(5)
    base = NOW - NOW % SLOT_MS
    events = [
        ev(base + i * 9, rng.uniform(1, 1e6), rng.choice(["long", "short"]), rng.choice(["a", "b", "c"]))
        for i in range(1000)
    ]
    one = build(events)
    many = LiquidationWindows()
    for s in range(0, len(events), 7):
        many.ingest(events[s : s + 7])
    late = ev(base + 5, 123.0, "short", "b")
    one.ingest([late])
    many.ingest([late])
    events.append(late)
    for window_s in (3600, 86400):
        got, exp = many.totals(window_s), one.totals(window_s)
        for venue in "abc":
            for side, i in (("long", 0), ("short", 1)):
                ref = math.fsum(e.notional_usd for e in events if e.venue == venue and e.side == side)
                assert got.by_venue[venue][i] == pytest.approx(ref, rel=1e-12, abs=0)
                assert exp.by_venue[venue][i] == pytest.approx(ref, rel=1e-12, abs=0)
        assert got.count == exp.count == len(events)


@pytest.mark.parametrize("windows_s", [(3600, 86400), (86400, 30 * 86400)])
def test_months_of_sparse_events_keep_exact_times(windows_s: tuple[int, ...]) -> None:
    # Times are stored as 32-bit offsets (+-24.8 days) for windows up to 20 days: a buffer that never
    # fills (two events a day, some always live) must move its base when new events would not fit;
    # longer windows keep 64-bit times. Either way every answer carries the exact millisecond.
    w = LiquidationWindows(windows_s)
    longest = max(windows_s)
    sent: list[LiquidationEvent] = []
    for day in range(180):
        e = ev(NOW + day * DAY // 2 + 12_345 + day, float(day + 1), venue="okx")
        w.ingest([e])
        sent.append(e)
        kept = [x for x in sent if x.ts_ms > e.ts_ms - longest * 1000]
        assert len(w) == len(kept)
        assert w.largest(longest, 100) == sorted(kept, key=tie_key, reverse=True)
        assert w.totals(longest).long_usd == sum(x.notional_usd for x in kept)
        shortest = min(windows_s)
        assert w.totals(shortest).count == sum(x.ts_ms > e.ts_ms - shortest * 1000 for x in sent)
    edges = np.array([sent[-1].ts_ms - 5, sent[-1].ts_ms + 5], dtype=np.int64)
    assert w.per_bucket(edges)[0].tolist() == [180.0]
