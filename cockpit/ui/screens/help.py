"""The help screen: every key, its binding id (for [keys] in config.toml) and what it does."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.keymap import KEYMAP

KEY_NAMES = {
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "full_stop": ".",
    "comma": ",",
}


class HelpScreen(ModalScreen[None]):
    """Lists the keymap as it is now (after config overrides); any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
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
        rows = ["[b]Keys[/b]", ""]
        for spec in KEYMAP:
            keys = self.keys[spec.id]
            for name, shown in KEY_NAMES.items():
                keys = keys.replace(name, shown)
            rows.append(f"[b $primary]{keys:<14}[/] {spec.palette:<46} [$foreground-muted]{spec.id}[/]")
        hint = "Override keys by id in config.toml under \\[keys]; escape closes."
        rows += ["", f"[$foreground-muted]{hint}[/]"]
        with VerticalScroll():
            yield Static("\n".join(rows), markup=True)
