"""Text that did not come from the program, made safe to show on a terminal.

Alarm notes, venue and API strings, exception messages, config values and CSV cells can hold ESC,
CSI, OSC or other control characters. Passed to a terminal raw they retitle the window, clear the
screen, move the cursor or (OSC 52) write the clipboard. `printable` is applied where such text
enters the program and again where the CLI prints, so a text that slips past one still cannot act
on the terminal at the other.
"""

from __future__ import annotations

import unicodedata

# Bidirectional overrides and isolates reorder what follows them on screen: a note could make a
# price read backwards. They are format characters (Cf), not controls, so they are named here.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_SPACES = frozenset("\t\n\r\x0b\x0c")


def _kept(ch: str) -> str:
    if ch in _SPACES:
        return " "
    if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs"):
        return ""
    return ch


def printable(text: str) -> str:
    """`text` without control characters: C0, DEL, C1 and bidi controls are dropped, tabs and line
    breaks become spaces (every place that shows outside text shows one line of it)."""
    if text.isprintable():
        return text
    return "".join(_kept(ch) for ch in text)


def printable_lines(text: str) -> str:
    """Like `printable`, but keeps line breaks: for text the program lays out over several lines."""
    return "\n".join(printable(line) for line in text.split("\n"))


def shorten(text: str, limit: int) -> str:
    """`printable(text)` cut to at most `limit` characters, with an ellipsis when cut."""
    clean = printable(text)
    return clean if len(clean) <= limit else clean[: max(limit - 1, 0)] + "…"
