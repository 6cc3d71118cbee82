"""Updating a Static without waste: skip identical content, and ask for a layout pass only when the
widget's height must change.

``Static.update`` lays out the whole screen by default. With snapshots arriving ten times a second that
re-composited every pane on every snapshot (measured in bench/chart_bench.py: most screen updates took
over 12 ms during a cascade); almost all of those updates change a number, never a height.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static


def update_quietly(widget: Static, content: Content | str, shown: Content | str | None) -> Content | str:
    """Show ``content`` if it differs from ``shown``; returns what is now shown (keep it for next time)."""
    if content == shown:
        return shown
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
