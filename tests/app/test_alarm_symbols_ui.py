"""Alarms per instrument in the app: the dialog sets alarms on the charted instrument (liquidations: its
coin or the whole market), and the chart draws only the charted instrument's alarm levels."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from cockpit.widgets.price_chart import PriceChart
from textual.widgets import Input, Label, Select

from cockpit.alarms.model import Alarm, price_alarm
from cockpit.config import Config
from cockpit.models import Snapshot
from cockpit.sources.demo.market import DEFAULT_SEED
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.screens.alarm_dialog import AlarmDialog, scopes
from cockpit.wiring import demo_snapshot

BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"


def charting(symbol: str) -> Snapshot:
    """The simulated market's snapshot, as if ``symbol`` were on the chart."""
    return replace(demo_snapshot(Config(), DEFAULT_SEED), symbol=symbol)


async def _set(app: CockpitApp, pilot: Any, kind: str, main: str, scope: str | None = None) -> Alarm:
    """Open the dialog with ``a``, fill it in, choose the "for" field when given, set; the stored alarm."""
    await pilot.press("a")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, AlarmDialog)
    dialog.query_one("#alarm-kind", Select).value = kind
    await pilot.pause()
    dialog.query_one("#alarm-main", Input).value = main
    if scope is not None:
        dialog.query_one("#alarm-scope", Select).value = scope
    await pilot.pause()
    preview = str(dialog.query_one("#alarm-preview", Label).render())
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert not isinstance(app.screen, AlarmDialog), preview
    return app.alarm_ui.service.book.alarms()[-1]


def test_the_dialog_sets_alarms_on_the_charted_instrument_or_the_market() -> None:
    async def run() -> dict[str, Any]:
        app = CockpitApp(Config(), None)
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(charting(ETH)))
            await pilot.pause()
            out["price"] = await _set(app, pilot, "price", "3,100")
            await pilot.press("a")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, AlarmDialog)
            dialog.query_one("#alarm-kind", Select).value = "liq"
            await pilot.pause()
            out["liq_default"] = dialog.query_one("#alarm-scope", Select).value
            await pilot.press("escape")
            await pilot.pause()
            out["coin"] = await _set(app, pilot, "liq", "5M")
            out["market"] = await _set(app, pilot, "liq", "100M", scope="market")
            out["fng"] = await _set(app, pilot, "fng", "20")
        return out

    o = asyncio.run(run())
    assert (o["price"].kind, o["price"].symbol, o["price"].level) == ("price", ETH, 3_100.0)
    # Select refuses a value it does not offer: the market is offered beside the coin.
    assert scopes("liq", ETH) == (("ETH: every market of the coin", ETH), ("every coin (market)", "market"))
    assert o["liq_default"] == ETH
    assert o["coin"].symbol == ETH and o["coin"].describe() == "ETH liquidations 1h > $5M"
    assert o["market"].symbol == "market" and o["market"].describe() == "market liquidations 1h > $100M"
    assert o["fng"].symbol == "market"


def test_an_edited_alarm_keeps_its_instrument_and_the_chart_draws_only_the_charted_ones() -> None:
    async def run() -> dict[str, Any]:
        app = CockpitApp(Config(), None)
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            service = app.alarm_ui.service
            btc = await service.add(price_alarm(80_000, "above"))
            await service.add(price_alarm(3_100, "above", symbol=ETH))
            chart = app.query_one(PriceChart)
            app.post_message(SnapshotReady(charting(BTC)))
            await pilot.pause()
            out["btc_lines"] = chart.alarm_levels
            app.post_message(SnapshotReady(charting(ETH)))
            await pilot.pause()
            out["eth_lines"] = chart.alarm_levels
            app.alarm_ui.edit_alarm(btc.id)  # while ETH is charted
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, AlarmDialog)
            dialog.query_one("#alarm-main", Input).value = "81000"
            await pilot.pause()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            out["edited"] = next(a for a in service.book.alarms() if a.id == btc.id)
        return out

    o = asyncio.run(run())
    assert o["btc_lines"] == (80_000.0,) and o["eth_lines"] == (3_100.0,)
    assert (o["edited"].symbol, o["edited"].level) == (BTC, 81_000.0)
