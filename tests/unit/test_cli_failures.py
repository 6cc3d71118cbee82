"""Issue 14, items 12-14 and 16: input that got a wrong answer or a traceback now gets one line and exit 2.

The CLI is the one place that turns an expected failure into a line; anything unexpected is one line too,
with the traceback in ``crash.log`` under the data directory, never on the terminal.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from cockpit import cli as cli_module
from cockpit.alarms import parse
from cockpit.alarms.model import AlarmError, liq_alarm, price_alarm
from cockpit.cli import main
from cockpit.config import ConfigError, load_config
from cockpit.storage import csv_ohlcv
from cockpit.text.console import dump_json


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse reports from inside parse_args
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The single stderr line of a command that must fail with exit 2 and print nothing else."""
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and err.count("\n") == 1, (code, out, err)
    assert "Traceback" not in err
    return err


def strict_json(text: str) -> Any:
    def reject(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=reject)


# -- item 12: decimal commas --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["75,5", "75.200,50", "1,5k", "80,00", ",5", "7,5,0"])
def test_a_decimal_comma_is_refused_not_misread(text: str) -> None:
    with pytest.raises(AlarmError, match="commas only between thousands"):
        parse.amount(text, "price")


@pytest.mark.parametrize(
    ("text", "value"), [("80,000", 80_000), ("1,250.5", 1250.5), ("$80k", 80_000), ("1,000,000", 1e6)]
)
def test_thousands_separators_still_read(text: str, value: float) -> None:
    assert parse.amount(text, "price") == value


def test_the_cli_refuses_a_decimal_comma(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line(capsys, "alarms", "add", "below", "75,5")
    assert "75,5" in err and "decimals take a dot" in err
    code, out, _ = run(capsys, "alarms", "list")
    assert code == 0 and "no alarms" in out  # nothing stored


# -- item 13: key bindings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ('maximize = "q"', "[keys] maximize: q is already bound to quit"),
        ('help = "a"', "[keys] help: a is already bound to alarm-add"),
        ('maximize = "zz"', "'zz' is not a key"),
        ('maximize = "ctrl+"', "'ctrl+' is not a key"),
        ('maximize = "hyperspace+x"', "'hyperspace+x' is not a key"),
    ],
)
def test_a_bad_or_clashing_key_is_one_line(tmp_path: Path, keys: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[keys]\n{keys}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and f"{path}:2:" in str(err.value)


def test_moved_keys_that_do_not_clash_load(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nquit = "Q"\nmaximize = "q"\nhelp = "f1"\nalarm-add = "ctrl+shift+a"\n')
    assert load_config(path).keys["maximize"] == "q"


# -- item 14: limits that units and pastes went around ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--start", "31d", "--replay", "x.jsonl.gz"],
        ["record", "--out", "x.jsonl.gz", "--seconds", "9999d"],
        ["record", "--out", "x.jsonl.gz", "--seconds", "721h"],
    ],
)
def test_a_duration_with_a_unit_is_bounded(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    err = one_line(capsys, *args)
    assert "at most 30d" in err


def test_thirty_days_with_a_unit_is_accepted() -> None:
    from cockpit.text.arguments import offset

    assert offset("30d") == 30 * 86_400 and offset("1.5h") == 5400


@pytest.mark.parametrize(
    "make",
    [
        lambda: price_alarm(1e308, "above"),
        lambda: price_alarm(2e9, "below"),
        lambda: liq_alarm(1e13, 3600),
    ],
)
def test_alarm_levels_beyond_any_market_are_refused(make: Any) -> None:
    with pytest.raises(AlarmError, match="at most"):
        make()


def test_a_pasted_block_is_quoted_short(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line(capsys, "alarms", "add", "above", "9" * 5_000 + "x")
    assert len(err) < 300


# -- item 16: tracebacks that became one line ---------------------------------------------------------------


def test_deeply_nested_toml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    err = one_line(capsys, "--config", str(path), "analyze")
    assert "nested too deeply" in err


@pytest.mark.parametrize("command", [["rm"], ["mute"], ["history", "--alarm"]])
def test_an_alarm_id_beyond_64_bits_is_one_line(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    err = one_line(capsys, "alarms", *command, str(2**64))
    assert "invalid alarm id" in err


def test_a_full_disk_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is a Linux device")
    err = one_line(capsys, "--demo", "record", "--out", "/dev/full", "--seconds", "60")
    assert "No space left on device" in err


def test_an_endless_config_is_cut_off(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line(capsys, "--config", "/dev/zero", "analyze")
    assert "/dev/zero" in err and "not a config file" in err


def test_an_endless_csv_is_cut_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_ohlcv, "MAX_CSV_BYTES", 1 << 20)  # the same rule at a size a test can afford
    err = one_line(capsys, "analyze", "--csv", "/dev/zero")
    assert "/dev/zero" in err and "larger than 1 MB" in err


def test_serve_on_a_busy_port_says_so_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        if port < 1024:
            pytest.skip("the kernel gave a privileged port")
        err = one_line(capsys, "serve", "--port", str(port))
    assert f"cannot serve on 127.0.0.1:{port}" in err and "serving on" not in err


def test_an_unexpected_failure_is_one_line_and_a_crash_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    def broken(*_: Any) -> int:
        raise ZeroDivisionError("a bug \x1b[2J")

    monkeypatch.setattr(cli_module, "cmd_analyze", broken)
    code, out, err = run(capsys, "analyze")
    assert code == cli_module.EXIT_CRASH and out == "" and err.count("\n") == 1
    assert "internal error: ZeroDivisionError: a bug [2J" in err and "\x1b" not in err
    log = (data_dir / "crash.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log and str(data_dir / "crash.log") in err


def test_json_out_is_strict_json_whatever_the_numbers() -> None:
    import io

    buffer = io.StringIO()
    dump_json({"price": float("nan"), "rows": [float("inf"), 1.5, -float("inf")], "ok": True}, buffer)
    assert strict_json(buffer.getvalue()) == {"price": None, "rows": [None, 1.5, None], "ok": True}


def test_analyze_json_of_prices_near_the_float_limit_stays_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.csv"
    rows = [
        f"{1_700_000_000_000 + i * 3_600_000},1e307,1.7e308,1e306,{1e307 * (1 + i % 7)}" for i in range(60)
    ]
    path.write_text("timestamp,open,high,low,close\n" + "\n".join(rows) + "\n")
    code, out, err = run(capsys, "analyze", "--csv", str(path), "--json")
    if code == 0:
        assert isinstance(strict_json(out), dict)
    else:
        assert code == 2 and out == "" and err.count("\n") == 1


def test_snapshot_json_is_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "snapshot", "--demo", "--json", "--after", "600")
    assert code == 0 and isinstance(strict_json(out)["sources"], list)


def test_a_crash_inside_the_app_is_one_line_and_a_crash_log(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    """Textual would print the traceback with local variables on the terminal; the trader gets one line."""
    import cockpit.ui.app
    import cockpit.wiring
    from cockpit.config import Config
    from cockpit.ui.app import CockpitApp

    class Broken(CockpitApp):
        CSS_PATH = str(Path(cockpit.ui.app.__file__).parent / "cockpit.tcss")

        def on_mount(self) -> None:
            raise RuntimeError("a widget failed")

        def run(self, **_: Any) -> None:
            super().run(headless=True)

    monkeypatch.setattr(cockpit.wiring, "demo_app", lambda *_: Broken(Config(), None))
    assert main(["--demo"]) == cli_module.EXIT_CRASH
    out, err = capfd.readouterr()
    assert err.count("\n") == 1 and "internal error: RuntimeError: a widget failed" in err
    assert "Traceback" not in out + err
    assert "a widget failed" in (data_dir / "crash.log").read_text()
