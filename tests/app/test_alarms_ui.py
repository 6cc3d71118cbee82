"""Alarms in the running app: the dialog (valid and invalid input), the list screen, and an alarm set from
the keyboard firing on the simulated market at the right tick, with toast, bell and OSC, kept in the store
across a restart."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Checkbox, DataTable, Input, Label, Select

from cockpit.alarms.model import Alarm, price_alarm, zone_alarm
from cockpit.alarms.store import AlarmStore, store_path
from cockpit.config import Config
from cockpit.models import PriceTick
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS, SYMBOL, DemoMarket
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.screens.alarm_dialog import AlarmDialog
from cockpit.ui.screens.alarm_list import AlarmListScreen
from cockpit.wiring import demo_engine, demo_snapshot


async def _open_dialog(app: CockpitApp, pilot: Any) -> AlarmDialog:
    app.post_message(SnapshotReady(demo_snapshot(Config(), DEFAULT_SEED)))
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(app.screen, AlarmDialog)
    return app.screen


async def _fill(
    pilot: Any, dialog: AlarmDialog, kind: str, main: str, extra: str, choice: str, note: str = ""
) -> None:
    dialog.query_one("#alarm-kind", Select).value = kind
    await pilot.pause()
    dialog.query_one("#alarm-main", Input).value = main
    dialog.query_one("#alarm-extra", Input).value = extra
    dialog.query_one("#alarm-choice", Select).value = choice
    dialog.query_one("#alarm-note", Input).value = note
    await pilot.pause()


VALID = [
    ("price", "80,000", "", "above", Alarm("price", direction="above", level=80_000.0)),
    ("zone", "74500", "75000", "leave", Alarm("zone", low=74_500.0, high=75_000.0, on="leave")),
    ("level", "Fib .618", "", "below", Alarm("level", direction="below", ref="fib 0.618")),
    ("liq", "100M", "4h", "long", Alarm("liq", direction="above", level=1e8, window_s=14_400, side="long")),
    ("fng", "20", "", "below", Alarm("fng", direction="below", level=20.0)),
    ("rsi", "30", "1h", "below", Alarm("rsi", direction="below", level=30.0, timeframe="1h")),
]


@pytest.mark.parametrize("kind,main,extra,choice,expected", VALID, ids=[v[0] for v in VALID])
def test_dialog_sets_each_kind(kind: str, main: str, extra: str, choice: str, expected: Alarm) -> None:
    async def run() -> list[Alarm]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            dialog = await _open_dialog(app, pilot)
            await _fill(pilot, dialog, kind, main, extra, choice, note="desk plan")
            dialog.query_one("#alarm-once", Checkbox).value = True
            await pilot.pause()
            assert "alarm:" in str(dialog.query_one("#alarm-preview", Label).render())
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not isinstance(app.screen, AlarmDialog)
            return list(app.alarm_ui.service.book.alarms())

    alarms = asyncio.run(run())
    assert len(alarms) == 1
    got = alarms[0]
    from dataclasses import replace

    assert replace(got, id=0, rev=0, created_ms=0) == replace(expected, note="desk plan", once=True)


INVALID = [
    ("price", "75k?", "", "above", "invalid price"),
    ("price", "-5", "", "below", "must be > 0"),
    ("zone", "75000", "74000", "enter", "must be below zone high"),
    ("level", "fib seven", "", "above", "unknown level"),
    ("liq", "100M", "3d", "both", "invalid window"),
    ("fng", "150", "", "below", "must be in [0, 100]"),
    ("rsi", "30", "2h", "above", "invalid timeframe"),
]


@pytest.mark.parametrize("kind,main,extra,choice,message", INVALID, ids=[f"{v[0]}-{v[4]}" for v in INVALID])
def test_dialog_refuses_bad_input_inline_and_keeps_it(
    kind: str, main: str, extra: str, choice: str, message: str
) -> None:
    async def run() -> tuple[str, str, bool, int]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            dialog = await _open_dialog(app, pilot)
            await _fill(pilot, dialog, kind, main, extra, choice)
            await pilot.press("enter")
            await pilot.pause()
            error = str(dialog.query_one("#alarm-error", Label).render())
            kept = dialog.query_one("#alarm-main", Input).value
            still_open = app.screen is dialog
            await pilot.press("escape")
            await pilot.pause()
            return error, kept, still_open, len(app.alarm_ui.service.book.alarms())

    error, kept, still_open, count = asyncio.run(run())
    assert message in error and kept == main and still_open and count == 0


def test_list_screen_mutes_rearms_edits_and_deletes() -> None:
    async def run() -> dict[str, Any]:
        app = CockpitApp(Config(), None)
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), DEFAULT_SEED)))
            await pilot.pause()
            await app.alarm_ui.service.add(price_alarm(80_000.0, "above", note="reclaim"))
            await app.alarm_ui.service.add(zone_alarm(74_000.0, 74_500.0))
            await pilot.press("A")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, AlarmListScreen)
            table = screen.query_one("#alarm-table", DataTable)
            out["rows"] = table.row_count
            out["first_row"] = [str(c) for c in table.get_row_at(0)]
            await pilot.press("m")
            await app.workers.wait_for_complete()
            out["muted"] = _alarm(app, 1).muted
            out["state"] = str(table.get_row_at(0)[3])
            await pilot.press("m")
            await app.workers.wait_for_complete()
            out["unmuted"] = not _alarm(app, 1).muted
            await pilot.press("r")
            await app.workers.wait_for_complete()
            out["rearmed_rev"] = _alarm(app, 1).rev
            await pilot.press("enter")
            await pilot.pause()
            dialog = app.screen
            out["edit_prefill"] = dialog.query_one("#alarm-main", Input).value
            dialog.query_one("#alarm-main", Input).value = "81000"
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            edited = _alarm(app, 1)
            out["edited"] = (edited.id, edited.level, edited.note)
            await pilot.press("down", "d")
            await app.workers.wait_for_complete()
            await pilot.pause()
            out["left"] = [a.id for a in app.alarm_ui.service.book.alarms()]
            out["rows_after"] = table.row_count
        return out

    o = asyncio.run(run())
    assert o["rows"] == 2 and o["first_row"][1] == "BTC/USDT:USDT price above 80,000"
    assert o["first_row"][-1] == "reclaim"
    assert (o["muted"], o["state"], o["unmuted"]) == (True, "muted", True)
    assert o["rearmed_rev"] >= 3  # each change is a new revision
    assert float(o["edit_prefill"]) == 80_000 and o["edited"] == (1, 81_000.0, "reclaim")
    assert o["left"] == [1] and o["rows_after"] == 1


def _alarm(app: CockpitApp, alarm_id: int) -> Alarm:
    return next(a for a in app.alarm_ui.service.book.alarms() if a.id == alarm_id)


def _first_tick_below(level: float) -> PriceTick:
    """Independently of the app: the simulated market's first tick under ``level`` after the opening."""
    market = DemoMarket(DEFAULT_SEED)
    market.history()
    for second in range(1, 3600):
        for e in market.advance(OPENING_MS + second * 1000):
            if isinstance(e, PriceTick) and e.symbol == SYMBOL and e.price < level:  # BTC's, as on screen
                return e
    raise AssertionError("the simulated market never went below the level")


def test_alarm_set_from_the_keyboard_fires_at_the_right_tick_and_survives_a_restart() -> None:
    level = 75_150.0
    expected = _first_tick_below(level)
    config = Config()
    path = store_path(config.alarms, demo=True)

    async def run() -> dict[str, Any]:
        clock = ManualClock(OPENING_MS)
        app = CockpitApp(config, demo_engine(config, DEFAULT_SEED, clock, AlarmStore(path)))
        out: dict[str, Any] = {"written": []}
        async with app.run_test(size=(120, 40)) as pilot:
            assert app._driver is not None
            app._driver.write = out["written"].append  # type: ignore[method-assign]
            app._driver.flush = lambda: None  # type: ignore[method-assign]
            while app.snapshot is None or app.snapshot.price is None:  # the opening history is in
                await pilot.pause(0.05)
            await pilot.press("a")
            await pilot.pause()
            dialog = app.screen
            field = dialog.query_one("#alarm-main", Input)
            field.value = ""
            await pilot.press(*"75150", "enter")  # typed; below the last price, so "crosses below"
            while not app.alarm_ui.service.book.alarms():  # stored in a thread (the engine worker never ends)
                await pilot.pause(0.02)
            out["alarms"] = app.alarm_ui.service.book.alarms()
            for _ in range(3600):  # a simulated second at a time until it fires
                if app.alarm_ui.history:
                    break
                clock.advance(1000)
                await asyncio.sleep(0.06)  # the source steps every 50 ms of real time
            await pilot.pause(0.3)
            out["fired"] = list(app.alarm_ui.history)
            out["toasts"] = [(n.title, n.message) for n in app._notifications]
            out["clock"] = clock.now_ms()
        return out

    o = asyncio.run(run())
    assert [(a.kind, a.direction, a.level) for a in o["alarms"]] == [("price", "below", level)]
    fired = o["fired"]
    assert len(fired) == 1
    f = fired[0]
    # The right tick: the first simulated tick under the level, its predecessor at or above it.
    assert f.ts_ms == expected.ts_ms and f.price == expected.price and f.prev_price is not None
    assert f.prev_price >= level > f.price
    assert any(t == "cockpit alarm #1" and "BTC/USDT:USDT price below 75,150" in m for t, m in o["toasts"])
    written = "".join(o["written"])
    assert (
        "\a" in written
        and "\x1b]9;cockpit alarm #1" in written
        and "\x1b]777;notify;cockpit alarm #1;" in written
    )
    # After the app is gone: the alarm and its firing are in the store, and a new cockpit shows them.
    with AlarmStore(path) as store:
        assert [a.id for a in store.list_alarms()] == [1]
        history = store.history()
        assert [(h.alarm_id, h.ts_ms, h.price) for h in history] == [(1, expected.ts_ms, expected.price)]
        assert store.integrity_check() == "ok"

    async def restart() -> list[int]:
        app = CockpitApp(config, demo_engine(config, DEFAULT_SEED, ManualClock(OPENING_MS), AlarmStore(path)))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("A")
            await pilot.pause()
            return [
                int(str(r[0]))
                for r in (
                    app.screen.query_one("#alarm-table", DataTable).get_row_at(i)
                    for i in range(app.screen.query_one("#alarm-table", DataTable).row_count)
                )
            ]

    assert asyncio.run(restart()) == [1]
