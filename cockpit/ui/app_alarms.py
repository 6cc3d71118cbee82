"""The app's side of alarms: dialog and list, changes through the engine's alarm service, and what
happens when one fires (toast, bell and desktop notification through the terminal, command/webhook).

The evaluation itself runs in the engine on every tick; this only shows and asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from textual.app import App

from cockpit.alarms.evaluate import AlarmBook
from cockpit.alarms.model import Alarm, AlarmError, AlarmFired, AlarmStatus
from cockpit.alarms.notify import deliver, terminal_alert
from cockpit.alarms.service import AlarmService
from cockpit.alarms.store import StoreError
from cockpit.config import Config
from cockpit.models import Snapshot
from cockpit.ui.engine_link import AlarmsLink
from cockpit.ui.screens.alarm_dialog import AlarmDialog
from cockpit.ui.screens.alarm_list import AlarmListScreen
from cockpit.widgets.price_chart import PriceChart

HISTORY_ROWS = 30


class AlarmHost(Protocol):
    """What the alarm UI needs of the app beyond Textual's own API."""

    @property
    def config(self) -> Config: ...

    def current_price(self) -> float | None: ...

    def current_symbol(self) -> str: ...

    def write_to_terminal(self, text: str) -> None: ...


class AlarmUi:
    """Owned by the app (``app.alarm_ui``); the app's alarm actions delegate here."""

    def __init__(self, app: App[Any], host: AlarmHost, service: AlarmsLink | None) -> None:
        self.app, self.host = app, host
        # Without an engine (UI tests feed snapshots by hand) alarms still work, in memory.
        self.service: AlarmsLink = (
            service if service is not None else AlarmService(AlarmBook(host.config.alarms))
        )
        self.history: list[AlarmFired] = []

    # -- what the list screen asks -------------------------------------------------------------------------

    def alarm_statuses(self) -> Sequence[AlarmStatus]:
        return self.service.book.statuses()

    def alarm_history(self) -> Sequence[AlarmFired]:
        return self.history[:HISTORY_ROWS]

    def edit_alarm(self, alarm_id: int) -> None:
        alarm = next((a for a in self.service.book.alarms() if a.id == alarm_id), None)
        if alarm is not None:
            charted = self.host.current_symbol()
            # The last price steers a price alarm's direction: only the charted instrument's is known here.
            last = self.host.current_price() if alarm.symbol == charted else None
            self.app.push_screen(AlarmDialog(None, last, charted, editing=alarm), self._save_alarm)

    def change_alarm(self, op: str, alarm_id: int) -> None:
        """Mute/unmute, delete or re-arm an alarm (store I/O runs in a thread inside the service)."""
        self.app.run_worker(self._change(op, alarm_id), group="alarms")

    async def _change(self, op: str, alarm_id: int) -> None:
        service = self.service
        try:
            if op == "toggle-mute":
                alarm = next(a for a in service.book.alarms() if a.id == alarm_id)
                await service.set_muted(alarm_id, not alarm.muted)
                done = "unmuted" if alarm.muted else "muted"
            elif op == "remove":
                await service.remove(alarm_id)
                done = "deleted"
            else:
                await service.rearm(alarm_id)
                done = "re-armed"
        except (StoreError, StopIteration) as exc:
            self.app.notify(f"alarm #{alarm_id}: {exc or 'not found'}", severity="error")
            return
        self.app.notify(f"alarm #{alarm_id} {done}", timeout=3)
        self.changed()

    # -- actions -------------------------------------------------------------------------------------------

    def add(self) -> None:
        """Open the alarm dialog for the charted instrument, at the chart's cursor, else at the last price."""
        chart = self.app.query_one(PriceChart)
        last = self.host.current_price()
        level = chart.cursor if chart.cursor is not None else last
        self.app.push_screen(AlarmDialog(level, last, self.host.current_symbol()), self._save_alarm)

    def show_list(self) -> None:
        """Show every alarm and the firing history."""
        self._load_history()
        self.app.push_screen(AlarmListScreen(self))

    def _save_alarm(self, alarm: Alarm | None) -> None:
        if alarm is not None:
            self.app.run_worker(self._store_alarm(alarm), group="alarms")

    async def _store_alarm(self, alarm: Alarm) -> None:
        try:
            if alarm.id:
                saved = await self.service.update(alarm)
            else:
                saved = await self.service.add(alarm)
        except (StoreError, AlarmError) as exc:
            self.app.notify(f"alarm not saved: {exc}", severity="error", timeout=8)
            return
        verb = "changed" if alarm.id else "set"
        self.app.notify(f"alarm #{saved.id} {verb}: {saved.describe()}", timeout=4)
        self.changed()

    def changed(self) -> None:
        self._draw_alarm_levels(self.service.book.statuses())
        if isinstance(self.app.screen, AlarmListScreen):
            self.app.screen.refresh_rows()

    def _draw_alarm_levels(self, statuses: Sequence[AlarmStatus]) -> None:
        """Price levels of the charted instrument's live alarms onto the chart (zones as their two edges):
        another instrument's levels are prices of another market, meaningless on this chart's scale."""
        charted = self.host.current_symbol()
        levels: list[float] = []
        for st in statuses:
            a = st.alarm
            if a.muted or a.done or a.symbol != charted:
                continue
            if a.kind in ("price", "level") and st.level is not None:
                levels.append(st.level)
            elif a.kind == "zone" and a.low is not None and a.high is not None:
                levels += [a.low, a.high]
        self.app.query_one(PriceChart).set_alarm_levels(tuple(sorted(set(levels))))

    def _load_history(self) -> None:
        self.app.run_worker(self._read_history(), group="alarm-history", exclusive=True)

    async def _read_history(self) -> None:
        try:
            stored = await self.service.history(HISTORY_ROWS)
        except StoreError as exc:
            self.app.notify(f"alarm history unavailable: {exc}", severity="error")
            return
        if not stored:  # no store (in memory), or nothing recorded yet: the session's own list stands
            return
        seen = {(f.alarm_id, f.ts_ms) for f in stored}
        self.history = sorted(
            stored + [f for f in self.history if (f.alarm_id, f.ts_ms) not in seen],
            key=lambda f: -f.ts_ms,
        )
        if isinstance(self.app.screen, AlarmListScreen):
            self.app.screen.refresh_rows()

    # -- firing --------------------------------------------------------------------------------------------

    def on_snapshot(self, s: Snapshot) -> None:
        """Per snapshot: draw the alarm levels; announce every firing since the last one."""
        # The book is the engine's own (or the in-memory one): current even between snapshots.
        self._draw_alarm_levels(self.service.book.statuses())
        for fired in s.fired_alarms:
            self.announce(fired)

    def announce(self, fired: AlarmFired) -> None:
        """Toast, bell and OSC 9/777 through the terminal (reaches the trader's own machine over SSH),
        then the configured command and webhook in the background."""
        self.history.insert(0, fired)
        self.app.notify(fired.body, title=fired.title, severity="warning", timeout=15)
        text = terminal_alert(fired.title, fired.body, self.host.config.alarms)
        if text:
            self.host.write_to_terminal(text)
        wanted = self.host.config.alarms.notify_command or self.host.config.alarms.webhook
        if wanted and self.service.delivers:  # attached: the daemon ran them, once for every viewer
            self.app.run_worker(self._deliver(fired), group="alarm-delivery")
        if isinstance(self.app.screen, AlarmListScreen):
            self.app.screen.refresh_rows()

    async def _deliver(self, fired: AlarmFired) -> None:
        for result in await deliver(fired, self.host.config.alarms):
            if not result.ok:
                self.app.notify(
                    f"alarm #{fired.alarm_id} {result.channel}: {result.detail}", severity="error"
                )
