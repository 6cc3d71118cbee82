"""Issue 14, items 1-2 in the running app: an alarm whose note holds markup (`[/]`, `[@click=...]`) and
escape sequences is set from the dialog (as a bracketed paste would fill it), fires on the simulated market
and is listed on `A`. The app stays up, the note is shown as its printable text, and nothing it holds
reaches the terminal as an escape sequence or becomes an action."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import DataTable, Input, Label

from cockpit.alarms.store import AlarmStore, store_path
from cockpit.config import Config
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS
from cockpit.ui.app import CockpitApp
from cockpit.ui.screens.alarm_dialog import AlarmDialog
from cockpit.ui.screens.alarm_list import AlarmListScreen
from cockpit.wiring import demo_engine

NOTE = "SL [tight] [/] [@click=app.quit]x[/] a\x1b]2;PWNED\x07b\x1b[2J\x1b[5;5HZZZZ\x1b]52;c;cm0=\x07"
SHOWN = "SL [tight] [/] [@click=app.quit]x[/] a]2;PWNEDb[2J[5;5HZZZZ]52;c;cm0="


async def _wait_for_price(app: CockpitApp, pilot: Any) -> None:
    while app.snapshot is None or app.snapshot.price is None:
        await pilot.pause(0.05)


async def _set_alarm(app: CockpitApp, pilot: Any) -> None:
    await pilot.press("a")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, AlarmDialog)
    price = dialog.query_one("#alarm-main", Input)
    price.value = "[/]"  # markup typed into the price field: an error line, not a crash
    await pilot.pause()
    assert "[/]" in str(dialog.query_one("#alarm-error", Label).render())
    price.value = "75150"
    dialog.query_one("#alarm-note", Input).value = NOTE  # what a bracketed paste puts in the field
    await pilot.pause()
    await pilot.press("enter")
    while not app.alarm_ui.service.book.alarms():
        await pilot.pause(0.02)


def test_a_hostile_note_fires_and_is_listed_as_plain_text() -> None:
    config = Config()
    path = store_path(config.alarms, demo=True)

    async def run() -> dict[str, Any]:
        clock = ManualClock(OPENING_MS)
        app = CockpitApp(config, demo_engine(config, DEFAULT_SEED, clock, AlarmStore(path)))
        out: dict[str, Any] = {"written": []}
        async with app.run_test(size=(140, 40)) as pilot:
            assert app._driver is not None
            app._driver.write = out["written"].append  # type: ignore[method-assign]
            app._driver.flush = lambda: None  # type: ignore[method-assign]
            await _wait_for_price(app, pilot)
            await _set_alarm(app, pilot)
            for _ in range(3600):  # a simulated second at a time until it fires
                if app.alarm_ui.history:
                    break
                clock.advance(1000)
                await asyncio.sleep(0.06)
            await pilot.pause(0.3)
            out["toasts"] = [n.message for n in app._notifications]
            await pilot.press("A")
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, AlarmListScreen)
            alarms = screen.query_one("#alarm-table", DataTable)
            history = screen.query_one("#alarm-history", DataTable)
            out["alarm_row"] = [str(c) for c in alarms.get_row_at(0)]
            out["history_row"] = [str(c) for c in history.get_row_at(0)]
            out["screen"] = app.export_screenshot()
            out["running"] = app.is_running
        out["return_code"] = app.return_code
        return out

    o = asyncio.run(run())
    assert o["running"] and o["return_code"] in (None, 0)
    assert any(SHOWN in m for m in o["toasts"]), o["toasts"]
    assert o["alarm_row"][-1] == SHOWN
    assert SHOWN in o["history_row"][3]
    assert "[@click=app.quit]x[/]" in o["screen"].replace("&#160;", " ")
    written = "".join(o["written"])
    assert "\x1b]9;cockpit alarm #1" in written  # the notification went out...
    assert "PWNED\x07" not in written and "\x1b]2;" not in written and "\x1b]52;" not in written  # ...clean
    with AlarmStore(path) as store:
        assert store.list_alarms()[0].note == SHOWN
