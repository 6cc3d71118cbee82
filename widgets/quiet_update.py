"""Updating a Static without waste: skip identical content, and ask for a layout pass only when the
widget's height must change.

``Static.update`` lays out the whole screen by default. With snapshots arriving ten times a second that
re-composited every pane on every snapshot (measured in bench/chart_bench.py: most screen updates took
over 12 ms during a cascade); almost all of those updates change a number, never a height.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def update_quietly(widget: Static, content: Content | str, shown: Content | str | None) -> Content | str:
    """Show ``content`` if it differs from ``shown``; returns what is now shown (keep it for next time)."""
    if content == shown:
        return shown
    widget.update(content, layout=False)
    if widget.styles.height is not None and widget.styles.height.is_auto and widget.is_mounted:
        width, height = widget.content_size
        if width and widget.get_content_height(widget.size, widget.app.size, width) != height:
            widget.refresh(layout=True)
    elif widget.content_size.width == 0:
        widget.refresh(layout=True)  # never laid out yet: the first content sizes it
    return content
