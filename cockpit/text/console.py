"""The one place the command line prints: every line is cleaned of control characters on its way out,
JSON stays valid JSON, and an unexpected failure is one line here and a traceback in a log file."""

from __future__ import annotations

import json
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from cockpit.text.safety import printable, printable_lines

CRASH_LOG = "crash.log"


def say(message: str) -> None:
    """A message for the user on stderr: one line, prefixed with the program's name."""
    print(f"cockpit: {printable(message)}", file=sys.stderr)


def echo(text: str, out: TextIO | None = None) -> None:
    """Output on stdout (or ``out``): text from outside (notes, file names) cannot act on a terminal."""
    stream = out if out is not None else sys.stdout
    stream.write(printable_lines(text) + "\n")


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None: JSON has no such numbers, and a reader that
    rejects them (``parse_constant``) must still read every line we write."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dump_json(obj: Any, out: TextIO | None = None) -> None:
    """``obj`` as one line of strict JSON (non-finite numbers become null)."""
    stream = out if out is not None else sys.stdout
    json.dump(finite(obj), stream, allow_nan=False)
    stream.write("\n")


def report_crash(exc: BaseException, log_dir: Path) -> None:
    """One line on stderr naming the failure and the log; the traceback goes to ``log_dir/crash.log``."""
    where = log_dir / CRASH_LOG
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with where.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {stamp}: cockpit {' '.join(sys.argv[1:])}\n{text}\n")
        saved = f"the traceback is in {where}"
    except OSError as log_exc:
        saved = f"and the traceback could not be saved ({log_exc.strerror or log_exc})"
    say(f"internal error: {type(exc).__name__}: {exc}; {saved}")
