"""``cockpit --demo --demo-start SECONDS``: the simulated market opened later in its day."""

from __future__ import annotations

import pytest

from cockpit.cli import build_parser
from cockpit.config import Config
from cockpit.sources.demo.market import OPENING_MS
from cockpit.wiring import demo_app


def test_demo_start_defaults_to_the_opening() -> None:
    assert build_parser().parse_args(["--demo"]).demo_start == 0.0


def test_demo_start_parses_seconds_and_rejects_negative(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["--demo", "--demo-start", "8910"]).demo_start == 8910.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--demo", "--demo-start", "-1"])
    assert "invalid number of seconds '-1'" in capsys.readouterr().err


def test_demo_app_clock_starts_that_far_after_the_opening() -> None:
    app = demo_app(Config(), None, 1.0, start_s=3600)
    assert app.engine is not None
    assert OPENING_MS + 3_600_000 <= app.engine.clock.now_ms() < OPENING_MS + 3_605_000
