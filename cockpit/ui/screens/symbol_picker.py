"""The symbol picker (`s`): type a few letters, pick an instrument to chart. The watchlist (``[live]
symbols``) comes first, then everything the sources offer; the filter matches anywhere in the symbol, and
what starts with the typed text ranks first ("eth" puts ETH/USDT:USDT before WETH...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

SHOWN = 200  # options listed at most: more than a screen, far fewer than a venue's whole list


def ranked(query: str, watchlist: Sequence[str], offered: Sequence[str]) -> list[str]:
    """The instruments matching ``query`` (case-insensitive, anywhere), in order: the watchlist first,
    then those whose symbol starts with the query, then the rest, each group in its own order."""
    q = query.strip().upper()
    everything = list(dict.fromkeys([*watchlist, *offered]))
    hits = [s for s in everything if q in s.upper()]
    first = set(watchlist)
    return sorted(hits, key=lambda s: (s not in first, not s.upper().startswith(q), everything.index(s)))


class SymbolPicker(ModalScreen[str | None]):
    """Returns the chosen symbol, or None when dismissed."""

    DEFAULT_CSS = """
    SymbolPicker { align: center middle; }
    SymbolPicker > Vertical {
        width: 60; max-width: 100%; height: 24; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SymbolPicker OptionList { height: 1fr; }
    SymbolPicker #picker-help { color: $foreground-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_picker", "Close", id="symbol-picker.close"),
        Binding("down", "move(1)", "Next", show=False, id="symbol-picker.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="symbol-picker.previous"),
    ]

    def __init__(self, current: str, watchlist: Sequence[str], offered: Sequence[str]) -> None:
        super().__init__()
        self.current, self.watchlist, self.offered = current, tuple(watchlist), tuple(offered)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Chart which instrument? (now {self.current})")
            yield Input(placeholder="type to filter: eth, sol, doge…", id="picker-query")
            yield OptionList(id="picker-options")
            yield Static("enter charts it · escape closes", id="picker-help")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        symbols = ranked(query, self.watchlist, self.offered)[:SHOWN]
        options.add_options([Option(s, id=s) for s in symbols])
        if symbols:
            options.highlighted = 0

    @on(Input.Changed, "#picker-query")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-query")
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            now = options.highlighted if options.highlighted is not None else -step
            options.highlighted = max(0, min(options.option_count - 1, now + step))

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)
