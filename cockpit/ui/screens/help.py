"""The help screen: every key, its binding id (for [keys] in config.toml) and what it does."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
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


# The description column fits the longest, so no description runs into its id.
PALETTE_WIDTH = max(len(spec.palette) for spec in (*KEYMAP, *CHART_KEYMAP)) + 1


class HelpScreen(ModalScreen[None]):
    """Lists the keymap as it is now (after config overrides); any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 2;
    }
    HelpScreen Static { width: 100%; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, keys: dict[str, str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        lines = [Content.styled("Keys", "bold"), Content("")]
        lines += [self._row(spec) for spec in KEYMAP]
        lines += [Content(""), Content.styled("Chart (while it has the focus)", "bold"), Content("")]
        lines += [self._row(spec) for spec in CHART_KEYMAP]
        hint = "Override keys by id in config.toml under [keys]; escape closes."
        lines += [Content(""), Content.styled(hint, "$foreground-muted")]
        with VerticalScroll():
            yield Static(Content("\n").join(lines))

    def _row(self, spec: KeySpec) -> Content:
        """One binding: its keys as typed, what it does, its id. Plain text: "[" is a key, not markup."""
        keys = ",".join(KEY_NAMES.get(k, k) for k in self.keys[spec.id].split(","))
        what = spec.palette.ljust(PALETTE_WIDTH)
        return Content.assemble((f"{keys:<14} ", "bold $primary"), f"{what} ", (spec.id, "$foreground-muted"))
