"""Numbers as traders type them ("80,000", "$80k", "100M", "1h", "90m"), shared by the CLI and the dialog.

Errors are ``AlarmError`` with one line naming the text at fault.
"""

from __future__ import annotations

import math
import re

from cockpit.alarms.model import AlarmError
from cockpit.text.excerpt import excerpt

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}
# Digits grouped by three with commas, an optional dot and decimals, an optional k/m/b: "80,000", "1,250.5k".
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?[kmbKMB]?")


def amount(text: str, what: str, lo: float = 0.0, hi: float = math.inf, *, lo_open: bool = True) -> float:
    """A number ("80000", "80_000", "80,000", "$80k", "100e6", "1.5B") within its range."""
    s = text.strip().lstrip("$")
    if "," in s and not _THOUSANDS.fullmatch(s):
        # "75,5" and "75.200,50" are decimal commas: read as thousands they would be 755 and 75.2.
        rule = "commas only between thousands (80,000); decimals take a dot (75.5)"
        raise AlarmError(f"invalid {what} {excerpt(text)}: {rule}")
    s = s.replace(",", "").replace("_", "")
    scale = 1.0
    if s[-1:].lower() in _SUFFIX:
        s, scale = s[:-1], _SUFFIX[s[-1].lower()]
    try:
        value = float(s) * scale
    except ValueError:
        raise AlarmError(f"invalid {what} {excerpt(text)}: expected a number") from None
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        bound = f"> {lo:g}" if hi == math.inf else f"in [{lo:g}, {hi:g}]"
        raise AlarmError(f"invalid {what} {excerpt(text)}: must be {bound}")
    return value


def window(text: str) -> int:
    """ "1h", "4h", "24h", "90m", "1d" or bare minutes, 1 minute to 24 hours -> seconds."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*(m|min|h|d)?\s*", text.lower())
    seconds = int(m.group(1)) * {"m": 60, "min": 60, "h": 3600, "d": 86_400}[m.group(2) or "m"] if m else 0
    if not 60 <= seconds <= 86_400:
        raise AlarmError(
            f"invalid window {excerpt(text)}: expected minutes (30, 90m) or hours (1h, 4h, 24h), at most 24h"
        )
    return seconds
