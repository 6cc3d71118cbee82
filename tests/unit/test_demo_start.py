"""``cockpit --demo --demo-start SECONDS``: the simulated market opened later in its day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cockpit.cli import build_parser, main
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.recording.format import read_recording
from cockpit.sources.demo.market import OPENING_MS
from cockpit.wiring import demo_app


def test_demo_start_defaults_to_the_opening() -> None:
    assert build_parser().parse_args(["--demo"]).demo_start == 0.0


def test_demo_start_parses_seconds_and_rejects_negative(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["--demo", "--demo-start", "8910"]).demo_start == 8910.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--demo", "--demo-start", "-1"])
    assert "invalid number of seconds '-1'" in capsys.readouterr().err
    assert build_parser().parse_args(["--demo", "--demo-start", "2.5h"]).demo_start == 9000.0


def test_demo_app_clock_starts_that_far_after_the_opening() -> None:
    app = demo_app(Config(), None, 1.0, start_s=3600)
    assert isinstance(app.engine, Engine)
    assert OPENING_MS + 3_600_000 <= app.engine.clock.now_ms() < OPENING_MS + 3_605_000


# Issue 16 item 10: the same flag before or after the subcommand, with the same effect.


def snapshot_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_snapshot_takes_demo_start_before_or_after_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    opening = snapshot_json(capsys, "snapshot", "--demo", "--json")
    before = snapshot_json(capsys, "--demo-start", "30m", "snapshot", "--demo", "--json")
    after = snapshot_json(capsys, "snapshot", "--demo", "--demo-start", "1800", "--json")
    assert before == after
    assert before["as_of_ms"] == opening["as_of_ms"] + 1_800_000
    assert before["price"] != opening["price"]  # the market moved: the flag was not ignored


def test_record_takes_demo_start_and_records_from_there(tmp_path: Path) -> None:
    path = tmp_path / "later.jsonl.gz"
    argv = ["record", "--demo", "--demo-start", "2h", "--seconds", "5m", "--out", str(path)]
    assert main(argv) == 0
    rec = read_recording(path)
    assert rec.header.start_ms == OPENING_MS + 7_200_000
    assert rec.end_ms == OPENING_MS + 7_200_000 + 300_000
