"""What the liquidation windows cover, and the cascade verdict judged on covered time only (issue 13,
items 1, 5 and 6): a fresh start is not a cascade, a hole in a venue's data is shown and does not dilute
the day's average, and the totals say what they add up and whether a sampling venue is in them."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import pytest

from cockpit.analytics.coverage import Coverage
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.models import Covered, Snapshot
from cockpit.recording.format import read_recording
from cockpit.reports.snapshot_json import snapshot_to_json
from cockpit.sources.base import Emit
from cockpit.sources.clock import ManualClock
from cockpit.storage.history import LiquidationHistory

T0 = 1_770_000_000_000  # "now" at the end of each story
MIN = 60_000
HOUR = 3_600_000


class Venue:
    """A liquidation source as the engine registers it; the test emits its events and claims by hand."""

    cadence_s = 10.0
    simulated = False

    def __init__(self, name: str, venue: str, *, sampled: bool = False) -> None:
        self.name, self.venues, self.sampled = name, (venue,), sampled
        self.symbols = ("BTC/USDT:USDT",)

    async def run(self, emit: Emit) -> None:
        await asyncio.Event().wait()


def make_engine(clock: ManualClock, *sources: Venue, history: LiquidationHistory | None = None) -> Engine:
    e = Engine(Config(), list(sources), clock, symbol="BTC/USDT:USDT", kind="live", history=history)
    e.restore_history()
    return e


def steady(venue: str, start_ms: int, end_ms: int, every_ms: int, usd: float) -> list[LiquidationEvent]:
    """One print every ``every_ms``, half a step after each step's start (off the windows' edges)."""
    times = range(start_ms + every_ms // 2, end_ms, every_ms)
    return [LiquidationEvent(t, venue, "BTC/USDT:USDT", "long", usd, 70_000.0) for t in times]


def feed(e: Engine, clock: ManualClock, source: str, events: list[LiquidationEvent], cover_from: int) -> None:
    """Deliver events in time order, the source claiming coverage every 5 s as a connected stream does."""
    queue = sorted(events, key=lambda ev: ev.ts_ms)
    t = cover_from
    while t < clock.ms:
        nxt = min(t + 5_000, clock.ms)
        for ev in [ev for ev in queue if t <= ev.ts_ms < nxt]:
            e.emit(ev)
        e.emit(Covered(source, t, nxt))
        t = nxt
    e.drain()


def test_a_fresh_start_is_not_a_cascade() -> None:
    """The issue's case: $1M every 10 minutes, two hours after start. The old rule divided the day's total
    by 24 and read 12x the hourly average, CASCADE."""
    clock = ManualClock(T0)
    bybit = Venue("bybit", "Bybit")
    e = make_engine(clock, bybit)
    feed(e, clock, "bybit", steady("Bybit", T0 - 2 * HOUR, T0, 10 * MIN, 1e6), cover_from=T0 - 2 * HOUR)
    liq = e.snapshot().liquidations
    assert liq.windows["1h"].total_usd == pytest.approx(6e6)
    assert liq.cascade is False and liq.judged is False
    assert liq.collecting_since_ms == T0 - 2 * HOUR
    assert liq.partial("4h") and liq.partial("24h") and not liq.partial("1h")


def test_a_steady_day_reads_one_x_and_a_burst_after_enough_hours_is_a_cascade() -> None:
    clock = ManualClock(T0)
    e = make_engine(clock, Venue("bybit", "Bybit"))
    calm = steady("Bybit", T0 - 8 * HOUR, T0 - HOUR, 10 * MIN, 1e6)
    feed(e, clock, "bybit", calm + steady("Bybit", T0 - HOUR, T0, 10 * MIN, 1e6), cover_from=T0 - 8 * HOUR)
    liq = e.snapshot().liquidations
    assert liq.judged and not liq.cascade
    assert liq.cascade_ratio == pytest.approx(1.0, rel=0.02)
    assert liq.hourly_average_24h_usd == pytest.approx(6e6, rel=0.02)  # over the 8 hours watched, not 24

    clock2 = ManualClock(T0)
    e2 = make_engine(clock2, Venue("bybit", "Bybit"))
    burst = steady("Bybit", T0 - HOUR, T0, MIN, 1e6)  # 60M in the last hour against 6M an hour before
    feed(e2, clock2, "bybit", calm + burst, cover_from=T0 - 8 * HOUR)
    liq2 = e2.snapshot().liquidations
    assert liq2.judged and liq2.cascade
    assert liq2.cascade_ratio == pytest.approx(60 / ((42 + 60) / 8), rel=0.02)


def test_a_hole_is_shown_per_source_and_the_ratio_uses_covered_time_only() -> None:
    """Bybit down from T-3h to T-1h, Gate whole: the 4h and 24h windows are partial, the hole is named with
    its times, and a steady flow still reads 1x (the old rule counted the hole as a quiet stretch)."""
    clock = ManualClock(T0)
    e = make_engine(clock, Venue("bybit", "Bybit"), Venue("gate", "Gate"))
    bybit = steady("Bybit", T0 - 24 * HOUR, T0, 10 * MIN, 1e6)
    up = [ev for ev in bybit if not T0 - 3 * HOUR <= ev.ts_ms < T0 - HOUR]
    feed(e, clock, "gate", steady("Gate", T0 - 24 * HOUR, T0, 10 * MIN, 5e5), cover_from=T0 - 24 * HOUR)
    for start, end in ((T0 - 24 * HOUR, T0 - 3 * HOUR), (T0 - HOUR, T0)):
        e.emit(Covered("bybit", start, end))
    for ev in up:
        e.emit(ev)
    e.drain()
    snap = e.snapshot()
    liq = snap.liquidations
    assert not liq.partial("1h") and liq.partial("4h") and liq.partial("24h")
    bybit_cover = next(c for c in liq.coverage if c.source == "bybit")
    assert bybit_cover.windows["4h"].gaps == ((T0 - 3 * HOUR, T0 - HOUR),)
    assert bybit_cover.windows["24h"].covered_s == 22 * 3600
    assert liq.judged and liq.cascade_ratio == pytest.approx(1.0, rel=0.03)
    js = snapshot_to_json(snap)["liquidations"]
    assert js["coverage"]["bybit"]["4h"]["gaps"] == [[T0 - 3 * HOUR, T0 - HOUR]]
    assert js["coverage"]["gate"]["24h"]["partial"] is False
    assert js["4h"]["partial"] is True and js["1h"]["partial"] is False


def test_coverage_survives_a_restart_and_the_downtime_is_a_hole(tmp_path: Path) -> None:
    clock = ManualClock(T0 - 2 * HOUR)
    first = make_engine(clock, Venue("okx", "OKX"), history=LiquidationHistory(tmp_path / "h.db"))
    feed(first, clock, "okx", steady("OKX", T0 - 10 * HOUR, T0 - 2 * HOUR, 10 * MIN, 1e6), T0 - 10 * HOUR)
    assert first.history is not None
    first.history.close()
    clock.ms = T0  # stopped for two hours
    second = make_engine(clock, Venue("okx", "OKX"), history=LiquidationHistory(tmp_path / "h.db"))
    second.emit(Covered("okx", T0 - 5_000, T0))  # connected again
    second.drain()
    liq = second.snapshot().liquidations
    okx = next(c for c in liq.coverage if c.source == "okx")
    assert okx.windows["24h"].gaps[-1] == (T0 - 2 * HOUR, T0 - 5_000)
    assert okx.windows["24h"].covered_s == pytest.approx(8 * 3600 + 5, abs=1)
    assert okx.since_ms == T0 - 5_000


def test_totals_say_what_they_cover_and_mark_lower_bounds_per_window() -> None:
    """Binance samples: a window it contributes to is a lower bound, one it does not contribute to is not."""
    clock = ManualClock(T0)
    e = make_engine(clock, Venue("binanceusdm", "Binance", sampled=True), Venue("bybit", "Bybit"))
    feed(e, clock, "bybit", steady("Bybit", T0 - 8 * HOUR, T0, 10 * MIN, 1e6), T0 - 8 * HOUR)
    feed(e, clock, "binanceusdm", steady("Binance", T0 - 8 * HOUR, T0 - 2 * HOUR, HOUR, 1e6), T0 - 8 * HOUR)
    snap = e.snapshot()
    liq = snap.liquidations
    assert liq.scope == ("BTC/USDT:USDT",)
    assert liq.lower_bound == {"1h": False, "4h": True, "24h": True}
    text = tape_text(snap)
    assert "totals: BTC/USDT:USDT on Binance, Bybit" in text
    assert "no cascade" in text


def test_the_pane_says_collecting_since_and_names_the_hole() -> None:
    clock = ManualClock(T0)
    e = make_engine(clock, Venue("bybit", "Bybit"))
    e.emit(Covered("bybit", T0 - 3 * HOUR, T0 - 2 * HOUR))
    e.emit(Covered("bybit", T0 - HOUR, T0))
    e.drain()
    text = tape_text(e.snapshot())
    assert "collecting since" in text and "cascades judged after 6h" in text
    assert "* bybit: no data" in text
    assert "CASCADE" not in text


def tape_text(snap: Snapshot) -> str:
    from cockpit.widgets.liquidation_tape import LiquidationTape

    return LiquidationTape().render_snapshot(snap).plain


def test_claims_merge_and_gaps_are_found() -> None:
    c = Coverage()
    c.claim("x", 10 * MIN, 20 * MIN)
    c.claim("x", 0, 5 * MIN)
    c.claim("x", 5 * MIN, 6 * MIN)  # touches the first: merged
    c.claim("x", 19 * MIN, 25 * MIN)
    assert c.spans("x") == ((0, 6 * MIN), (10 * MIN, 25 * MIN))
    assert c.covered_ms("x", 0, 30 * MIN) == 21 * MIN
    assert c.gaps("x", 0, 30 * MIN) == ((6 * MIN, 10 * MIN), (25 * MIN, 30 * MIN))
    assert c.gaps("x", 0, 26 * MIN, grace_ms=MIN) == ((6 * MIN, 10 * MIN),)  # newest span reaches now
    c.claim("x", 5 * MIN, 11 * MIN)
    assert c.spans("x") == ((0, 25 * MIN),)
    c.prune(26 * MIN)
    assert c.spans("x") == ()


def test_a_version_1_recording_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl.gz"
    head = {
        "format": "cockpit-recording",
        "version": 1,
        "source": "live",
        "symbol": "BTC/USDT:USDT",
        "symbols": ["BTC/USDT:USDT"],
        "venues": ["bybit"],
        "start_ms": T0,
        "sources": [["bybit", 10.0, False, False]],
    }
    tick = {
        "at": T0 + 1000,
        "type": "tick",
        "source": "bybit",
        "symbol": "BTC/USDT:USDT",
        "ts_ms": T0,
        "price": 1.0,
    }
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(head) + "\n" + json.dumps(tick) + "\n")
    rec = read_recording(path)
    assert rec.error is None and rec.header.sources[0].venues == () and len(rec.events) == 1
