"""ASCII glyph mode: a Textual line filter over the final screen, so every glyph (borders, blocks, braille
from plotext, arrows in text) is covered at once and no widget needs to know. Each replacement is one
cell wide, so layouts do not move."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_EXPLICIT = {
    "•": "*", "●": "O", "·": ".", "◆": "*", "▸": ">", "▼": "v", "▲": "^", "◀": "<", "▶": ">",
    "→": ">", "←": "<", "↑": "^", "↓": "v", "≥": ">", "≤": "<", "—": "-", "–": "-", "…": ".",
    "━": "=", "×": "x", "▔": "-", "▁": "_", "▊": "|", "▎": "|", "▐": "[", "▌": "]",
}  # fmt: skip


@lru_cache(maxsize=4096)
def to_ascii(ch: str) -> str:
    """One cell of ASCII for one character."""
    if ch.isascii():
        return ch
    if ch in _EXPLICIT:
        return _EXPLICIT[ch]
    code = ord(ch)
    if 0x2500 <= code <= 0x257F:  # box drawing: lines and corners
        name = unicodedata.name(ch, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        return "+"
    if 0x2580 <= code <= 0x259F:  # block elements (candle bodies, half blocks)
        return "#" if code in (0x2588, 0x2589, 0x258A, 0x2593) else ":"
    if 0x2800 <= code <= 0x28FF:  # braille dots (plotext lines)
        return "." if code != 0x2800 else " "
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return ch  # a wide character cannot become one cell; leave it
    return "?"


class AsciiGlyphs(LineFilter):
    """Replace every non-ASCII glyph on screen by a one-cell ASCII stand-in."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = []
        for text, style, control in segments:
            if control is None and not text.isascii():
                text = "".join(map(to_ascii, text))
            out.append(Segment(text, style, control))
        return out
