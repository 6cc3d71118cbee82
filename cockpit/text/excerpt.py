"""Excerpts of outside data for one-line messages: whatever a venue, an API or a file holds, a message that
quotes it stays one short line and cannot fail to be made."""

from __future__ import annotations

import reprlib


class _Excerpt(reprlib.Repr):
    """reprlib with room for a message's worth of a venue value, and huge integers that cannot fail."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother, self.maxlong = 3, 60, 60, 40

    def repr_int(self, x: int, level: int) -> str:
        # repr of an int over 4,300 digits raises ValueError (CPython's int-to-str limit).
        return super().repr_int(x, level) if x.bit_length() < 4_000 else f"<{x.bit_length()}-bit integer>"


_EXCERPT = _Excerpt()


def excerpt(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message: one line, control characters escaped, at most ``limit`` characters
    and a few levels deep whatever a venue sent (a 10 MB string, nesting 10,000 deep, a 1e5-digit int)."""
    try:
        text = _EXCERPT.repr(value)
    except Exception:  # a repr that fails (RecursionError, a broken __repr__) must not cost the message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
