"""The help screen: every key, its binding id (for [keys] in config.toml) and what it does."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.keymap import CHART_KEYMAP, KEYMAP, KeySpec

KEY_NAMES = {
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "full_stop": ".",
    "comma": ",",
    "equals_sign": "=",
    "minus": "-",
    "plus": "+",
}


class HelpScreen(ModalScreen[None]):
    """Lists the keymap as it is now (after config overrides); any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 1;
    }
    HelpScreen Static { width: auto; height: auto; }
    HelpScreen .help-title { margin-bottom: 1; }
    HelpScreen .help-hint { margin-top: 1; }
    HelpScreen Grid { grid-size: 3; grid-columns: auto 1fr auto; grid-gutter: 0 2; height: auto; }
    HelpScreen .help-section { margin-top: 1; margin-bottom: 1; }
    HelpScreen .help-does { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, keys: dict[str, str]) -> None:
        super().__init__()
        self.keys = keys

    def rows(self, specs: tuple[KeySpec, ...] = KEYMAP) -> list[tuple[str, str, str]]:
        """(keys as shown, what the binding does, its id) for every binding in ``specs``, as bound now."""
        out = []
        for spec in specs:
            keys = ",".join(KEY_NAMES.get(k, k) for k in self.keys[spec.id].split(","))
            out.append((keys, spec.palette, spec.id))
        return out

    def compose(self) -> ComposeResult:
        # Plain text in styled spans, never markup: key names such as "[" would open a markup tag. A grid, so
        # a long description wraps in its own column instead of running into the id (80 columns).
        hint = "Override keys by id in config.toml under [keys]; escape closes."
        with VerticalScroll():
            yield Static(Content.styled("Keys", "bold"), classes="help-title")
            yield from self._grid("help-keys", KEYMAP)
            chart = "Chart (while it has the focus; also in the palette)"
            yield Static(Content.styled(chart, "bold"), classes="help-section")
            yield from self._grid("help-chart-keys", CHART_KEYMAP)
            yield Static(Content.styled(hint, "$foreground-muted"), classes="help-hint")

    def _grid(self, grid_id: str, specs: tuple[KeySpec, ...]) -> ComposeResult:
        with Grid(id=grid_id):
            for keys, does, binding_id in self.rows(specs):
                yield Static(Content.styled(keys, "bold $primary"), classes="help-key")
                yield Static(Content(does), classes="help-does")
                yield Static(Content.styled(binding_id, "$foreground-muted"), classes="help-id")
