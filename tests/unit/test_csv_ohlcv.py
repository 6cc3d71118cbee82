"""cockpit.storage.csv_ohlcv: accepted formats, exact one-line error messages, and the real data files."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.storage.csv_ohlcv import CsvError, load_ohlcv_csv, sample_csv_path

REPO_ROOT = Path(__file__).parents[2]
REAL_1H = REPO_ROOT / "tests" / "data" / "btc" / "coinbase_btcusd_1h_2017-07_2018-08.csv"

HEADER = "ts,open,high,low,close,volume"
T0 = 1_500_000_000  # 2017-07-14T02:40:00Z
T0_MS = T0 * 1000
HOUR_MS = 3_600_000


def ms(text: str) -> int:
    """Epoch ms of an ISO 8601 instant, computed independently of the module under test."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def error(path: str) -> str:
    with pytest.raises(CsvError) as info:
        load_ohlcv_csv(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


# --- accepted input ----------------------------------------------------------------------------------------


def test_epoch_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", f"{T0 + 3600},1.5,2.5,1,2,20"))
    c = load_ohlcv_csv(path)
    assert c.ts_ms.tolist() == [T0_MS, T0_MS + HOUR_MS]
    assert c.ts_ms.dtype == np.int64 and c.close.dtype == np.float64
    assert c.open.tolist() == [1.0, 1.5]
    assert c.high.tolist() == [2.0, 2.5]
    assert c.low.tolist() == [0.5, 1.0]
    assert c.close.tolist() == [1.5, 2.0]
    assert c.volume.tolist() == [10.0, 20.0]


def test_epoch_milliseconds(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0_MS},1,2,0.5,1.5,10", f"{T0_MS + 1},1,2,0.5,1.5,10"))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [T0_MS, T0_MS + 1]


def test_fractional_epoch_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0}.25,1,2,0.5,1.5,10", f"{T0 + 1}.5,1,2,0.5,1.5,10"))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [T0_MS + 250, T0_MS + 1500]
    # 1.001 * 1000 is 1000.9999999999999 in binary floating point: must round, not truncate.
    path = write(tmp_path, csv_text("1.001,1,2,0.5,1.5,10"), "tiny.csv")
    assert load_ohlcv_csv(path).ts_ms.tolist() == [1001]


def test_fractional_epoch_milliseconds_round(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0_MS}.6,1,2,0.5,1.5,10"))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [T0_MS + 1]


@pytest.mark.parametrize(
    ("first", "expected_ms"),
    [
        ("99999999999", 99_999_999_999_000),  # just below the threshold: seconds (year 5138)
        ("100000000000", 100_000_000_000),  # at the threshold: milliseconds (March 1973)
    ],
)
def test_seconds_or_ms_threshold(tmp_path: Path, first: str, expected_ms: int) -> None:
    path = write(tmp_path, csv_text(f"{first},1,2,0.5,1.5,10"))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [expected_ms]


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (["2018-08-31T22:00:00Z", "2018-08-31T23:00:00Z"], ["2018-08-31T22:00:00Z", "2018-08-31T23:00:00Z"]),
        (
            ["2018-08-31T22:00:00+02:00", "2018-08-31T23:30:00-01:30"],
            ["2018-08-31T20:00:00Z", "2018-09-01T01:00:00Z"],
        ),
        (["2018-08-31T22:00:00", "2018-08-31 23:00:00"], ["2018-08-31T22:00:00Z", "2018-08-31T23:00:00Z"]),
        (["2018-08-30", "2018-08-31"], ["2018-08-30T00:00:00Z", "2018-08-31T00:00:00Z"]),
        (
            ["2018-08-31T22:00:00.250Z", "2018-08-31T22:00:01.5Z"],
            # Expected values in the forms every Python's fromisoformat reads (3.10 takes 3 or 6 digits only).
            ["2018-08-31T22:00:00.250Z", "2018-08-31T22:00:01.500Z"],
        ),
    ],
    ids=["z-suffix", "offsets", "naive-is-utc", "date-only", "fractional"],
)
def test_iso_8601(tmp_path: Path, stamps: list[str], expected: list[str]) -> None:
    path = write(tmp_path, csv_text(*(f"{s},1,2,0.5,1.5,10" for s in stamps)))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [ms(e) for e in expected]


@pytest.mark.parametrize(
    ("fraction", "extra_ms"),
    [
        *[(".5", 500), (".25", 250), (".125", 125), (".1255", 125), (".12555", 125)],
        *[(".125999", 125), (".1259999", 125), (",5", 500), (".05", 50)],
    ],
)
@pytest.mark.parametrize("zone", ["Z", "+02:00", ""])
def test_iso_8601_fractions_of_any_length(tmp_path: Path, fraction: str, extra_ms: int, zone: str) -> None:
    # Python 3.10's fromisoformat takes only 3 or 6 digits and no decimal comma; every Python must read these.
    path = write(tmp_path, csv_text(f'"2018-08-31T22:00:00{fraction}{zone}",1,2,0.5,1.5,10'))
    whole = datetime(2018, 8, 31, 20 if zone == "+02:00" else 22, tzinfo=timezone.utc)
    assert load_ohlcv_csv(path).ts_ms.tolist() == [int(whole.timestamp()) * 1000 + extra_ms]


def test_naive_iso_is_utc_whatever_the_local_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, csv_text("2018-08-31T22:00:00,1,2,0.5,1.5,10", "2018-09-01,1,2,0.5,1.5,10"))
    monkeypatch.setenv("TZ", "JST-9")  # POSIX rule, needs no tz database: UTC+9
    time.tzset()
    try:
        stamps = load_ohlcv_csv(path).ts_ms.tolist()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert stamps == [ms("2018-08-31T22:00:00Z"), ms("2018-09-01T00:00:00Z")]


@pytest.mark.parametrize("time_name", ["timestamp", "ts", "date", "time", "TimeStamp", " DATE "])
def test_time_column_names(tmp_path: Path, time_name: str) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", header=f"{time_name},open,high,low,close,volume"))
    assert load_ohlcv_csv(path).ts_ms.tolist() == [T0_MS]


def test_header_case_whitespace_order_and_extra_columns(tmp_path: Path) -> None:
    header = " Volume ,symbol, CLOSE,Low ,  HIGH,Open, Time , note"
    rows = [f" 7.5 ,BTC, 4 , 1,5 , 2 , {T0} ,x", f"8,BTC,4.5,2,6,3,{T0 + 60},y"]
    c = load_ohlcv_csv(write(tmp_path, csv_text(*rows, header=header)))
    assert c.ts_ms.tolist() == [T0_MS, T0_MS + 60_000]
    assert c.open.tolist() == [2.0, 3.0]
    assert c.high.tolist() == [5.0, 6.0]
    assert c.low.tolist() == [1.0, 2.0]
    assert c.close.tolist() == [4.0, 4.5]
    assert c.volume.tolist() == [7.5, 8.0]


def test_descending_input_is_reversed(tmp_path: Path) -> None:
    rows = [f"{T0 + 7200},3,4,2,3.5,30", f"{T0 + 3600},2,3,1,2.5,20", f"{T0},1,2,0.5,1.5,10"]
    c = load_ohlcv_csv(write(tmp_path, csv_text(*rows)))
    assert c.ts_ms.tolist() == [T0_MS, T0_MS + HOUR_MS, T0_MS + 2 * HOUR_MS]
    assert c.close.tolist() == [1.5, 2.5, 3.5]
    assert c.volume.tolist() == [10.0, 20.0, 30.0]
    assert all(a.flags.c_contiguous for a in (c.ts_ms, c.open, c.high, c.low, c.close, c.volume))


def test_open_and_close_outside_high_low_are_accepted(tmp_path: Path) -> None:
    # Real feeds contain such bars; only high < low is rejected.
    c = load_ohlcv_csv(write(tmp_path, csv_text(f"{T0},9,5,4,1,0")))
    assert (c.open[0], c.high[0], c.low[0], c.close[0], c.volume[0]) == (9.0, 5.0, 4.0, 1.0, 0.0)


def test_bom_crlf_blank_lines_and_quoted_cells(tmp_path: Path) -> None:
    text = (
        f'\ufeffts,open,high,low,close,volume\r\n\r\n"{T0}","1",2,0.5,1.5,10\r\n'
        f"   \r\n{T0 + 60},1,2,0.5,1.5,10\r\n\r\n"
    )
    c = load_ohlcv_csv(write(tmp_path, text))
    assert c.ts_ms.tolist() == [T0_MS, T0_MS + 60_000]


def test_accepts_path_objects(tmp_path: Path) -> None:
    path = Path(write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10")))
    assert len(load_ohlcv_csv(path)) == 1


# --- errors: one line naming file, line and column ---------------------------------------------------------


def test_cell_not_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", f"{T0 + 60},1,abc,0.5,1.5,10"))
    assert error(path) == f"{path}: line 3, column 'high': 'abc' is not a number"


def test_error_uses_header_spelling_and_attributes(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,x,10", header="TS,Open,High,Low,Close,Volume"))
    with pytest.raises(CsvError) as info:
        load_ohlcv_csv(path)
    assert str(info.value) == f"{path}: line 2, column 'Close': 'x' is not a number"
    assert (info.value.path, info.value.line, info.value.column) == (path, 2, "Close")


def test_empty_cell(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5, "))
    assert error(path) == f"{path}: line 2, column 'volume': is empty"


def test_path_is_reported_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,abc"))
    monkeypatch.chdir(tmp_path)
    assert error("data.csv") == "data.csv: line 2, column 'volume': 'abc' is not a number"


def test_high_below_low(tmp_path: Path) -> None:
    rows = [f"{T0 + i * 60},100,102,99,101,1" for i in range(7)] + [f"{T0 + 420},101,100,101.5,100.5,1"]
    path = write(tmp_path, csv_text(*rows))
    assert error(path) == f"{path}: line 9: high 100.0 is below low 101.5"


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_non_finite_price(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", f"{T0 + 60},1,2,{bad},1.5,10"))
    assert error(path) == f"{path}: line 3, column 'low': {bad!r} is not a finite number"


def test_non_finite_epoch_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", "nan,1,2,0.5,1.5,10"))
    assert error(path) == f"{path}: line 3, column 'ts': 'nan' is not a finite number"


def test_negative_volume(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,-3"))
    assert error(path) == f"{path}: line 2, column 'volume': volume -3.0 is negative"


@pytest.mark.parametrize(("row", "found"), [(f"{T0},1,2,0.5,1.5", 5), (f"{T0},1,2,0.5,1.5,10,extra", 7)])
def test_wrong_cell_count(tmp_path: Path, row: str, found: int) -> None:
    path = write(tmp_path, csv_text(f"{T0 - 60},1,2,0.5,1.5,10", row))
    assert error(path) == f"{path}: line 3: expected 6 cells like the header, found {found}"


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5", header="ts,open,high,low,close"))
    assert error(path) == f"{path}: missing column 'volume' (header has: ts, open, high, low, close)"


def test_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2", header="ts, Open ,close"))
    assert error(path) == f"{path}: missing columns 'high', 'low', 'volume' (header has: ts, Open, close)"


def test_missing_time_column(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text("1,2,0.5,1.5,10", header="open,high,low,close,volume"))
    assert error(path) == (
        f"{path}: missing time column, one of 'timestamp', 'ts', 'date', 'time' "
        "(header has: open, high, low, close, volume)"
    )


def test_ambiguous_time_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, csv_text("2018-01-01,00:00,1,2,0.5,1.5,10", header="Date,Time,open,high,low,close,volume")
    )
    assert error(path) == f"{path}: ambiguous time column: header has 'Date' and 'Time'"


def test_duplicate_column(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10,3", header="ts,open,high,low,close,volume,CLOSE"))
    assert error(path) == (
        f"{path}: column 'close' appears 2 times (header has: ts, open, high, low, close, volume, CLOSE)"
    )


def test_header_newline_stays_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '"t\ns",open,high,low,close,volume\n')
    assert error(path) == (
        f"{path}: missing time column, one of 'timestamp', 'ts', 'date', 'time' "
        "(header has: t\\ns, open, high, low, close, volume)"
    )


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\ufeff"], ids=["zero-bytes", "blank-lines", "bom-only"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert error(path) == f"{path}: file is empty"


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n", HEADER + "\n\n \n"])
def test_no_data_rows(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert error(path) == f"{path}: no data rows"


def test_cannot_read_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.csv")
    assert error(path) == f"{path}: cannot read: [Errno 2] No such file or directory"


def test_cannot_read_directory(tmp_path: Path) -> None:
    assert error(str(tmp_path)) == f"{tmp_path}: cannot read: [Errno 21] Is a directory"


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n{T0},1,2,0.5,1.5,10\n{T0 + 60},1,2,0.5,1.5,10 \xff\n".encode("latin-1"))
    assert error(str(path)) == f"{path}: line 3: byte 0xff is not valid UTF-8"


def test_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n\n{T0},1,2,0.5,1.5,10\n\n\n{T0 + 60},1,2,0.5,oops,10\n")
    assert error(path) == f"{path}: line 6, column 'close': 'oops' is not a number"


def test_quoted_newline_counts_physical_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'ts,open,high,low,close,volume,note\n{T0},1,2,0.5,1.5,10,"two\nlines"\n{T0 + 60},1,2,0.5,z,1,n\n',
    )
    assert error(path) == f"{path}: line 4, column 'close': 'z' is not a number"


def test_unordered_timestamps(tmp_path: Path) -> None:
    rows = [f"{T0},1,2,0.5,1.5,10", f"{T0 + 3600},1,2,0.5,1.5,10", f"{T0 + 1800},1,2,0.5,1.5,10"]
    path = write(tmp_path, csv_text(*rows))
    assert error(path) == (
        f"{path}: line 4, column 'ts': timestamp 2017-07-14T03:10:00Z breaks the ascending order "
        "(line 3 has 2017-07-14T03:40:00Z)"
    )


def test_descending_then_rising(tmp_path: Path) -> None:
    rows = ["2018-01-03,1,2,0.5,1.5,10", "2018-01-02,1,2,0.5,1.5,10", "2018-01-04,1,2,0.5,1.5,10"]
    path = write(tmp_path, csv_text(*rows, header="date,open,high,low,close,volume"))
    assert error(path) == (
        f"{path}: line 4, column 'date': timestamp 2018-01-04T00:00:00Z breaks the descending order "
        "(line 3 has 2018-01-02T00:00:00Z)"
    )


def test_duplicate_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", f"{T0},1,2,0.5,1.5,10"))
    assert (
        error(path) == f"{path}: line 3, column 'ts': duplicate timestamp 2017-07-14T02:40:00Z (as on line 2)"
    )


def test_seconds_file_with_ms_row(tmp_path: Path) -> None:
    # The same instant in ms is not taken as a duplicate: the unit is fixed per file, so it is an error.
    path = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", f"{T0_MS},1,2,0.5,1.5,10"))
    assert error(path) == (
        f"{path}: line 3, column 'ts': '{T0_MS}' looks like epoch milliseconds but line 2 is epoch seconds"
    )


def test_duplicate_iso_timestamp_with_different_offsets(tmp_path: Path) -> None:
    rows = ["2018-01-01T10:00:00Z,1,2,0.5,1.5,10", "2018-01-01T12:00:00+02:00,1,2,0.5,1.5,10"]
    path = write(tmp_path, csv_text(*rows))
    assert (
        error(path) == f"{path}: line 3, column 'ts': duplicate timestamp 2018-01-01T10:00:00Z (as on line 2)"
    )


def test_ms_file_with_seconds_row(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(f"{T0_MS},1,2,0.5,1.5,10", f"{T0 + 60},1,2,0.5,1.5,10"))
    assert error(path) == (
        f"{path}: line 3, column 'ts': '{T0 + 60}' looks like epoch seconds but line 2 is epoch milliseconds"
    )


def test_mixed_iso_and_epoch(tmp_path: Path) -> None:
    iso_first = write(tmp_path, csv_text("2018-01-01,1,2,0.5,1.5,10", f"{T0},1,2,0.5,1.5,10"), "a.csv")
    assert (
        error(iso_first)
        == f"{iso_first}: line 3, column 'ts': '{T0}' is an epoch number but line 2 is ISO 8601"
    )
    epoch_first = write(tmp_path, csv_text(f"{T0},1,2,0.5,1.5,10", "2018-01-01Z,1,2,0.5,1.5,10"), "b.csv")
    assert error(epoch_first) == (
        f"{epoch_first}: line 3, column 'ts': '2018-01-01Z' is ISO 8601 but line 2 is epoch seconds"
    )


@pytest.mark.parametrize("bad", ["2018-13-01", "yesterday", "", "2018-01-01T25:00:00Z"])
def test_bad_timestamp(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, csv_text(f"{bad},1,2,0.5,1.5,10", header="Timestamp,open,high,low,close,volume"))
    reason = f"{bad!r} is not a timestamp (epoch seconds, epoch ms or ISO 8601)"
    assert error(path) == f"{path}: line 2, column 'Timestamp': {reason}"


def test_epoch_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text("1e300,1,2,0.5,1.5,10"))
    assert error(path) == f"{path}: line 2, column 'ts': '1e300' is outside the years 1 to 9999"


def test_first_error_in_file_order_wins(tmp_path: Path) -> None:
    # Line 3 has a bad number, line 4 breaks the order: the earlier line is reported.
    rows = [f"{T0},1,2,0.5,1.5,10", f"{T0 + 60},1,2,0.5,1.5,bad", f"{T0 - 60},1,2,0.5,1.5,10"]
    path = write(tmp_path, csv_text(*rows))
    assert error(path) == f"{path}: line 3, column 'volume': 'bad' is not a number"


# --- round trip and scale --------------------------------------------------------------------------------


bars = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=10**7),  # gap to the previous bar, seconds
        st.floats(min_value=1e-6, max_value=1e9),  # low
        st.floats(min_value=0, max_value=1e6),  # high - low
        st.floats(min_value=1e-6, max_value=1e9),  # open (may lie outside the range; prices are > 0)
        st.floats(min_value=1e-6, max_value=1e9),  # close
        st.floats(min_value=0, max_value=1e12),  # volume
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(bars=bars, fmt=st.sampled_from(["s", "ms", "iso"]), descending=st.booleans())
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, bars: list[tuple[int, ...]], fmt: str, descending: bool
) -> None:
    t = T0
    stamps, rows = [], []
    for gap, low, span, open_, close, volume in bars:
        t += gap
        high = low + span
        cell = {"s": str(t), "ms": str(t * 1000), "iso": datetime.fromtimestamp(t, timezone.utc).isoformat()}[
            fmt
        ]
        stamps.append(t * 1000)
        rows.append((cell, open_, high, low, close, volume))
    ordered = rows[::-1] if descending else rows
    text = csv_text(*(",".join(repr(v) if isinstance(v, float) else str(v) for v in r) for r in ordered))
    c = load_ohlcv_csv(write(tmp_path_factory.mktemp("rt"), text))
    assert c.ts_ms.tolist() == stamps
    assert c.open.tolist() == [r[1] for r in rows]
    assert c.high.tolist() == [r[2] for r in rows]
    assert c.low.tolist() == [r[3] for r in rows]
    assert c.close.tolist() == [r[4] for r in rows]
    assert c.volume.tolist() == [r[5] for r in rows]


def test_large_file_loads_whole(tmp_path: Path) -> None:
    # Loading speed is measured by the benchmark command, never asserted here.
    n = 200_000
    stamps = (np.arange(n, dtype=np.int64) * 60 + T0) * 1000
    lines = [HEADER, *(f"{s},100.5,101.25,99.75,100.0,12.5" for s in stamps.tolist())]
    path = write(tmp_path, "\n".join(lines) + "\n")
    c = load_ohlcv_csv(path)
    assert len(c) == n and c.ts_ms[-1] == stamps[-1]


# --- real data --------------------------------------------------------------------------------------------


def test_real_coinbase_hourly_file() -> None:
    c = load_ohlcv_csv(REAL_1H)
    assert len(c) == 10_237
    assert c.ts_ms[0] == ms("2017-07-01T11:00:00Z")
    assert c.ts_ms[-1] == ms("2018-08-31T23:00:00Z")
    assert bool(np.all(np.diff(c.ts_ms) > 0))
    for column in (c.open, c.high, c.low, c.close, c.volume):
        assert not np.isnan(column).any()
    assert bool(np.all(c.high >= c.low))
    assert c.close[-1] == 7015.01


def test_bundled_sample_is_tail_of_real_file() -> None:
    path = sample_csv_path()
    assert isinstance(path, Path) and path.name == "sample_btcusd_1h.csv" and path.is_file()
    sample = load_ohlcv_csv(path)
    assert len(sample) == 2_000
    real = load_ohlcv_csv(REAL_1H)
    for name in ("ts_ms", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(sample, name), getattr(real, name)[-2_000:])
    assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER


@pytest.mark.parametrize(("column", "row"), [("close", "0"), ("open", "-5")])
def test_non_positive_price(tmp_path: Path, column: str, row: str) -> None:
    cells = {"open": "100", "close": "100"}
    cells[column] = row
    path = write(tmp_path, f"{HEADER}\n{T0},{cells['open']},101,99,{cells['close']},1\n")
    with pytest.raises(CsvError) as err:
        load_ohlcv_csv(path)
    assert str(err.value) == f"{path}: line 2, column '{column}': price {float(row)!r} is not positive"
