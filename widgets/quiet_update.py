"""Updating a Static without waste: skip identical content, repaint only the rows that changed, and ask
for a layout pass only when the widget's height must change.

``Static.update`` lays out the whole screen by default. With snapshots arriving ten times a second that
re-composited every pane on every snapshot (measured in bench/chart_bench.py: most screen updates took
over 12 ms during a cascade); almost all of those updates change a number, never a height. And a repaint
sends every row of the widget to the terminal: a new line in the liquidation tape resent all 26 rows of
the pane (measured in a pty, bench/RESULTS.md "In a real terminal"); now only the changed rows go.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static
from typing_extensions import Self


class RowStatic(Static):
    """A Static that ``update_quietly`` can repaint row by row."""

    _rows_only: tuple[Region, ...] | None = None

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        if self._rows_only is not None and not regions and not layout and not recompose:
            return super().refresh(*self._rows_only, repaint=repaint)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


def _changed_rows(widget: Static, old: Content | str | None, new: Content | str) -> tuple[Region, ...] | None:
    """The rows of ``widget`` whose text differs, or None when rows cannot be matched one to one (the
    number of rows changed, once wrapped to the widget's width as Textual wraps them)."""
    width = widget.content_size.width
    if not isinstance(old, Content) or not isinstance(new, Content) or not width:
        return None
    before, after = old.wrap(width), new.wrap(width)
    if len(before) != len(after):
        return None
    return tuple(Region(0, y, width, 1) for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)


def update_quietly(widget: Static, content: Content | str, shown: Content | str | None) -> Content | str:
    """Show ``content`` if it differs from ``shown``; returns what is now shown (keep it for next time)."""
    if content == shown:
        return shown
    rows = _changed_rows(widget, shown, content) if isinstance(widget, RowStatic) else None
    if isinstance(widget, RowStatic) and rows is not None:
        widget._rows_only = rows
        try:
            widget.update(content, layout=False)
        finally:
            widget._rows_only = None
        return content
    widget.update(content, layout=False)
    width, height = widget.content_size
    if not width or not widget.is_mounted:
        relayout(widget)  # never laid out yet: the first content sizes it
    elif (
        widget.styles.height is not None
        and widget.styles.height.is_auto
        and widget.get_content_height(widget.size, widget.app.size, width) != height
    ):
        relayout(widget)
    return content


def relayout(widget: Widget) -> None:
    """Lay ``widget`` out again at its new content height.

    ``refresh(layout=True)`` alone is not enough: Textual bumps ``_layout_updates`` (part of the box-model
    cache key) only when no layout of the widget is pending, so a widget measured by a screen layout while its
    own earlier request was still pending (its empty first content) keeps that cached box model, and its old
    height, until the pane is resized (issue 16: the scenarios pane at 80x24 showed two lines, then empty
    rows; the metrics strip two of four). There is no public hook to invalidate it.
    """
    widget._layout_updates += 1
    widget.refresh(layout=True)
