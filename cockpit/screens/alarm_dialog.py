"""The alarm dialog: a price level, prefilled from the chart cursor (or the last price).

Opened by ``a``. Enter confirms, escape cancels; a value that is not a positive price is refused inline
and the dialog stays open, so nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cockpit import formatting as fmt


@dataclass(frozen=True, slots=True)
class AlarmRequest:
    """What the dialog returns: fire when the price crosses ``level`` in ``direction``."""

    level: float
    direction: str  # "above" or "below"


def parse_level(text: str) -> float:
    """A price typed by a trader: thousands separators allowed; raises ValueError with a short reason."""
    cleaned = text.replace(",", "").replace("_", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"not a price: {text.strip()!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"price must be above 0, got {text.strip()!r}")
    return value


class AlarmDialog(ModalScreen[AlarmRequest | None]):
    """Set a price alarm; the direction follows from where the level is against the last price."""

    DEFAULT_CSS = """
    AlarmDialog { align: center middle; }
    AlarmDialog > Vertical {
        width: 56; max-width: 100%; height: auto; border: round $alarm; background: $surface; padding: 1 2;
    }
    AlarmDialog Label { width: 100%; }
    AlarmDialog #alarm-error { color: $error; height: auto; }
    AlarmDialog #alarm-hint { color: $foreground-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="alarm-dialog.cancel"),
    ]

    def __init__(self, level: float | None, last: float | None) -> None:
        super().__init__()
        self.level = level
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Price alarm[/b]")
            yield Input(
                value=f"{self.level:.2f}" if self.level is not None else "",
                placeholder="price, e.g. 74,900",
                id="alarm-level",
            )
            yield Label("", id="alarm-direction")
            yield Label("", id="alarm-error")
            yield Label("enter: set   escape: cancel", id="alarm-hint")

    def on_mount(self) -> None:
        self._describe(self.query_one("#alarm-level", Input).value)

    @on(Input.Changed, "#alarm-level")
    def _changed(self, event: Input.Changed) -> None:
        self._describe(event.value)

    def _describe(self, text: str) -> None:
        error, direction = self.query_one("#alarm-error", Label), self.query_one("#alarm-direction", Label)
        try:
            level = parse_level(text)
        except ValueError as exc:
            error.update(str(exc))
            direction.update("")
            return
        error.update("")
        if self.last:
            way, dist = self._direction(level), fmt.pct((level / self.last - 1) * 100)
            direction.update(f"fires when price crosses {way} {fmt.price(level)} ({dist} from last)")

    def _direction(self, level: float) -> str:
        return "above" if self.last is None or level >= self.last else "below"

    @on(Input.Submitted, "#alarm-level")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            level = parse_level(event.value)
        except ValueError as exc:
            self.query_one("#alarm-error", Label).update(str(exc))
            return
        self.dismiss(AlarmRequest(level, self._direction(level)))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
