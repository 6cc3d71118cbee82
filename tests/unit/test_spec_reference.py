"""`cockpit analyze --json` against deliberately naive reference implementations written from the spec.

The references below are plain loops over Python lists, written straight from the definitions (no numpy,
nothing imported from cockpit.analytics), so a clever vectorised implementation and a naive one have to agree
exactly:

* Swings, length L: a swing high at i when high[i] is strictly above each of the L highs before and not below
  any of the L highs after (mirror for lows), only for L <= i <= n-1-L; confirmed at i + L; ordered by index,
  a high before a low on the same bar.
* Fibonacci: the swing list reduced to alternating kinds (in a same-kind run keep the highest high / lowest
  low, the later on ties); the last two give the move. Up (low then high): level(r) = high - r*(high-low);
  down (high then low): level(r) = low + r*(high-low).
* Fair value gaps: bullish at middle candle i when low[i+1] > high[i-1] (bottom high[i-1], top low[i+1]);
  bearish when high[i+1] < low[i-1] (bottom high[i+1], top low[i-1]); confirmed at i+1; touched / filled at
  the first j >= i+2 whose wick reaches the near / far edge; None when not yet.
* RSI: TA-Lib's RSI(close, 14).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.cli import main
from tests.reference import requires_talib, talib

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "btc"
BTC_1H = DATA / "coinbase_btcusd_1h_2017-07_2018-08.csv"
BTC_1D = DATA / "coinbase_btcusd_1d_2014-12_2019-10.csv"

RATIOS: tuple[tuple[str, float], ...] = (
    ("0", 0.0),
    ("0.236", 0.236),
    ("0.382", 0.382),
    ("0.5", 0.5),
    ("0.618", 0.618),
    ("0.786", 0.786),
    ("1", 1.0),
)


# ----------------------------------------------------------------------------------- reference versions


def ref_swings(high: list[float], low: list[float], length: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n = len(high)
    for i in range(length, n - length):  # L <= i <= n-1-L
        is_high = True
        is_low = True
        for j in range(i - length, i):
            if not high[i] > high[j]:
                is_high = False
            if not low[i] < low[j]:
                is_low = False
        for j in range(i + 1, i + length + 1):
            if high[i] < high[j]:
                is_high = False
            if low[i] > low[j]:
                is_low = False
        if is_high:
            out.append({"index": i, "kind": "high", "price": high[i], "confirmed_index": i + length})
        if is_low:
            out.append({"index": i, "kind": "low", "price": low[i], "confirmed_index": i + length})
    return out


def ref_alternating(swings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in swings:
        if out and out[-1]["kind"] == s["kind"]:
            last = out[-1]
            if s["kind"] == "high" and s["price"] >= last["price"]:
                out[-1] = s
            if s["kind"] == "low" and s["price"] <= last["price"]:
                out[-1] = s
        else:
            out.append(s)
    return out


def ref_fib(swings: list[dict[str, Any]]) -> dict[str, Any] | None:
    alt = ref_alternating(swings)
    if len(alt) < 2:
        return None
    start, end = alt[-2], alt[-1]
    levels: dict[str, float] = {}
    if start["kind"] == "low":
        high, low = end["price"], start["price"]
        for key, r in RATIOS:
            levels[key] = high - r * (high - low)
        direction = "up"
    else:
        high, low = start["price"], end["price"]
        for key, r in RATIOS:
            levels[key] = low + r * (high - low)
        direction = "down"
    return {
        "direction": direction,
        "swing_high": high,
        "swing_low": low,
        "start_index": start["index"],
        "end_index": end["index"],
        "levels": levels,
    }


def ref_fvgs(high: list[float], low: list[float]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n = len(high)
    for i in range(1, n - 1):
        if low[i + 1] > high[i - 1]:
            kind, bottom, top = "bullish", high[i - 1], low[i + 1]
        elif high[i + 1] < low[i - 1]:
            kind, bottom, top = "bearish", high[i + 1], low[i - 1]
        else:
            continue
        touched = None
        filled = None
        for j in range(i + 2, n):
            if kind == "bullish":
                near, far = low[j] <= top, low[j] <= bottom
            else:
                near, far = high[j] >= bottom, high[j] >= top
            if near and touched is None:
                touched = j
            if far and filled is None:
                filled = j
            if touched is not None and filled is not None:
                break
        out.append(
            {
                "index": i,
                "kind": kind,
                "top": top,
                "bottom": bottom,
                "confirmed_index": i + 1,
                "touched_index": touched,
                "filled_index": filled,
            }
        )
    return out


# --------------------------------------------------------------------------------------------- helpers


def read_hlc(path: Path) -> tuple[list[float], list[float], list[float]]:
    """High, low, close of an ascending CSV, parsed here with the csv module."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stamps = [r["ts"] for r in rows]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "reference data must be ascending"
    return (
        [float(r["high"]) for r in rows],
        [float(r["low"]) for r in rows],
        [float(r["close"]) for r in rows],
    )


def cli_json(path: Path, *extra: str, cwd: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("COCKPIT_CONFIG", None)
    env["XDG_CONFIG_HOME"] = str(cwd)  # empty: no user config can interfere
    proc = subprocess.run(
        [sys.executable, "-m", "cockpit", "analyze", "--csv", str(path), "--json", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(cwd),
        timeout=600,  # hang guard only
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def assert_fib_equal(got: dict[str, Any] | None, want: dict[str, Any] | None) -> None:
    if want is None:
        assert got is None
        return
    assert got is not None
    for key in ("direction", "swing_high", "swing_low", "start_index", "end_index"):
        assert got[key] == want[key], key
    assert list(got["levels"]) == [k for k, _ in RATIOS]
    for key, price in want["levels"].items():
        assert abs(got["levels"][key] - price) <= 1e-9, (key, got["levels"][key], price)


def assert_rsi_matches_talib(got: list[float | None], close: list[float]) -> None:
    assert talib is not None
    want = talib.RSI(np.array(close, dtype=np.float64), timeperiod=14)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if math.isnan(w):
            assert g is None, i
        else:
            assert g is not None and abs(g - w) <= 1e-9, (i, g, w)


def first_difference(got: list[Any], want: list[Any]) -> str:
    for k, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            return f"item {k}: got {g}, want {w}"
    return f"lengths differ: got {len(got)}, want {len(want)}"


def check_against_reference(out: dict[str, Any], path: Path, length: int) -> None:
    high, low, close = read_hlc(path)
    assert out["rows"] == len(high)
    assert out["swing_length"] == length
    swings = ref_swings(high, low, length)
    assert out["swings"] == swings, first_difference(out["swings"], swings)
    assert_fib_equal(out["fib"], ref_fib(swings))
    gaps = ref_fvgs(high, low)
    assert out["fvgs"] == gaps, first_difference(out["fvgs"], gaps)
    if talib is not None:  # else test_real_files_rsi_matches_talib reports the skip and why
        assert_rsi_matches_talib(out["rsi"], close)


# -------------------------------------------------------------------------------------- the real files


@pytest.mark.parametrize("length", [None, 1, 2, 13])
def test_real_hourly_file_matches_reference(tmp_path: Path, length: int | None) -> None:
    extra = [] if length is None else ["--swing-length", str(length)]
    out = cli_json(BTC_1H, *extra, cwd=tmp_path)
    assert out["rows"] == 10_237
    assert out["timeframe"] == "1h"
    check_against_reference(out, BTC_1H, 5 if length is None else length)
    assert len(out["swings"]) > 100 and len(out["fvgs"]) > 100  # the comparison is not vacuous


@pytest.mark.parametrize("length", ["3", "1", "7"])
def test_real_daily_file_matches_reference(tmp_path: Path, length: str) -> None:
    out = cli_json(BTC_1D, "--swing-length", length, cwd=tmp_path)
    assert out["timeframe"] == "1d"
    check_against_reference(out, BTC_1D, int(length))


@requires_talib
def test_real_files_rsi_matches_talib(tmp_path: Path) -> None:
    # The hourly file's RSI column against TA-Lib (the tests above also check it where TA-Lib is installed).
    out = cli_json(BTC_1H, cwd=tmp_path)
    assert_rsi_matches_talib(out["rsi"], read_hlc(BTC_1H)[2])


# ------------------------------------------------------------------------------ hand-worked small files

# Twenty hourly bars (high, low); close is the middle of the bar. Worked by hand with swing length 2:
#
#  i   high   low     swings (L=2)                                      gaps
#  0   10     9
#  1   11     10                                                        bull @1: low[2]=12 > high[0]=10
#  2   15     12      HIGH 15: > 10, 11 before; >= 13, 12 after
#  3   13     11                                                        (high[4]=12 == low[2]=12: no gap)
#  4   12     10      (low 10 < 12, 11 but 9.5 follows: no)
#  5   14     9.5     (high 14 > 13, 12 but 15 follows: no)
#  6   15     9       HIGH 15 (ties the one at 2; later kept in the run)
#  7   13     10.5
#  8   12     8                                                         bear @8: high[9]=10 < low[7]=10.5
#  9   10     7       LOW 7: < 10.5, 8 before; <= 7.5, 8 after
# 10   10     7.5     (high 10 not > high[9]=10)
# 11   11     8       (high 11 > 10, 10 and >= 11, but 11.5 follows: no)
# 12   11     9       (high 11 not strictly above high[11]=11)
# 13   11.5   8.2     (low 8.2 not < low[11]=8)
# 14   11     7.8     LOW 7.8: < 9, 8.2 before; <= 8.5, 9 after (above 7: the run keeps 7)
# 15   12     8.5
# 16   13     9                                                         bull @16: low[17]=12.5 > high[15]=12
# 17   16     12.5    HIGH 16: > 12, 13 before; >= 14, 12.4 after
# 18   14     12.2                                                      bear @18: high[19]=12.4 < low[17]=12.5
# 19   12.4   12.1
#
# Gap outcomes (j >= i+2):
#   bull @1  [10, 12]:     low[3]=11 <= 12 touched 3;   low[4]=10 <= 10 filled 4.
#   bear @8  [10, 10.5]:   high[10]=10 >= 10 touched 10; high[11]=11 >= 10.5 filled 11.
#   bull @16 [12, 12.5]:   low[18]=12.2 <= 12.5 touched 18; lows 12.2, 12.1 never <= 12: not filled.
#   bear @18 [12.4, 12.5]: no bar after 19 yet: neither.
# Alternating: H2, H6 -> H6 (tie, later); L9, L14 -> L9 (7 < 7.8); H17. Last two L9 -> H17: up-move,
#   high 16, low 7, span 9: level(r) = 16 - 9r.
# The first 12 bars alone: swings H2, H6, L9 (L9 still has bars 10 and 11 after it), gaps @1 and @8 as
#   above; alternating H6, L9: down-move, high 15, low 7, span 8: level(r) = 7 + 8r.
HAND_BARS: list[tuple[float, float]] = [
    (10, 9),
    (11, 10),
    (15, 12),
    (13, 11),
    (12, 10),
    (14, 9.5),
    (15, 9),
    (13, 10.5),
    (12, 8),
    (10, 7),
    (10, 7.5),
    (11, 8),
    (11, 9),
    (11.5, 8.2),
    (11, 7.8),
    (12, 8.5),
    (13, 9),
    (16, 12.5),
    (14, 12.2),
    (12.4, 12.1),
]


def write_bars(path: Path, bars: Sequence[tuple[float, float]], start_s: int = 1_530_000_000) -> Path:
    lines = ["ts,open,high,low,close,volume"]
    for k, (h, lo) in enumerate(bars):
        mid = (h + lo) / 2
        lines.append(f"{start_s + 3600 * k},{mid},{h},{lo},{mid},1")
    path.write_text("\n".join(lines) + "\n")
    return path


def swing(i: int, kind: str, price: float, length: int = 2) -> dict[str, Any]:
    return {"index": i, "kind": kind, "price": price, "confirmed_index": i + length}


def gap(
    i: int, kind: str, bottom: float, top: float, touched: int | None, filled: int | None
) -> dict[str, Any]:
    return {
        "index": i,
        "kind": kind,
        "top": top,
        "bottom": bottom,
        "confirmed_index": i + 1,
        "touched_index": touched,
        "filled_index": filled,
    }


def test_hand_worked_file(tmp_path: Path) -> None:
    out = cli_json(write_bars(tmp_path / "hand.csv", HAND_BARS), "--swing-length", "2", cwd=tmp_path)
    assert out["swings"] == [
        swing(2, "high", 15),
        swing(6, "high", 15),
        swing(9, "low", 7),
        swing(14, "low", 7.8),
        swing(17, "high", 16),
    ]
    assert out["fvgs"] == [
        gap(1, "bullish", 10, 12, 3, 4),
        gap(8, "bearish", 10, 10.5, 10, 11),
        gap(16, "bullish", 12, 12.5, 18, None),
        gap(18, "bearish", 12.4, 12.5, None, None),
    ]
    fib = out["fib"]
    assert (fib["direction"], fib["swing_high"], fib["swing_low"]) == ("up", 16, 7)
    assert (fib["start_index"], fib["end_index"]) == (9, 17)
    hand = {"0": 16, "0.236": 13.876, "0.382": 12.562, "0.5": 11.5, "0.618": 10.438, "0.786": 8.926, "1": 7}
    assert fib["levels"].keys() == hand.keys()
    for key, price in hand.items():
        assert abs(fib["levels"][key] - price) <= 1e-9, key
    # The hand-worked answers are also what the reference functions give.
    high = [float(h) for h, _ in HAND_BARS]
    low = [float(lo) for _, lo in HAND_BARS]
    assert out["swings"] == ref_swings(high, low, 2)
    assert out["fvgs"] == ref_fvgs(high, low)
    assert_fib_equal(fib, ref_fib(out["swings"]))
    assert out["rsi"][:14] == [None] * 14 and all(v is not None for v in out["rsi"][14:])


def test_hand_worked_prefix_gives_a_down_move(tmp_path: Path) -> None:
    out = cli_json(write_bars(tmp_path / "hand12.csv", HAND_BARS[:12]), "--swing-length", "2", cwd=tmp_path)
    assert out["swings"] == [swing(2, "high", 15), swing(6, "high", 15), swing(9, "low", 7)]
    assert out["fvgs"] == [gap(1, "bullish", 10, 12, 3, 4), gap(8, "bearish", 10, 10.5, 10, 11)]
    fib = out["fib"]
    assert (fib["direction"], fib["swing_high"], fib["swing_low"]) == ("down", 15, 7)
    assert (fib["start_index"], fib["end_index"]) == (6, 9)  # the later of the two equal highs
    hand = {"0": 7, "0.236": 8.888, "0.382": 10.056, "0.5": 11, "0.618": 11.944, "0.786": 13.288, "1": 15}
    for key, price in hand.items():
        assert abs(fib["levels"][key] - price) <= 1e-9, key


def test_spec_example_low_72200_high_79000(tmp_path: Path) -> None:
    # Length 1. Bar 1 is a low (72,200 < 74,000 before, <= 74,500 after); bar 3 a high (79,000 > 76,000
    # before, >= 78,000 after); bar 2 (76,000 > 73,000 but 79,000 follows) is neither.
    # Gaps: bull @2 (low[3]=77,000 > high[1]=73,000): [73,000, 77,000], touched at 4 (76,500), not filled;
    #       bull @3 (low[4]=76,500 > high[2]=76,000): [76,000, 76,500], confirmed at the last bar, untouched.
    bars = [(75_000, 74_000), (73_000, 72_200), (76_000, 74_500), (79_000, 77_000), (78_000, 76_500)]
    out = cli_json(write_bars(tmp_path / "spec.csv", bars), "--swing-length", "1", cwd=tmp_path)
    assert out["swings"] == [swing(1, "low", 72_200, 1), swing(3, "high", 79_000, 1)]
    assert out["fvgs"] == [
        gap(2, "bullish", 73_000, 77_000, 4, None),
        gap(3, "bullish", 76_000, 76_500, None, None),
    ]
    fib = out["fib"]
    assert fib["direction"] == "up"
    assert abs(fib["levels"]["0.618"] - 74_797.6) <= 1e-9
    assert abs(fib["levels"]["0.5"] - 75_600) <= 1e-9


# ---------------------------------------------------------------------------- random series with many ties


def _run_in_process(path: str, length: int) -> dict[str, Any]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = main(["analyze", "--csv", path, "--json", "--swing-length", str(length)])
    assert status == 0
    out: dict[str, Any] = json.loads(buf.getvalue())
    return out


@st.composite
def tied_bars(draw: st.DrawFn) -> list[tuple[float, float]]:
    """Short series on a coarse price grid, so equal highs, equal lows and edge-touching gaps are common."""
    n = draw(st.integers(1, 40))
    highs = draw(st.lists(st.integers(4, 12), min_size=n, max_size=n))
    spans = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return [(float(h), float(h - s)) for h, s in zip(highs, spans, strict=True)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bars=tied_bars(), length=st.integers(1, 4))
def test_random_tied_series_match_reference(
    monkeypatch: pytest.MonkeyPatch, bars: list[tuple[float, float]], length: int
) -> None:
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv("XDG_CONFIG_HOME", tmp)
        path = write_bars(Path(tmp) / "bars.csv", bars)
        out = _run_in_process(str(path), length)
    high = [h for h, _ in bars]
    low = [lo for _, lo in bars]
    swings = ref_swings(high, low, length)
    assert out["swings"] == swings
    assert_fib_equal(out["fib"], ref_fib(swings))
    assert out["fvgs"] == ref_fvgs(high, low)
