"""Base class for the cockpit's focusable panes: a bordered box that receives every snapshot."""

from __future__ import annotations

from cockpit.widgets.quiet_update import RowStatic, update_quietly
from textual.content import Content
from textual.reactive import reactive

from cockpit.models import Snapshot


class Pane(RowStatic, can_focus=True):
    """A focusable, titled pane; subclasses render ``snapshot`` in ``render_snapshot``."""

    DEFAULT_CSS = """
    Pane {
        border: round $panel-lighten-2;
        border-title-color: $foreground-muted;
        padding: 0 1;
        height: 1fr;
    }
    Pane:focus {
        border: round $primary;
        border-title-color: $primary;
    }
    """

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    _shown: Content | str | None = None

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self._shown = update_quietly(self, self.render_snapshot(snapshot), self._shown)

    def render_snapshot(self, snapshot: Snapshot) -> Content:
        """The content for one snapshot (markup string or renderable)."""
        raise NotImplementedError
