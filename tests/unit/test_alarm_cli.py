"""`cockpit alarms`: add / list / rm / history / mute / rearm with --json round trips; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cockpit.alarms.model import AlarmFired
from cockpit.alarms.store import AlarmStore
from cockpit.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own store ($COCKPIT_DATA_DIR) and no user config."""
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors exit from inside parse_args
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def js(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


ADD_EXAMPLES: list[tuple[list[str], dict[str, Any]]] = [
    (
        ["above", "80000", "--note", "reclaim"],
        {"kind": "price", "direction": "above", "level": 80_000.0, "note": "reclaim", "once": None},
    ),
    (["below", "72000", "--once"], {"kind": "price", "direction": "below", "level": 72_000.0, "once": True}),
    (
        ["zone", "74000", "75000", "--on", "enter"],
        {"kind": "zone", "low": 74_000.0, "high": 75_000.0, "on": "enter"},
    ),
    (
        ["level", "fib 0.618", "--direction", "below"],
        {"kind": "level", "ref": "fib 0.618", "direction": "below"},
    ),
    (
        ["liq", "100e6", "--window", "1h", "--side", "long"],
        {"kind": "liq", "level": 100e6, "window_s": 3600, "side": "long"},
    ),
    (["fng", "--at-or-below", "20"], {"kind": "fng", "direction": "below", "level": 20.0}),
    (
        ["rsi", "30", "--timeframe", "1h", "--direction", "below"],
        {"kind": "rsi", "level": 30.0, "timeframe": "1h", "direction": "below"},
    ),
    (
        ["liq", "$250M", "--window", "90", "--rearm", "--cooldown", "300"],
        {"window_s": 5400, "level": 250e6, "once": False, "cooldown_s": 300.0},
    ),
    (
        ["above", "80k", "--hysteresis", "0.2", "--muted"],
        {"level": 80_000.0, "hysteresis_pct": 0.2, "muted": True},
    ),
    # The instrument: the config's [live] symbol unless named; a liquidation alarm the coin, or --market.
    (["below", "3000", "--symbol", "ETH/USDT:USDT"], {"symbol": "ETH/USDT:USDT", "level": 3000.0}),
    (
        ["liq", "5M", "--symbol", "ETH/USDT:USDT"],
        {"symbol": "ETH/USDT:USDT", "description": "ETH liquidations 1h > $5M"},
    ),
    (["liq", "100M", "--market"], {"symbol": "market", "description": "market liquidations 1h > $100M"}),
]


def test_add_list_rm_round_trip(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = []
    for args, expected in ADD_EXAMPLES:
        a = js(capsys, "alarms", "add", *args)
        assert {k: a[k] for k in expected} == expected, args
        added.append(a)
    assert [a["id"] for a in added] == list(range(1, len(ADD_EXAMPLES) + 1))
    assert added[0]["effective"] == {"once": False, "cooldown_s": 60.0, "hysteresis_pct": 0.05}
    assert added[4]["description"] == "BTC liquidations 1h > $100M (long)"
    assert [a["symbol"] for a in added[:9]] == ["BTC/USDT:USDT"] * 5 + ["market"] + ["BTC/USDT:USDT"] * 3
    listed = js(capsys, "alarms", "list")
    assert listed == added
    assert js(capsys, "alarms", "rm", "2", "5") == {"removed": [2, 5]}
    left = [i for i in range(1, len(ADD_EXAMPLES) + 1) if i not in (2, 5)]
    assert [a["id"] for a in js(capsys, "alarms", "list")] == left
    code, out, _ = cli(capsys, "alarms", "list")
    assert code == 0 and "BTC/USDT:USDT price above 80,000" in out and "“reclaim”" in out
    assert len(out.splitlines()) == len(left)
    code, out, _ = cli(capsys, "alarms", "add", "below", "70000")
    assert (code, out) == (0, f"added alarm {len(ADD_EXAMPLES) + 1}: BTC/USDT:USDT price below 70,000\n")
    assert (data_dir / "alarms.db").exists()


def test_mute_unmute_rearm_and_history(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = js(capsys, "alarms", "add", "above", "80000", "--once")
    with AlarmStore(data_dir / "alarms.db") as store:  # what a running cockpit records
        store.record_firings(
            [
                AlarmFired(
                    a["id"],
                    1_770_040_800_000,
                    "price",
                    "price above 80,000",
                    "",
                    80_001.0,
                    79_999.0,
                    80_000.0,
                    80_001.0,
                    79_999.0,
                    final=True,
                )
            ]
        )
    (h,) = js(capsys, "alarms", "history")
    assert (h["alarm_id"], h["ts_ms"], h["value"], h["prev_value"]) == (
        a["id"],
        1_770_040_800_000,
        80_001.0,
        79_999.0,
    )
    assert h["title"] == "cockpit alarm #1" and h["body"] == "price above 80,000: 80,001"
    code, out, _ = cli(capsys, "alarms", "history", "--limit", "5")
    assert code == 0 and out.startswith("2026-02-02 14:00:00Z  #1") and "(from 79999)" in out
    assert js(capsys, "alarms", "list")[0]["done"] is True
    (r,) = js(capsys, "alarms", "rearm", "1")
    assert (r["done"], r["rev"], r["fired_count"]) == (False, 2, 1)
    assert js(capsys, "alarms", "mute", "1")[0]["muted"] is True
    assert js(capsys, "alarms", "unmute", "1")[0]["muted"] is False
    assert js(capsys, "alarms", "history", "--alarm", "2") == []


def test_demo_and_config_select_other_stores(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    js(capsys, "--demo", "alarms", "add", "above", "1")
    assert (data_dir / "alarms-demo.db").exists() and not (data_dir / "alarms.db").exists()
    conf = tmp_path / "conf" / "config.toml"
    conf.parent.mkdir()
    conf.write_text('[alarms]\nstore = "mine.db"\n')
    js(capsys, "alarms", "add", "below", "2", "--config", str(conf))
    assert [a["level"] for a in js(capsys, "--config", str(conf), "alarms", "list")] == [2.0]
    assert (conf.parent / "mine.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "above", "abc"], "argument PRICE: invalid price 'abc': expected a number"),
        (["add", "above", "-5"], "invalid price '-5': must be > 0"),
        (["add", "zone", "75000", "74000"], "cockpit: zone low 75000 must be below zone high 74000"),
        (["add", "level", "fib 9", "--direction", "above"], "argument REF: unknown level 'fib 9'"),
        (["add", "level", "support"], "the following arguments are required: --direction"),
        (["add", "liq", "1e6", "--window", "25h"], "invalid window '25h'"),
        (["add", "liq", "1e6", "--side", "both"], "argument --side: invalid choice: 'both'"),
        (["add", "fng"], "one of the arguments --at-or-below --at-or-above is required"),
        (["add", "fng", "--at-or-below", "101"], "invalid index value '101': must be in [0, 100]"),
        (["add", "rsi", "30", "--timeframe", "2h", "--direction", "below"], "invalid choice: '2h'"),
        (["add", "above", "1", "--once", "--rearm"], "argument --rearm: not allowed with argument --once"),
        (["add", "above", "1", "--cooldown", "x"], "invalid cooldown 'x'"),
        (["add", "sideways", "1"], "invalid choice: 'sideways'"),
        (
            ["add", "liq", "1e6", "--market", "--symbol", "X/USDT:USDT"],
            "--symbol: not allowed with argument --market",
        ),
        (["add", "above", "1", "--market"], "unrecognized arguments: --market"),
        (
            ["add", "fng", "--at-or-below", "20", "--symbol", "X/USDT:USDT"],
            "unrecognized arguments: --symbol",
        ),
        (
            ["add", "above", "1", "--symbol", "market"],
            "cockpit: a price alarm watches one instrument, not the whole",
        ),
        (
            ["add", "above", "1", "--symbol", "BTC USDT"],
            "cockpit: symbol must be a market such as BTC/USDT:USDT",
        ),
        (["rm", "7"], "cockpit: no alarm with id 7"),
        (["rm", "x"], "invalid alarm id 'x'"),
        (["mute", "3"], "cockpit: no alarm with id 3"),
        (["history", "--limit", "0"], "invalid limit '0'"),
        ([], "the following arguments are required: ACTION"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = cli(capsys, "alarms", *args)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert message in lines[0] and "Traceback" not in err


def test_bad_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "alarms.db").write_bytes(b"not sqlite " * 200)
    env = {"COCKPIT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "cockpit", "alarms", "list"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith(f"cockpit: {tmp_path / 'alarms.db'}: ")
