"""The alarm list (``A``): every alarm with its level now and state; edit, mute, delete, re-arm; history.

The screen only shows and asks: every change goes through the app (``AlarmActions``), which applies it
to the engine's alarm service (and so to the shared store) and refreshes this screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label

from cockpit.alarms.model import AlarmFired, AlarmStatus
from cockpit.text import formatting as fmt


class AlarmActions(Protocol):
    """What the list asks of the app."""

    def alarm_statuses(self) -> Sequence[AlarmStatus]: ...
    def alarm_history(self) -> Sequence[AlarmFired]: ...
    def edit_alarm(self, alarm_id: int) -> None: ...
    def change_alarm(self, op: str, alarm_id: int) -> None: ...


def state_of(st: AlarmStatus) -> str:
    """armed, waiting (with the reason when it is not in the numbers), muted or done."""
    a = st.alarm
    if a.muted:
        return "muted"
    if a.done:
        return "done"
    if st.waiting:  # e.g. its instrument is not charted, so its levels are not computed
        return f"waiting: {st.waiting}"
    return "armed" if st.armed else "waiting"


class AlarmListScreen(ModalScreen[None]):
    """Alarms on top, the newest firings under them."""

    DEFAULT_CSS = """
    AlarmListScreen { align: center middle; }
    AlarmListScreen > Vertical {
        width: 140; max-width: 100%; height: 90%; border: round $alarm; background: $surface; padding: 0 1;
    }
    AlarmListScreen DataTable { height: 1fr; }
    AlarmListScreen #alarm-history { height: 1fr; }
    AlarmListScreen Label { color: $foreground-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,e", "edit", "Edit", id="alarm-list.edit"),
        Binding("m", "change('toggle-mute')", "Mute/unmute", id="alarm-list.mute"),
        Binding("d,delete", "change('remove')", "Delete", id="alarm-list.delete"),
        Binding("r", "change('rearm')", "Re-arm", id="alarm-list.rearm"),
        Binding("escape,A", "dismiss", "Close", id="alarm-list.close"),
    ]

    def __init__(self, actions: AlarmActions) -> None:
        super().__init__()
        self.actions = actions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Alarms[/b]  (enter edit · m mute · d delete · r re-arm · escape close)")
            yield DataTable(id="alarm-table", cursor_type="row", zebra_stripes=True)
            yield Label("[b]History[/b] (newest first)")
            yield DataTable(id="alarm-history", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#alarm-table", DataTable)
        table.add_columns("id", "alarm", "level now", "state", "fired", "last fired", "note")
        history = self.query_one("#alarm-history", DataTable)
        history.add_columns("time (UTC)", "id", "what", "value", "price")
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)
        table.focus()

    def refresh_rows(self) -> None:
        """Reload both tables, keeping the cursor on the same alarm."""
        table = self.query_one("#alarm-table", DataTable)
        if not table.columns:
            return  # not mounted yet (the history may load first); on_mount fills it
        selected = self.selected_id()
        table.clear()
        for st in self.actions.alarm_statuses():
            a = st.alarm
            last = fmt.stamp(a.last_fired_ms) if a.last_fired_ms else "—"
            level = fmt.price(st.level) if st.level is not None else "—"
            row = (str(a.id), a.describe(), level, state_of(st), str(a.fired_count), last, a.note)
            table.add_row(*map(Text, row), key=str(a.id))  # as text: a note is not markup
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        history = self.query_one("#alarm-history", DataTable)
        history.clear()
        for f in self.actions.alarm_history():
            price = fmt.price(f.price) if f.price is not None else "—"
            fired = (fmt.stamp(f.ts_ms), str(f.alarm_id), f.description, f.body.split(": ")[-1], price)
            history.add_row(*map(Text, fired))

    def selected_id(self) -> int | None:
        table = self.query_one("#alarm-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    @on(DataTable.RowSelected, "#alarm-table")
    def _selected(self) -> None:
        # The table takes enter itself (select row); selecting a row means edit it.
        self.action_edit()

    def action_edit(self) -> None:
        """Open the selected alarm in the alarm dialog."""
        alarm_id = self.selected_id()
        if alarm_id is not None:
            self.actions.edit_alarm(alarm_id)

    def action_change(self, op: str) -> None:
        """Mute/unmute, delete or re-arm the selected alarm."""
        alarm_id = self.selected_id()
        if alarm_id is not None:
            self.actions.change_alarm(op, alarm_id)
