"""What a recording keeps of each event: a liquidation's identity (so a replay keeps apart two liquidations
equal in every number), older recordings without identities still read, and the header names the venues,
not the Fear & Greed source, by the name the engine gives it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.models import Backfill
from cockpit.recording.format import Header, RecordingWriter, SourceInfo, read_recording
from cockpit.recording.recorder import header_for
from cockpit.sources.clock import ManualClock
from cockpit.sources.fear_greed import FearGreedSource
from cockpit.wiring import live_engine, replay_snapshot
from tests.unit.test_history_identity import gate_events, htx_events

HTX_MS = 1_781_849_094_165  # the time of the HTX rows
HEADER = Header("live", "BTC/USDT:USDT", HTX_MS, (SourceInfo("htx", 2.0, False, False),), ("htx",))
NO_CANDLES = Candles.from_arrays(np.zeros(0, np.int64), [], [], [], [])


def test_a_replay_keeps_liquidations_with_equal_numbers_apart(tmp_path: Path) -> None:
    first, twin, _ = htx_events()
    g1, g2, _ = gate_events()
    plain = LiquidationEvent(first.ts_ms, "SimEx Alpha", "BTC/USDT:USDT", "long", 10.0, 1.0)
    path = tmp_path / "r.jsonl.gz"
    writer = RecordingWriter(path, HEADER)
    writer.write(first.ts_ms, first)
    writer.write(first.ts_ms, twin)
    writer.write(first.ts_ms, plain)
    writer.write(first.ts_ms, Backfill("gate", "BTC/USDT:USDT", NO_CANDLES, (g1, g2)))
    writer.close()
    rec = read_recording(path)
    assert rec.error is None
    (_, a), (_, b), (_, c), (_, backfill) = rec.events
    assert (
        isinstance(a, LiquidationEvent)
        and isinstance(b, LiquidationEvent)
        and isinstance(c, LiquidationEvent)
    )
    assert (a.key, b.key) == (first.key, twin.key) and a.key != b.key and a == b
    assert c.event_id == "" and c.key == plain.key  # a plain event's content is its identity
    assert isinstance(backfill, Backfill)
    assert [e.key for e in backfill.liquidations] == [g1.key, g2.key]
    snap = replay_snapshot(Config(), rec, 1)  # (the Gate rows are from 2023: outside every window)
    assert snap.liquidations.windows["1h"].count == 3


def test_a_version_1_recording_still_reads(tmp_path: Path) -> None:
    head = {
        "format": "cockpit-recording",
        "version": 1,
        "source": "live",
        "symbol": "BTC/USDT:USDT",
        "symbols": ["BTC/USDT:USDT"],
        "venues": ["htx"],
        "start_ms": 1_000,
        "sources": [["htx", 2.0, False, False]],
    }
    liq = {"at": 2_000, "type": "liq", "ts_ms": 1_500, "venue": "HTX", "symbol": "BTC/USDT:USDT"}
    liq |= {"side": "long", "notional_usd": 100.0, "price": 70_000.0}
    path = tmp_path / "v1.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write("".join(json.dumps(line) + "\n" for line in (head, liq)))
    rec = read_recording(path)
    assert rec.error is None and rec.header.venues == ("htx",)
    ((_, e),) = rec.events
    assert e == LiquidationEvent(1_500, "HTX", "BTC/USDT:USDT", "long", 100.0, 70_000.0) and e.event_id == ""


def test_the_header_does_not_list_the_fear_and_greed_source_as_a_venue() -> None:
    engine = live_engine(Config(), ManualClock(1_781_849_000_000))
    names = [s.name for s in engine.sources]
    fng = next(s for s in engine.sources if isinstance(s, FearGreedSource))
    assert fng.name in names
    assert header_for(engine).venues == tuple(n for n in names if n != fng.name)
    assert fng.name not in header_for(engine).venues
