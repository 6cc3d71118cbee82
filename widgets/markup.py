"""Markup parsed once: the panes rebuild their markup on every snapshot, and most of it (totals that did
not move, labels, the status line between seconds) is the same text as last time. Parsing it again cost
about a tenth of the cockpit's CPU at rest (profiled in a real terminal, bench/RESULTS.md); Content is
immutable, so the parsed result is shared."""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content


@lru_cache(maxsize=1024)
def markup(text: str) -> Content:
    """``Content.from_markup(text)``, cached."""
    return Content.from_markup(text)
