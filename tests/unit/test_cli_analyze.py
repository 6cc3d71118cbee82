"""End-to-end tests of `cockpit analyze`: run as a subprocess (`python -m cockpit`) and in-process via main().

Expected values (row counts, last close, swing prices) are read from the CSV files with the csv module here,
independently of cockpit's own loader.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cockpit.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "cockpit" / "data" / "sample_btcusd_1h.csv"
BTC_1D = REPO / "tests" / "data" / "btc" / "coinbase_btcusd_1d_2014-12_2019-10.csv"
BTC_1H = REPO / "tests" / "data" / "btc" / "coinbase_btcusd_1h_2017-07_2018-08.csv"

SECTION_KEYS = {"rsi", "swings", "fib", "fvgs", "zones", "scenarios"}
SWING_KEYS = {"index", "kind", "price", "confirmed_index"}
FVG_KEYS = {"index", "kind", "top", "bottom", "confirmed_index", "touched_index", "filled_index"}
FIB_LEVEL_KEYS = {"0", "0.236", "0.382", "0.5", "0.618", "0.786", "1"}
HOUR_S = 3600


# ----------------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty XDG config home, so a config file on the test machine cannot change the results."""
    return tmp_path_factory.mktemp("xdg")


@pytest.fixture()
def isolated(monkeypatch: pytest.MonkeyPatch, no_user_config: Path) -> None:
    """Same isolation for in-process calls of main()."""
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(no_user_config))


def run_cli(
    *args: str, xdg: Path, cwd: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m cockpit ARGS` with the checkout importable whether or not cockpit is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("COCKPIT_CONFIG", None)
    env["XDG_CONFIG_HOME"] = str(xdg)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(cwd or xdg),
        timeout=600,  # a hang guard only, far above any real run
        check=False,
    )


def _no_constants(token: str) -> Any:
    raise AssertionError(f"JSON output contains the non-standard constant {token}")


def parse_json_stdout(stdout: str) -> dict[str, Any]:
    """Exactly one line holding one strict-JSON object (no NaN/Infinity)."""
    assert stdout.endswith("\n")
    assert stdout.count("\n") == 1, "expected a single JSON line"
    obj = json.loads(stdout, parse_constant=_no_constants)
    assert isinstance(obj, dict)
    return obj


def analyze_json(*args: str, xdg: Path) -> dict[str, Any]:
    proc = run_cli("analyze", *args, "--json", xdg=xdg)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return parse_json_stdout(proc.stdout)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Data rows of a CSV as dicts, in file order."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[tuple[Any, ...]], header: str = "ts,open,high,low,close,volume") -> Path:
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows), newline="")
    return path


def hourly_rows(n: int, spacing_s: int = HOUR_S, start: int = 1_500_000_000) -> list[tuple[Any, ...]]:
    """n well-formed bars (epoch seconds) with a gentle zig-zag so swings exist."""
    rows = []
    for i in range(n):
        base = 100.0 + (i % 7) - (i % 3) * 0.5
        rows.append((start + i * spacing_s, base, base + 1.0, base - 1.0, base + 0.25, 10))
    return rows


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Status 2, nothing on stdout, exactly one stderr line containing every needle, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.endswith("\n")
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------------------------- summary


def test_summary_of_bundled_sample_names_every_section_and_the_price(no_user_config: Path) -> None:
    rows = read_rows(SAMPLE)
    last_close = float(rows[-1]["close"])
    proc = run_cli("analyze", xdg=no_user_config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    for section in ("RSI(14)", "Swings", "Fibonacci", "Fair value gaps", "Zones", "Scenarios"):
        assert section in out, section
    assert f"{last_close:,.2f}" in out  # 7,015.01
    assert f"{len(rows):,} 1h bars" in out
    assert str(SAMPLE) in out.splitlines()[0]
    assert "swing length 5" in out


def test_summary_in_process_for_the_daily_file(isolated: None, capsys: pytest.CaptureFixture[str]) -> None:
    rows = read_rows(BTC_1D)
    assert main(["analyze", "--csv", str(BTC_1D)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"{BTC_1D}: {len(rows):,} 1d bars")
    assert f"last close {float(rows[-1]['close']):,.2f}" in out
    assert "swing length 3" in out
    for section in ("RSI(14)", "Fibonacci", "Fair value gaps", "Zones", "Scenarios"):
        assert section in out


def test_summary_of_a_tiny_file_says_what_is_missing(
    tmp_path: Path, isolated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "tiny.csv", hourly_rows(3))
    assert main(["analyze", "--csv", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "RSI(14): warming up" in out
    assert "Fibonacci: fewer than two swings" in out
    assert "Swings: 0 confirmed" in out


# ------------------------------------------------------------------------------------------------- JSON


def test_json_shape_on_bundled_sample(no_user_config: Path) -> None:
    rows = read_rows(SAMPLE)
    high = [float(r["high"]) for r in rows]
    low = [float(r["low"]) for r in rows]
    out = analyze_json(xdg=no_user_config)

    assert out.keys() >= SECTION_KEYS
    assert out["timeframe"] == "1h"
    assert out["swing_length"] == 5
    assert out["rows"] == len(rows) == 2000
    assert out["last_close"] == float(rows[-1]["close"])

    rsi = out["rsi"]
    assert len(rsi) == len(rows)
    assert rsi[:14] == [None] * 14
    assert all(isinstance(v, float) and 0.0 <= v <= 100.0 for v in rsi[14:])

    swings = out["swings"]
    assert swings, "the sample has swings"
    for s in swings:
        assert set(s) == SWING_KEYS
        assert s["kind"] in ("high", "low")
        assert s["price"] == (high if s["kind"] == "high" else low)[s["index"]]
        assert s["confirmed_index"] == s["index"] + 5
    keys = [(s["index"], s["kind"] != "high") for s in swings]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)

    fib = out["fib"]
    assert fib["direction"] in ("up", "down")
    assert set(fib["levels"]) == FIB_LEVEL_KEYS
    assert fib["swing_low"] < fib["swing_high"]
    zero, one = fib["levels"]["0"], fib["levels"]["1"]
    if fib["direction"] == "up":
        assert (zero, one) == (fib["swing_high"], fib["swing_low"])
    else:
        assert (zero, one) == (fib["swing_low"], fib["swing_high"])

    fvgs = out["fvgs"]
    assert fvgs
    for g in fvgs:
        assert set(g) == FVG_KEYS
        assert g["kind"] in ("bullish", "bearish")
        assert g["bottom"] < g["top"]
        assert g["confirmed_index"] == g["index"] + 1
        for key in ("touched_index", "filled_index"):
            assert g[key] is None or g["index"] + 2 <= g[key] < len(rows)
        if g["filled_index"] is not None:
            assert g["touched_index"] is not None and g["touched_index"] <= g["filled_index"]
    assert [g["index"] for g in fvgs] == sorted(g["index"] for g in fvgs)

    assert isinstance(out["zones"], dict) and isinstance(out["scenarios"], dict)
    assert {"all", "support", "resistance"} <= out["zones"].keys()
    assert {"key_support", "bounce", "breakdown", "in_play"} <= out["scenarios"].keys()


def test_json_in_process_equals_subprocess(
    no_user_config: Path, isolated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = analyze_json("--csv", str(BTC_1D), xdg=no_user_config)
    assert main(["analyze", "--csv", str(BTC_1D), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert parse_json_stdout(out) == sub


def test_json_of_a_single_row(tmp_path: Path, no_user_config: Path) -> None:
    path = write_csv(tmp_path / "one.csv", hourly_rows(1))
    out = analyze_json("--csv", str(path), xdg=no_user_config)
    assert out["rows"] == 1
    assert out["rsi"] == [None]
    assert out["swings"] == [] and out["fvgs"] == [] and out["fib"] is None


# ---------------------------------------------------------------------------------------- swing length


def test_swing_length_changes_the_swings(no_user_config: Path) -> None:
    short = analyze_json("--swing-length", "2", xdg=no_user_config)
    long = analyze_json("--swing-length", "8", xdg=no_user_config)
    assert (short["swing_length"], long["swing_length"]) == (2, 8)
    for out, length in ((short, 2), (long, 8)):
        assert all(s["confirmed_index"] == s["index"] + length for s in out["swings"])
    short_set = {(s["index"], s["kind"]) for s in short["swings"]}
    long_set = {(s["index"], s["kind"]) for s in long["swings"]}
    assert len(long_set) < len(short_set)
    # A pivot that beats 8 bars on each side beats the nearest 2 as well.
    assert long_set <= short_set
    # Only the swings (and what is built on them) depend on the length.
    assert short["fvgs"] == long["fvgs"] and short["rsi"] == long["rsi"]


def test_swing_length_overrides_the_config(tmp_path: Path, no_user_config: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[analytics.swing_length]\n"1h" = 3\n')
    proc = run_cli("--config", str(cfg), "analyze", "--json", xdg=no_user_config)
    assert proc.returncode == 0, proc.stderr
    assert parse_json_stdout(proc.stdout)["swing_length"] == 3
    proc = run_cli("--config", str(cfg), "analyze", "--json", "--swing-length", "7", xdg=no_user_config)
    assert proc.returncode == 0, proc.stderr
    assert parse_json_stdout(proc.stdout)["swing_length"] == 7


# ------------------------------------------------------------------------------------------- timeframe


def test_timeframe_inferred_for_sample_and_daily_file(no_user_config: Path) -> None:
    sample = analyze_json(xdg=no_user_config)
    daily = analyze_json("--csv", str(BTC_1D), xdg=no_user_config)
    assert (sample["timeframe"], sample["swing_length"]) == ("1h", 5)
    assert (daily["timeframe"], daily["swing_length"]) == ("1d", 3)


@pytest.mark.parametrize(
    ("spacing_s", "expected"),
    [(60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (14_400, "4h"), (86_400, "1d")],
)
def test_timeframe_inferred_from_bar_spacing(
    tmp_path: Path, isolated: None, capsys: pytest.CaptureFixture[str], spacing_s: int, expected: str
) -> None:
    rows = hourly_rows(40, spacing_s)
    del rows[17]  # one missing bar does not change the median spacing
    path = write_csv(tmp_path / "bars.csv", rows)
    assert main(["analyze", "--csv", str(path), "--json"]) == 0
    out = parse_json_stdout(capsys.readouterr().out)
    assert out["timeframe"] == expected
    defaults = {"1m": 10, "5m": 8, "15m": 6, "1h": 5, "4h": 4, "1d": 3}
    assert out["swing_length"] == defaults[expected]


def test_timeframe_can_be_forced(no_user_config: Path) -> None:
    forced = analyze_json("--timeframe", "4h", xdg=no_user_config)
    assert (forced["timeframe"], forced["swing_length"]) == ("4h", 4)
    both = analyze_json("--csv", str(BTC_1D), "--timeframe", "1h", "--swing-length", "6", xdg=no_user_config)
    assert (both["timeframe"], both["swing_length"]) == ("1h", 6)
    assert all(s["confirmed_index"] == s["index"] + 6 for s in both["swings"])


# ------------------------------------------------------------------------------------------ row order


def _reversed_copy(src: Path, dst: Path, newline: str = "\n", bom: bool = False) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines()
    text = newline.join([lines[0], *reversed([ln for ln in lines[1:] if ln.strip()])]) + newline
    dst.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return dst


@pytest.mark.parametrize("src", [SAMPLE, BTC_1D], ids=["sample-1h", "btc-1d"])
def test_descending_file_gives_identical_json(tmp_path: Path, no_user_config: Path, src: Path) -> None:
    asc = analyze_json("--csv", str(src), xdg=no_user_config)
    desc_path = _reversed_copy(src, tmp_path / "desc.csv")
    desc = analyze_json("--csv", str(desc_path), xdg=no_user_config)
    assert desc.pop("file") == str(desc_path)
    assert asc.pop("file") == str(src)
    assert desc == asc
    # Indexes refer to ascending rows: the first swing's price is that ascending row's high or low.
    rows = read_rows(src)
    s = desc["swings"][0]
    assert s["price"] == float(rows[s["index"]][s["kind"]])


def test_windows_line_endings_and_bom_change_nothing(tmp_path: Path, no_user_config: Path) -> None:
    asc = analyze_json("--csv", str(SAMPLE), xdg=no_user_config)
    path = _reversed_copy(SAMPLE, tmp_path / "excel.csv", newline="\r\n", bom=True)
    other = analyze_json("--csv", str(path), xdg=no_user_config)
    asc.pop("file")
    other.pop("file")
    assert other == asc


# ------------------------------------------------------------------------------------------ bad inputs


def _sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def _bad_file(tmp_path: Path, case: str) -> tuple[Path, list[str]]:
    """A broken copy of the sample and the fragments its error line must contain."""
    lines = _sample_lines()
    path = tmp_path / f"{case}.csv"
    if case == "missing-column":
        header = lines[0].split(",")
        keep = [i for i, h in enumerate(header) if h != "volume"]
        body = [",".join(line.split(",")[i] for i in keep) for line in lines]
        path.write_text("\n".join(body) + "\n")
        return path, ["'volume'", "missing"]
    if case == "non-numeric":
        cells = lines[999].split(",")  # physical line 1000
        cells[4] = "n/a"
        lines[999] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
        return path, ["line 1000", "column 'close'", "'n/a'"]
    if case == "high-below-low":
        cells = lines[6].split(",")  # physical line 7
        cells[2], cells[3] = cells[3], str(float(cells[2]) + 50)
        lines[6] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
        return path, ["line 7", "below low"]
    if case == "empty":
        path.write_text("")
        return path, ["empty"]
    if case == "header-only":
        path.write_text(lines[0] + "\n")
        return path, ["no data rows"]
    if case == "missing-file":
        return tmp_path / "does-not-exist.csv", ["cannot read"]
    if case == "directory":
        path = tmp_path / "a-directory.csv"
        path.mkdir()
        return path, ["cannot read"]
    if case == "not-utf8":
        path.write_bytes(("\n".join(lines[:5]) + "\n").encode() + b"2018-07-01T00:00:00Z,1,\xff,1,1,1\n")
        return path, ["line 6", "UTF-8"]
    raise AssertionError(case)


BAD_FILES = [
    "missing-column",
    "non-numeric",
    "high-below-low",
    "empty",
    "header-only",
    "missing-file",
    "directory",
    "not-utf8",
]


@pytest.mark.parametrize("json_flag", [False, True], ids=["summary", "json"])
@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_csv_is_one_line_naming_the_file(
    tmp_path: Path, no_user_config: Path, case: str, json_flag: bool
) -> None:
    path, needles = _bad_file(tmp_path, case)
    args = ["analyze", "--csv", str(path)] + (["--json"] if json_flag else [])
    proc = run_cli(*args, xdg=no_user_config)
    line = assert_one_line_error(proc, str(path), *needles)
    assert line.startswith("cockpit: ")


@pytest.mark.parametrize("case", ["non-numeric", "empty", "missing-file"])
def test_bad_csv_in_process_returns_2(
    tmp_path: Path, isolated: None, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path, needles = _bad_file(tmp_path, case)
    assert main(["analyze", "--csv", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert str(path) in err and all(n in err for n in needles)


def test_bad_config_file_is_one_line_naming_file_and_line(tmp_path: Path, no_user_config: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[analytics]\nfoo = 1\n")
    proc = run_cli("--config", str(cfg), "analyze", "--json", xdg=no_user_config)
    assert_one_line_error(proc, f"{cfg}:2", "[analytics] foo", "not a known key")


def test_bad_config_from_environment_is_reported_too(tmp_path: Path, no_user_config: Path) -> None:
    cfg = tmp_path / "env-bad.toml"
    cfg.write_text("[analytics]\nrsi_period = 1\n")
    proc = run_cli("analyze", xdg=no_user_config, extra_env={"COCKPIT_CONFIG": str(cfg)})
    assert_one_line_error(proc, f"{cfg}:2", "rsi_period")


def test_invalid_toml_names_file_and_line(tmp_path: Path, no_user_config: Path) -> None:
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[analytics]\nrsi_period = \n")
    proc = run_cli("--config", str(cfg), "analyze", xdg=no_user_config)
    assert_one_line_error(proc, f"{cfg}:2", "invalid TOML")


def test_missing_config_file(tmp_path: Path, no_user_config: Path) -> None:
    cfg = tmp_path / "nope.toml"
    proc = run_cli("--config", str(cfg), "analyze", xdg=no_user_config)
    assert_one_line_error(proc, str(cfg), "cannot read")


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5"])
def test_bad_swing_length_is_one_line(no_user_config: Path, value: str) -> None:
    proc = run_cli("analyze", "--swing-length", value, "--json", xdg=no_user_config)
    assert_one_line_error(proc, "--swing-length", repr(value))


def test_bad_swing_length_in_process_exits_2(isolated: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--swing-length", "0"])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and "--swing-length" in err and "Traceback" not in err


def test_unknown_timeframe_is_one_line(no_user_config: Path) -> None:
    proc = run_cli("analyze", "--timeframe", "2h", xdg=no_user_config)
    assert_one_line_error(proc, "--timeframe", "'2h'")


# ---------------------------------------------------------------------------------------- other shapes


def test_json_into_closed_pipe_is_quiet(no_user_config: Path) -> None:
    """`cockpit analyze --json | head -c 10`: status 0 and nothing on stderr when the reader goes away.

    The JSON of the hourly file is far larger than a pipe buffer, so the writer is still blocked in a write
    when the read end is closed: it must get the broken pipe, not finish before it.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(no_user_config))
    env.pop("COCKPIT_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit", "analyze", "--csv", str(BTC_1H), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=600) == 0, err
    assert head == b'{"file": "'
    assert err == ""


def _csv_text(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def test_extra_columns_and_header_case_are_accepted(tmp_path: Path, no_user_config: Path) -> None:
    rows = read_rows(SAMPLE)
    renamed = [{"Note": "x", **{k.upper(): v for k, v in r.items()}} for r in rows]
    path = tmp_path / "upper.csv"
    path.write_text(_csv_text(renamed), newline="")
    plain = analyze_json(xdg=no_user_config)
    other = analyze_json("--csv", str(path), xdg=no_user_config)
    plain.pop("file")
    other.pop("file")
    assert other == plain
