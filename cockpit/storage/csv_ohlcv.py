"""Load OHLCV candles from a CSV file, with one-line errors that point at the faulty cell.

Accepted layout: a header row, then one row per bar. Columns are matched by name, ignoring case and
surrounding whitespace; extra columns are ignored.

* Time column: exactly one of ``timestamp``, ``ts``, ``date`` or ``time``. Values are either
  - epoch numbers. Seconds or milliseconds is decided once per file from the first data row: a magnitude of
    at least 1e11 means milliseconds (1e11 s is the year 5138, 1e11 ms is March 1973, so real data is never
    ambiguous). Every later row must be in the same unit. Digits-only values are always epoch numbers; or
  - ISO 8601 text such as ``2018-08-31T23:00:00Z``, ``2018-08-31 23:00:00+02:00`` or ``2018-08-31``.
    Values without an offset are UTC.
  A file uses one of the two kinds throughout.
* ``open``, ``high``, ``low``, ``close``, ``volume``: finite decimal numbers; prices are positive, volume is
  not negative and high is not below low. Open and close outside [low, high] are accepted because real
  exchange feeds contain them.

Rows may be in ascending or descending time order (descending is reversed); mixed order and duplicate
timestamps are errors. Blank lines are skipped. Line numbers in errors are physical lines of the file
(the header is line 1 unless blank lines precede it). A UTF-8 byte order mark is ignored.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import io
import math
import os
import re
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.text.safety import printable

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["CsvError", "load_ohlcv_csv", "sample_csv_path"]

TIME_COLUMNS = ("timestamp", "ts", "date", "time")
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
MS_THRESHOLD = 1e11
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)
# The fraction of the seconds in an ISO 8601 time (hh:mm:ss.f... or hh:mm:ss,f...).
_FRACTION = re.compile(r"(?<=\d\d:\d\d:\d\d)[.,](\d+)")
# datetime covers years 1..9999; an epoch number outside is a corrupt cell and could not be shown in errors.
_MIN_MS = (datetime(1, 1, 2, tzinfo=timezone.utc) - _EPOCH) // _ONE_MS
_MAX_MS = (datetime(9999, 12, 30, tzinfo=timezone.utc) - _EPOCH) // _ONE_MS
_SAMPLE_NAME = "sample_btcusd_1h.csv"
# Keeps a resource extracted from a zipped install alive until exit (see sample_csv_path).
_resource_stack = contextlib.ExitStack()
atexit.register(_resource_stack.close)


class CsvError(Exception):
    """A CSV file that cannot be turned into candles; ``str()`` is a single line for the status bar."""

    def __init__(self, path: str, reason: str, line: int | None = None, column: str | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
        where = path
        if line is not None:
            where += f": line {line}"
            if column is not None:
                where += f", column {column!r}"
        elif column is not None:
            where += f": column {column!r}"
        # Cells are quoted with repr, but a path or header name may still carry a newline or an escape
        # sequence: one line, and nothing that acts on the terminal it is printed to.
        message = f"{where}: {reason}".replace("\r", "\\r").replace("\n", "\\n")
        super().__init__(printable(message))


def sample_csv_path() -> Path:
    """Path of the bundled sample: the last 2,000 hourly Coinbase BTC-USD candles up to 2018-08-31."""
    resource = resources.files("cockpit.data").joinpath(_SAMPLE_NAME)
    if isinstance(resource, Path):
        return resource
    # Installed inside a zip: extract to a temporary file that lives until the interpreter exits.
    return _resource_stack.enter_context(resources.as_file(resource))


def load_ohlcv_csv(path: str | os.PathLike[str]) -> Candles:
    """Read an OHLCV CSV (see the module docstring for the format) into ascending ``Candles``.

    Raises ``CsvError`` naming the file, line and column for anything it cannot accept.
    """
    name = os.fspath(path)
    text = _read_text(name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _first_nonblank(reader)
        if header is None:
            raise CsvError(name, "file is empty")
        time_idx, price_idx = _locate_columns(name, header)
        return _parse_rows(name, reader, header, time_idx, price_idx)
    except csv.Error as exc:
        # The csv module only fails on malformed quoting or NUL bytes; line_num is where it stopped.
        raise CsvError(name, f"malformed CSV: {exc}", reader.line_num) from None


# A candle row is about 60 bytes: 512 MB holds eight million of them (15 years of 1-minute bars).
MAX_CSV_BYTES = 1 << 29


def _read_text(name: str) -> str:
    """Whole file as text; decoding all at once lets a bad byte be mapped to its exact line."""
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_CSV_BYTES + 1)  # /dev/zero or a runaway pipe must not fill the memory
    except OSError as exc:
        detail = f"[Errno {exc.errno}] {exc.strerror}" if exc.errno is not None else str(exc)
        raise CsvError(name, f"cannot read: {detail}") from None
    if len(data) > MAX_CSV_BYTES:
        raise CsvError(name, f"larger than {MAX_CSV_BYTES // 2**20} MB: not a candle file this tool reads")
    if data.startswith(codecs.BOM_UTF8):  # Excel writes one; it would otherwise glue itself to the first name
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvError(name, f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line) from None


def _is_blank(row: list[str]) -> bool:
    """An empty or whitespace-only line (the csv module yields [] or a single blank cell)."""
    return not row or (len(row) == 1 and not row[0].strip())


def _first_nonblank(reader: Reader) -> list[str] | None:
    """The header row, or None when the file has nothing but blank lines."""
    for row in reader:
        if not _is_blank(row):
            return row
    return None


def _locate_columns(name: str, header: list[str]) -> tuple[int, list[int]]:
    """Index of the time column and of open..volume, by case- and whitespace-insensitive name."""
    keys = [h.strip().lower() for h in header]
    shown = ", ".join(h.strip() for h in header)  # CsvError escapes any newline inside a quoted name

    found_time = [i for i, k in enumerate(keys) if k in TIME_COLUMNS]
    if not found_time:
        wanted = ", ".join(repr(c) for c in TIME_COLUMNS)
        raise CsvError(name, f"missing time column, one of {wanted} (header has: {shown})")
    if len(found_time) > 1:
        # e.g. separate 'date' and 'time' columns: guessing which one is the bar time would be silent damage.
        both = " and ".join(repr(header[i].strip()) for i in found_time)
        raise CsvError(name, f"ambiguous time column: header has {both}")
    price_idx: list[int] = []
    missing: list[str] = []
    for key in PRICE_COLUMNS:
        hits = [i for i, k in enumerate(keys) if k == key]
        if len(hits) > 1:
            raise CsvError(name, f"column {key!r} appears {len(hits)} times (header has: {shown})")
        if hits:
            price_idx.append(hits[0])
        else:
            missing.append(repr(key))
    if missing:
        label = "column" if len(missing) == 1 else "columns"
        raise CsvError(name, f"missing {label} {', '.join(missing)} (header has: {shown})")
    return found_time[0], price_idx


Bar = tuple[float, float, float, float, float]  # open, high, low, close, volume


def _parse_rows(name: str, reader: Reader, header: list[str], time_idx: int, price_idx: list[int]) -> Candles:
    """Convert and validate every data row, failing at the first bad cell in file order."""
    width = len(header)
    time_col = header[time_idx].strip()
    cols = [header[i].strip() for i in price_idx]
    o_i, h_i, l_i, c_i, v_i = price_idx
    ts: list[int] = []
    bars: list[Bar] = []
    first_line = 0
    epoch_ms: bool | None = None  # None: ISO text; True/False: epoch ms/seconds, fixed by the first row
    descending = False
    prev = prev_line = 0
    for row in reader:
        line = reader.line_num
        if len(row) != width:  # checked first so the blank test stays off the per-row path
            if _is_blank(row):
                continue
            raise CsvError(name, f"expected {width} cells like the header, found {len(row)}", line)
        raw_t = row[time_idx].strip()
        if not ts:
            # The first row fixes the kind (and epoch unit) for the whole file.
            first_line = line
            number = _as_number(raw_t)
            epoch_ms = None if number is None else abs(number) >= MS_THRESHOLD
        t = _parse_time(name, line, time_col, raw_t, epoch_ms, first_line)
        # Hot path for million-row files: bare float() calls and one finiteness test on the sum (NaN or inf
        # anywhere makes it non-finite); only a failing row goes through _reject_bar to name the cell. Plain
        # locals, not a tuple's items: sum(), slicing and indexing a tuple cost 8% more per million rows.
        try:
            o, h, lo = float(row[o_i]), float(row[h_i]), float(row[l_i])
            c, v = float(row[c_i]), float(row[v_i])
            ok = math.isfinite(o + h + lo + c + v) and v >= 0 and min(o, h, lo, c) > 0 and h >= lo
        except ValueError:
            ok = False
        bar = (o, h, lo, c, v) if ok else _reject_bar(name, line, cols, [row[i] for i in price_idx])
        if ts:
            # The first pair fixes the direction; every later step must go the same way.
            if len(ts) == 1:
                descending = t < prev
            if t == prev or (t < prev) != descending:
                _reject_order(name, line, time_col, (t, prev, prev_line), descending)
        ts.append(t)
        bars.append(bar)
        prev, prev_line = t, line
    return _candles(name, ts, bars, descending)


def _reject_bar(name: str, line: int, cols: list[str], cells: list[str]) -> Bar:
    """The bar's values if they pass after all (a sum that overflowed is harmless), else ``CsvError``
    naming the first bad cell."""
    o, h, lo, c, v = (_parse_number(name, line, col, cell) for col, cell in zip(cols, cells, strict=True))
    if v < 0:
        raise CsvError(name, f"volume {v!r} is negative", line, cols[4])
    for col, value in zip(cols[:4], (o, h, lo, c), strict=True):
        # Percent distances and ratios divide by prices: a zero or negative price is a broken file.
        if value <= 0:
            raise CsvError(name, f"price {value!r} is not positive", line, col)
    if h < lo:
        raise CsvError(name, f"high {h!r} is below low {lo!r}", line)
    return o, h, lo, c, v


def _reject_order(name: str, line: int, time_col: str, times: tuple[int, int, int], descending: bool) -> None:
    t, prev, prev_line = times
    if t == prev:
        raise CsvError(name, f"duplicate timestamp {_iso(t)} (as on line {prev_line})", line, time_col)
    order = "descending" if descending else "ascending"
    why = f"timestamp {_iso(t)} breaks the {order} order (line {prev_line} has {_iso(prev)})"
    raise CsvError(name, why, line, time_col)


def _candles(name: str, ts: list[int], bars: list[Bar], descending: bool) -> Candles:
    if not ts:
        raise CsvError(name, "no data rows")
    times = np.asarray(ts, dtype=np.int64)
    table = np.asarray(bars, dtype=np.float64)
    if descending:
        times, table = times[::-1], table[::-1]
    # Contiguous copies, so no column keeps the whole table alive or is a strided view.
    columns = [np.ascontiguousarray(table[:, k]) for k in range(5)]
    return Candles.from_arrays(np.ascontiguousarray(times), *columns)


def _as_number(raw: str) -> float | None:
    """An epoch number, kept as int when written as one so millisecond values stay exact."""
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return None


def _parse_time(name: str, line: int, col: str, raw: str, epoch_ms: bool | None, first_line: int) -> int:
    """One time cell as epoch ms; ``epoch_ms`` is the file's kind (None: ISO 8601) set by its first row."""
    bad = f"{raw!r} is not a timestamp (epoch seconds, epoch ms or ISO 8601)"
    # Parse as the file's own kind first: a failing int()/float() raises, too slow for every row of ISO files.
    if epoch_ms is None:
        iso = _parse_iso(raw)
        if iso is None:
            if _as_number(raw) is not None:
                bad = f"{raw!r} is an epoch number but line {first_line} is ISO 8601"
            raise CsvError(name, bad, line, col)
        ms = iso
    else:
        unit = "epoch milliseconds" if epoch_ms else "epoch seconds"
        number = _as_number(raw)
        if number is None:
            if _parse_iso(raw) is not None:
                bad = f"{raw!r} is ISO 8601 but line {first_line} is {unit}"
            raise CsvError(name, bad, line, col)
        if not math.isfinite(number):
            raise CsvError(name, f"{raw!r} is not a finite number", line, col)
        if (abs(number) >= MS_THRESHOLD) != epoch_ms:
            other = "epoch seconds" if epoch_ms else "epoch milliseconds"
            raise CsvError(name, f"{raw!r} looks like {other} but line {first_line} is {unit}", line, col)
        # Integers stay exact; round() only matters for decimals such as fractional seconds.
        ms = round(number if epoch_ms else number * 1000)
    if not _MIN_MS <= ms <= _MAX_MS:
        raise CsvError(name, f"{raw!r} is outside the years 1 to 9999", line, col)
    return ms


def _parse_iso(raw: str) -> int | None:
    """ISO 8601 text as epoch ms, or None. Naive values are UTC."""
    text = raw
    if text[-1:] in ("Z", "z"):
        # Python 3.10's fromisoformat does not know the Z suffix.
        text = text[:-1] + "+00:00"
    # Nor fractions of other than 3 or 6 digits, nor a decimal comma: pad or cut to 6 digits, as 3.11 does.
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    # Integer timedelta division is exact, unlike dt.timestamp() * 1000.
    return (dt - _EPOCH) // _ONE_MS


def _parse_number(name: str, line: int, col: str, cell: str) -> float:
    """One price or volume cell; the slow path that explains why a row failed the fast check."""
    try:
        value = float(cell)
    except ValueError:
        text = cell.strip()
        reason = "is empty" if not text else f"{text!r} is not a number"
        raise CsvError(name, reason, line, col) from None
    if not math.isfinite(value):
        raise CsvError(name, f"{cell.strip()!r} is not a finite number", line, col)
    return value


def _iso(ms: int) -> str:
    """Epoch ms as ISO 8601 UTC for messages."""
    stamp = (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z").replace(".000Z", "Z")
