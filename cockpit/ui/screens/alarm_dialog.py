"""The alarm dialog: kind, level, direction, note, once/re-arm, validated as the user types.

Opened by ``a`` (prefilled from the chart cursor, else the last price) and by the alarm list to edit one.
Enter in any field or the Set button confirms; escape cancels. Invalid input shows the model's own
one-line message and keeps the dialog open, so nothing typed is lost.

A new alarm watches the charted instrument (an edited one keeps its own); the "for" field says which, and
for liquidations offers its coin or the whole market. Fear & Greed is always the market's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from cockpit.alarms import parse
from cockpit.alarms.model import MARKET, Alarm, AlarmError, parse_ref, window_name
from cockpit.analytics.liquidations import coin_of
from cockpit.config import TIMEFRAMES
from cockpit.text.safety import shorten

# The error line under the fields: one screen line, however long the pasted text it quotes.
ERROR_WIDTH = 100

KIND_TITLES: tuple[tuple[str, str], ...] = (
    ("Price crosses a level", "price"),
    ("Price enters / leaves a zone", "zone"),
    ("Price crosses a computed level (follows it)", "level"),
    ("Liquidations in a window above $X", "liq"),
    ("Fear & Greed at or below / above", "fng"),
    ("RSI crosses a value", "rsi"),
)
# Per kind: the main field's label and placeholder, the extra field's (None: hidden), the direction choices.
FIELDS: dict[str, tuple[str, str, str | None, str, tuple[tuple[str, str], ...]]] = {
    "price": ("price", "74,900", None, "", (("crosses above", "above"), ("crosses below", "below"))),
    "zone": ("zone low", "74,500", "zone high", "75,000", (("enters", "enter"), ("leaves", "leave"))),
    "level": (
        "level",
        "fib 0.618 · bounce trigger · support",
        None,
        "",
        (("crosses above", "above"), ("crosses below", "below")),
    ),
    "liq": (
        "amount (USD)",
        "100M",
        "window",
        "1h",
        (("both sides", "both"), ("longs", "long"), ("shorts", "short")),
    ),
    "fng": ("index value", "20", None, "", (("at or below", "below"), ("at or above", "above"))),
    "rsi": ("RSI value", "30", "timeframe", "1h", (("crosses above", "above"), ("crosses below", "below"))),
}


def scopes(kind: str, symbol: str) -> tuple[tuple[str, str], ...]:
    """The "for" choices of a kind, as (title, symbol): one instrument, a liquidation alarm's coin or every
    coin, F&G the market."""
    if kind == "fng":
        return (("the whole market", MARKET),)
    if kind == "liq":
        return ((f"{coin_of(symbol)}: every market of the coin", symbol), ("every coin (market)", MARKET))
    return ((symbol, symbol),)


def build_alarm(kind: str, main: str, extra: str, choice: str, note: str, once: bool, symbol: str) -> Alarm:
    """The alarm the fields describe; ``AlarmError`` names the field at fault."""
    opts = {"note": note.strip(), "once": once, "symbol": symbol}
    if kind == "price":
        return Alarm("price", direction=choice, level=parse.amount(main, "price"), **opts)  # type: ignore[arg-type]
    if kind == "zone":
        low, high = parse.amount(main, "zone low"), parse.amount(extra, "zone high")
        return Alarm("zone", low=low, high=high, on=choice, **opts)  # type: ignore[arg-type]
    if kind == "level":
        return Alarm("level", direction=choice, ref=parse_ref(main), **opts)  # type: ignore[arg-type]
    if kind == "liq":
        side = None if choice == "both" else choice
        usd = parse.amount(main, "amount (USD)")
        return Alarm("liq", direction="above", level=usd, window_s=parse.window(extra), side=side, **opts)  # type: ignore[arg-type]
    if kind == "fng":
        value = parse.amount(main, "index value", 0, 100, lo_open=False)
        return Alarm("fng", direction=choice, level=value, **opts)  # type: ignore[arg-type]
    tf = extra.strip()
    if tf not in TIMEFRAMES:
        raise AlarmError(f"invalid timeframe {extra!r}: one of {' '.join(TIMEFRAMES)}")
    value = parse.amount(main, "RSI value", 0, 100, lo_open=False)
    return Alarm("rsi", direction=choice, level=value, timeframe=tf, **opts)  # type: ignore[arg-type]


def fields_of(alarm: Alarm) -> tuple[str, str, str]:
    """(main, extra, choice) texts that rebuild ``alarm`` in the dialog (editing)."""
    k = alarm.kind
    if k == "zone":
        return f"{alarm.low:g}", f"{alarm.high:g}", alarm.on or "enter"
    if k == "level":
        return alarm.ref or "", "", alarm.direction or "above"
    if k == "liq":
        return f"{alarm.level:g}", window_name(alarm.window_s or 3600), alarm.side or "both"
    if k == "rsi":
        return f"{alarm.level:g}", alarm.timeframe or "1h", alarm.direction or "above"
    return f"{alarm.level:g}", "", alarm.direction or "above"


class AlarmDialog(ModalScreen[Alarm | None]):
    """Create an alarm, or edit one (``editing``): returns the alarm definition, or None if cancelled."""

    DEFAULT_CSS = """
    AlarmDialog { align: center middle; }
    AlarmDialog > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $alarm; background: $surface; padding: 0 1;
    }
    AlarmDialog Label { width: 100%; }
    AlarmDialog Input, AlarmDialog Select { width: 1fr; }
    AlarmDialog Horizontal { height: auto; }
    AlarmDialog .field-name { width: 10; }

    AlarmDialog #alarm-error { color: $error; height: auto; }
    AlarmDialog #alarm-preview { color: $alarm; }
    AlarmDialog #alarm-hint { color: $foreground-muted; }
    AlarmDialog .hidden { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="alarm-dialog.cancel"),
        Binding("ctrl+s", "submit", "Set", id="alarm-dialog.set"),
    ]

    def __init__(
        self, level: float | None, last: float | None, symbol: str, editing: Alarm | None = None
    ) -> None:
        """``symbol``: the charted instrument, watched by a new alarm (an edited one keeps its own)."""
        super().__init__()
        self.level = level
        self.last = last
        self.editing = editing
        # The instrument the "for" field offers: an edited alarm's own, unless it is market-wide.
        self.symbol = editing.symbol if editing is not None and editing.symbol != MARKET else symbol
        self._auto_direction = editing is None
        self._auto_value: str | None = None

    def compose(self) -> ComposeResult:
        e = self.editing
        kind = e.kind if e is not None else "price"
        if e is not None:
            main, extra, choice = fields_of(e)
        else:
            main = f"{self.level:.2f}" if self.level is not None else ""
            extra, choice = "", self._price_direction(self.level)
        with Vertical():
            yield Label(f"[b]{'Edit alarm #' + str(e.id) if e else 'New alarm'}[/b]")
            with Horizontal():
                yield Label("kind", classes="field-name")
                yield Select(KIND_TITLES, value=kind, allow_blank=False, id="alarm-kind", compact=True)
            with Horizontal():
                yield Label("for", classes="field-name")
                options = scopes(kind, self.symbol)
                scope = e.symbol if e is not None and e.kind != "fng" else options[0][1]
                yield Select(options, value=scope, allow_blank=False, id="alarm-scope", compact=True)
            with Horizontal():
                yield Label("", classes="field-name", id="alarm-main-name")
                yield Input(value=main, id="alarm-main", compact=True)
            with Horizontal(id="alarm-extra-row"):
                yield Label("", classes="field-name", id="alarm-extra-name")
                yield Input(value=extra, id="alarm-extra", compact=True)
            with Horizontal():
                yield Label("when", classes="field-name")
                yield Select(
                    FIELDS[kind][4], value=choice, allow_blank=False, id="alarm-choice", compact=True
                )
            with Horizontal():
                yield Label("note", classes="field-name")
                yield Input(value=e.note if e else "", placeholder="optional", id="alarm-note", compact=True)
            yield Checkbox(
                "fire once (else re-arm after the price moves back)",
                bool(e and e.once),
                id="alarm-once",
                compact=True,
            )
            yield Label("", id="alarm-preview")
            yield Label("", id="alarm-error")
            with Horizontal():
                yield Button("Set", variant="primary", id="alarm-set", compact=True)
                yield Label("  enter: set   escape: cancel", id="alarm-hint")

    def on_mount(self) -> None:
        self._apply_kind(str(self.query_one("#alarm-kind", Select).value), keep_choice=True)
        self.query_one("#alarm-main", Input).focus()

    def _price_direction(self, level: float | None) -> str:
        return "below" if self.last is not None and level is not None and level < self.last else "above"

    @on(Select.Changed, "#alarm-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self._apply_kind(str(event.value), keep_choice=False)

    def _apply_kind(self, kind: str, keep_choice: bool) -> None:
        main_name, main_hint, extra_name, extra_hint, choices = FIELDS[kind]
        self.query_one("#alarm-main-name", Label).update(main_name)
        self.query_one("#alarm-main", Input).placeholder = main_hint
        self.query_one("#alarm-extra-row").set_class(extra_name is None, "hidden")
        self.query_one("#alarm-extra-name", Label).update(extra_name or "")
        extra = self.query_one("#alarm-extra", Input)
        extra.placeholder = extra_hint
        if not keep_choice:
            scope = self.query_one("#alarm-scope", Select)
            scope.set_options(scopes(kind, self.symbol))
            scope.value = scopes(kind, self.symbol)[0][1]
            extra.value = extra_hint if extra_name and kind != "zone" else ""
            select = self.query_one("#alarm-choice", Select)
            select.set_options(choices)
            main = self.query_one("#alarm-main", Input)
            if kind == "price":
                select.value = self._price_direction(self._float(main.value))
            else:
                select.value = choices[0][1]
            if kind not in ("price", "zone"):
                main.value = ""
        self._validate()

    @staticmethod
    def _float(text: str) -> float | None:
        try:
            return parse.amount(text, "price")
        except AlarmError:
            return None

    @on(Input.Changed, "#alarm-main")
    def _main_changed(self, event: Input.Changed) -> None:
        # A price alarm's direction follows the typed level (below the last price: crosses below), until
        # the user picks a direction themselves.
        if self._auto_direction and str(self.query_one("#alarm-kind", Select).value) == "price":
            way = self._price_direction(self._float(event.value))
            self._auto_value = way
            self.query_one("#alarm-choice", Select).value = way

    @on(Select.Changed, "#alarm-choice")
    def _choice_changed(self, event: Select.Changed) -> None:
        if self._auto_value is not None and event.value != self._auto_value:
            self._auto_direction = False
        self._validate()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "#alarm-scope")
    def _changed(self) -> None:
        self._validate()

    def _current(self) -> Alarm:
        kind = str(self.query_one("#alarm-kind", Select).value)
        alarm = build_alarm(
            kind,
            self.query_one("#alarm-main", Input).value,
            self.query_one("#alarm-extra", Input).value,
            str(self.query_one("#alarm-choice", Select).value),
            self.query_one("#alarm-note", Input).value,
            self.query_one("#alarm-once", Checkbox).value,
            str(self.query_one("#alarm-scope", Select).value),
        )
        if self.editing is not None:  # keep the id and the options the dialog does not show
            e = self.editing
            alarm = replace(alarm, id=e.id, rev=e.rev, muted=e.muted, cooldown_s=e.cooldown_s)
            alarm = replace(alarm, hysteresis_pct=e.hysteresis_pct, created_ms=e.created_ms)
        return alarm

    def _validate(self) -> Alarm | None:
        error, preview = self.query_one("#alarm-error", Label), self.query_one("#alarm-preview", Label)
        try:
            alarm = self._current()
        except AlarmError as exc:
            # Plain content: the message may quote what was typed, and "[/]" is not markup here.
            error.update(Content(shorten(str(exc), ERROR_WIDTH)))
            preview.update("")
            return None
        error.update("")
        preview.update(Content(f"alarm: {alarm.describe()}" + (" (once)" if alarm.once else "")))
        return alarm

    @on(Input.Submitted)
    @on(Button.Pressed, "#alarm-set")
    def action_submit(self) -> None:
        """Set the alarm if the fields are valid; otherwise the error stays on screen."""
        alarm = self._validate()
        if alarm is not None:
            self.dismiss(alarm)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
