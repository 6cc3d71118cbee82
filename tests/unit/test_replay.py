"""Recordings: record the simulated market, replay it, and get the same snapshots at the same instants;
truncated and corrupted files name the bad line and the good prefix still replays."""

from __future__ import annotations

import gzip
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cockpit.cli import main
from cockpit.config import Config
from cockpit.recording.format import RecordingError, read_recording
from cockpit.recording.replay import ReplayClock
from cockpit.reports.snapshot_json import snapshot_to_json
from cockpit.wiring import demo_snapshot, record_demo, replay_engine, replay_snapshot

SEED = 7
MINUTES = 30


@cache
def config() -> Config:
    return Config()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "demo.jsonl.gz"
    assert record_demo(config(), SEED, MINUTES * 60, path) > MINUTES
    return path


def as_json(snap: Any) -> dict[str, Any]:
    return snapshot_to_json(snap, config().ui.rsi_timeframe)


def lines(path: Path) -> list[str]:
    with gzip.open(path, "rt") as f:
        return f.read().splitlines(keepends=True)


def write_lines(path: Path, text: list[str]) -> Path:
    with gzip.open(path, "wt") as f:
        f.write("".join(text))
    return path


@pytest.mark.parametrize("after_s", [0, 60, 600, MINUTES * 60])
def test_round_trip_snapshots_identical(recorded: Path, after_s: int) -> None:
    rec = read_recording(recorded)
    assert rec.error is None
    live = as_json(demo_snapshot(config(), SEED, after_s))
    replayed = as_json(replay_snapshot(config(), rec, after_s))
    assert json.dumps(replayed, sort_keys=True) == json.dumps(live, sort_keys=True)


def test_header_names_source_venues_symbols_start(recorded: Path) -> None:
    head = json.loads(lines(recorded)[0])
    assert head["format"] == "cockpit-recording" and head["version"] == 2
    assert (
        head["source"] == "demo" and head["venues"] == ["simulator"] and head["symbols"] == ["BTC/USDT:USDT"]
    )
    assert isinstance(head["start_ms"], int)
    rec = read_recording(recorded)
    assert rec.header.simulated and rec.header.start_ms == head["start_ms"]
    kinds = {json.loads(line)["type"] for line in lines(recorded)[1:]}
    assert {"backfill", "tick", "candle", "liq", "cover"} <= kinds
    simulator = next(s for s in rec.header.sources if s.name == "simulator")
    # The recording follows BTC; the simulator's liquidations (and ticks) cover its whole market, BTC first.
    assert simulator.venues and simulator.symbols[0] == "BTC/USDT:USDT" and len(simulator.symbols) >= 15
    assert {json.loads(line).get("symbol") for line in lines(recorded)[1:]} >= set(simulator.symbols)


def test_truncated_file_keeps_the_good_prefix(recorded: Path, tmp_path: Path) -> None:
    raw = recorded.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(raw[: len(raw) - 3000])
    rec = read_recording(cut)
    assert rec.error is not None and str(cut) in rec.error and "truncated" in rec.error
    assert 0 < len(rec.events) < len(read_recording(recorded).events)
    end_s = (rec.end_ms - rec.header.start_ms) / 1000
    assert replay_snapshot(config(), rec, end_s).price is not None


def test_half_written_last_line_is_named(recorded: Path, tmp_path: Path) -> None:
    text = lines(recorded)
    bad = write_lines(tmp_path / "half.jsonl.gz", [*text[:20], text[20][:15]])
    rec = read_recording(bad)
    assert rec.error == f"{bad}:21: truncated line (the recording stopped mid-write)"
    assert len(rec.events) == 19


def test_corrupted_line_is_named_and_prefix_replays(recorded: Path, tmp_path: Path) -> None:
    text = lines(recorded)
    bad = write_lines(
        tmp_path / "bad.jsonl.gz", [*text[:10], '{"at": 1, "type": "tick", "price": "x"}\n', *text[10:]]
    )
    rec = read_recording(bad)
    assert rec.error is not None and rec.error.startswith(f"{bad}:11: bad event:")
    assert len(rec.events) == 9
    garbage = write_lines(tmp_path / "garbage.jsonl.gz", [*text[:5], "{not json\n"])
    assert read_recording(garbage).error.startswith(f"{garbage}:6: bad event: not JSON")  # type: ignore[union-attr]


def test_bad_header_and_missing_file_raise_one_line(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"nope.gz: no such file"):
        read_recording(tmp_path / "nope.gz")
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text("hello\n")
    with pytest.raises(RecordingError, match=r"plain.jsonl.gz:1: not a gzip cockpit recording"):
        read_recording(plain)
    other = write_lines(tmp_path / "other.gz", ['{"format": "x"}\n'])
    with pytest.raises(RecordingError, match=r"other.gz:1: bad header: not a cockpit recording"):
        read_recording(other)


def test_player_plays_pauses_seeks_and_rewinds(recorded: Path) -> None:
    rec = read_recording(recorded)
    clock = ReplayClock(rec.header.start_ms, speed=1.0)
    clock.set_paused(True)
    engine, player = replay_engine(config(), rec, clock)
    assert player is not None and engine.replay is player
    player.step(engine.emit)
    assert engine.snapshot().replay.position_s == 0  # type: ignore[union-attr]
    player.seek_by(600)
    player.step(engine.emit)
    # One batch instead of one per recorded instant: same events, sums may differ in the last bits.
    forward, expected = as_json(engine.snapshot()), as_json(replay_snapshot(config(), rec, 600))
    assert forward["price"] == expected["price"] and forward["as_of_ms"] == expected["as_of_ms"]
    assert forward["liquidations"]["1h"]["count"] == expected["liquidations"]["1h"]["count"]
    player.seek_by(-300)
    player.step(engine.emit)
    snap = engine.snapshot()
    assert snap.replay is not None and snap.replay.position_s == 300 and snap.replay.paused
    assert snap.price == replay_snapshot(config(), rec, 300).price
    player.change_speed(10)
    assert player.info().speed == 10


def test_cli_record_then_snapshot_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config-home"))
    out = tmp_path / "cli.jsonl.gz"
    assert main(["record", "--demo", "--seed", str(SEED), "--seconds", "10m", "--out", str(out)]) == 0
    assert "recorded" in capsys.readouterr().err
    assert main(["snapshot", "--replay", str(out), "--after", "600", "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed == as_json(demo_snapshot(config(), SEED, 600))
    cut = tmp_path / "cut.jsonl.gz"
    shutil.copy(out, cut)
    cut.write_bytes(out.read_bytes()[:-200])
    assert main(["snapshot", "--replay", str(cut), "--after", "600", "--json"]) == 0
    assert f"cockpit: {cut}:" in capsys.readouterr().err
    assert main(["snapshot", "--replay", str(tmp_path / "none.gz"), "--json"]) == 2
    assert capsys.readouterr().err.strip().endswith("none.gz: no such file")


def test_attach_recorder_writes_what_the_engine_receives(tmp_path: Path) -> None:
    from cockpit.recording.recorder import attach_recorder
    from cockpit.sources.clock import ManualClock
    from cockpit.sources.demo.market import OPENING_MS
    from cockpit.wiring import demo_engine, demo_steps

    clock = ManualClock(OPENING_MS)
    engine = demo_engine(config(), SEED, clock)
    writer = attach_recorder(engine, tmp_path / "tap.jsonl.gz")
    for _ in demo_steps(engine, clock, 300):
        pass
    writer.close()
    rec = read_recording(tmp_path / "tap.jsonl.gz")
    assert rec.error is None and len(rec.events) == writer.count > 5
    assert as_json(replay_snapshot(config(), rec, 300)) == as_json(engine.snapshot())


def test_a_failing_recorder_never_stops_the_sources() -> None:
    from cockpit.analytics.liquidations import LiquidationEvent
    from cockpit.engine.engine import Engine
    from cockpit.sources.clock import ManualClock

    engine = Engine(config(), [], ManualClock(10_000), symbol="X", kind="live")

    def broken(_: object) -> None:
        raise OSError("No space left on device")

    engine.taps.append(broken)
    engine.emit(LiquidationEvent(1, "v", "X", "long", 10.0, 1.0))
    engine.emit(LiquidationEvent(2, "v", "X", "long", 10.0, 1.0))
    assert engine.taps == [] and engine.tap_error == "OSError: No space left on device"
    snap = engine.snapshot()
    assert snap.liquidations.windows["1h"].count == 2 and snap.record_error == engine.tap_error


def test_a_replayed_demo_recording_keeps_the_simulator_ok_every_second(recorded: Path) -> None:
    # Issue 16 item 14: the status bar flipped between "simulator ok" and "simulator stale" in a replay. The
    # replay's clock judges staleness; it must find the source alive at every second the simulator was.
    from cockpit.sources.clock import ManualClock

    rec = read_recording(recorded)
    clock = ManualClock(rec.header.start_ms)
    engine, _ = replay_engine(config(), rec, clock)
    events = iter(rec.events)
    pending = next(events, None)
    states = []
    for now in range(rec.header.start_ms, rec.end_ms + 1, 500):  # the player's own steps are finer still
        clock.ms = now
        while pending is not None and pending[0] <= now:
            engine.emit(pending[1])
            pending = next(events, None)
        engine.drain()
        states.append(engine.snapshot().sources[0].state)
    assert set(states[4:]) == {"ok"}, sorted(set(states))  # after the first couple of seconds of start-up
