"""Issue 14, item 1: no text from outside the program reaches a terminal with its control characters.

The note from the report (`a ESC]2;PWNED BEL b ESC[2J ESC[5;5H ZZZZ`) retitled the pane, cleared the screen
and drew at row 5. It is cleaned where it enters (alarm input, venue and API text, config, recordings)
and again where the command line prints.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cockpit.alarms.model import AlarmFired, price_alarm
from cockpit.cli import main
from cockpit.engine.engine import Engine
from cockpit.models import SourceError
from cockpit.sources.fear_greed import parse_fng
from cockpit.storage.csv_ohlcv import CsvError, load_ohlcv_csv
from cockpit.text.console import echo, say
from cockpit.text.safety import printable, printable_lines, shorten
from tests.unit.test_source_health import STREAM, Scripted, engine_of, status

EVIL = "a\x1b]2;PWNED\x07b\x1b[2J\x1b[5;5HZZZZ"
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # would write "rm -rf ~" to the clipboard
CONTROLS = "\x1b\x07\x00\x9b\x90\x9d\x7f\u202e"  # ESC BEL NUL, C1 CSI/DCS/OSC, DEL, a bidi override


def acts_on_a_terminal(text: str) -> bool:
    return any(ch in text for ch in CONTROLS)


def test_printable_drops_every_control_and_keeps_the_text() -> None:
    assert printable(EVIL) == "a]2;PWNEDb[2J[5;5HZZZZ"
    assert printable(OSC52 + "ok") == "]52;c;cm0gLXJmIH4=ok"
    assert printable("long\tshort\r\nnext") == "long short  next"
    assert printable("price \u202e000,08") == "price 000,08"
    assert printable("Extreme Fear ₿ 日本 é") == "Extreme Fear ₿ 日本 é"
    assert printable_lines("one\x1b[2J\ntwo") == "one[2J\ntwo"
    assert shorten("x" * 500, 10) == "x" * 9 + "…" and shorten("ok\x07", 10) == "ok"


def test_an_alarm_note_is_stored_and_fired_without_controls() -> None:
    alarm = price_alarm(80_000, "above", note=EVIL)
    assert alarm.note == "a]2;PWNEDb[2J[5;5HZZZZ"
    fired = AlarmFired(1, 0, "price", "price above 80,000", EVIL + OSC52, 80_001, 79_999, 80_000, 1, 1)
    assert not acts_on_a_terminal(fired.note + fired.body + fired.description)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    return tmp_path


def test_the_cli_lists_a_hostile_note_as_text(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alarms", "add", "above", "80000", "--note", EVIL + OSC52]) == 0
    assert main(["alarms", "list"]) == 0
    assert main(["alarms", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "PWNED" in out and "ZZZZ" in out
    assert not acts_on_a_terminal(out + err)


def test_the_cli_printer_cleans_what_slips_past_the_entry(capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.StringIO()
    echo("line one\x1b[2J\nline two " + OSC52, buffer)
    say("failed: " + EVIL)
    assert buffer.getvalue() == "line one[2J\nline two ]52;c;cm0gLXJmIH4=\n"
    err = capsys.readouterr().err
    assert err == "cockpit: failed: a]2;PWNEDb[2J[5;5HZZZZ\n"


def test_fear_and_greed_text_enters_clean() -> None:
    payload = {"data": [{"value": "14", "value_classification": EVIL, "timestamp": "1769913600"}]}
    readings, _ = parse_fng(payload)
    assert readings[0].label == "a]2;PWNEDb[2J[5;5HZZZZ"[:40]


def test_a_source_error_quoting_a_venue_reaches_the_snapshot_clean() -> None:
    engine, clock = engine_of(Scripted("binanceusdm", "Binance", STREAM))
    error = SourceError("binanceusdm", clock.now_ms(), "bad gateway: " + EVIL, task="x", feed="ticker")
    shown = status(engine, "binanceusdm", error)
    assert shown.state == "error" and shown.error is not None and "PWNED" in shown.error
    assert not acts_on_a_terminal(shown.error)
    assert isinstance(engine, Engine)


@pytest.mark.parametrize(
    "toml",
    [
        'theme = "dark\x1b]2;PWNED\x07"',  # a value
        '"th\x1b[2Jeme" = "dark"',  # a key
    ],
)
def test_config_errors_never_echo_control_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[ui]\n" + toml.replace("\x1b", "\\u001b").replace("\x07", "\\u0007") + "\n")
    assert main(["--config", str(path), "analyze"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and str(path) in err
    assert not acts_on_a_terminal(err)


def test_a_csv_error_never_echoes_control_bytes(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(f"time{EVIL},open,high,low,close\n1,2,3,1,2\n")
    with pytest.raises(CsvError) as err:
        load_ohlcv_csv(str(path))
    assert "\n" not in str(err.value) and not acts_on_a_terminal(str(err.value))
