"""The symbol picker (`s`) and the palette's "symbol: X" (issue 18 §4)."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, OptionList

from cockpit.config import Config
from cockpit.ui.screens.symbol_picker import SymbolPicker, ranked
from cockpit.wiring import demo_app

OFFERED = ("BTC/USDT:USDT", "WETH/USDT:USDT", "ETHFI/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")


def test_the_watchlist_comes_first_then_what_starts_with_the_query() -> None:
    watch = ("SOL/USDT:USDT", "ETH/USDT:USDT")
    assert ranked("", watch, OFFERED) == [
        "SOL/USDT:USDT",
        "ETH/USDT:USDT",
        "BTC/USDT:USDT",
        "WETH/USDT:USDT",
        "ETHFI/USDT:USDT",
    ]
    assert ranked("eth", (), OFFERED) == ["ETHFI/USDT:USDT", "ETH/USDT:USDT", "WETH/USDT:USDT"]
    assert ranked("eth", watch, OFFERED)[0] == "ETH/USDT:USDT"
    assert ranked("doge", watch, OFFERED) == []


def test_typing_and_enter_put_the_instrument_on_the_chart() -> None:
    async def scenario() -> tuple[list[str], str, str, float | None]:
        app = demo_app(Config(), None, None)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            await pilot.press("s")
            await pilot.pause(0.2)
            assert isinstance(app.screen, SymbolPicker)
            await pilot.press("e", "t", "h")
            await pilot.pause(0.2)
            options = app.screen.query_one(OptionList)
            listed = [str(options.get_option_at_index(i).id) for i in range(options.option_count)]
            assert app.screen.query_one(Input).value == "eth"
            await pilot.press("enter")
            await pilot.pause(0.5)
            snap = app.snapshot
            assert snap is not None
            title = str(app.query_one("#chart").border_title)
            return listed, snap.symbol, title, snap.price

    listed, symbol, title, price = asyncio.run(scenario())
    assert listed == ["ETH/USDT:USDT"]  # the watchlist's ETH (the simulated market's is the same one)
    assert symbol == "ETH/USDT:USDT" and "ETH/USDT" in title
    assert price is not None and 1_000 < price < 5_000  # ETH's own price, not BTC's ~75,000


def test_escape_closes_the_picker_and_keeps_the_instrument() -> None:
    async def scenario() -> tuple[bool, str]:
        app = demo_app(Config(), None, None)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            await pilot.press("s", "s", "o", "l", "escape")
            await pilot.pause(0.3)
            assert app.snapshot is not None
            return isinstance(app.screen, SymbolPicker), app.snapshot.symbol

    still_open, symbol = asyncio.run(scenario())
    assert not still_open and symbol == "BTC/USDT:USDT"


def test_the_palette_offers_each_instrument() -> None:
    from cockpit.ui.commands import CockpitCommands

    async def scenario() -> list[tuple[str, str, str]]:
        app = demo_app(Config(), None, None)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            return CockpitCommands(app.screen)._commands()

    commands = asyncio.run(scenario())
    symbols = [(title, action) for title, action, _ in commands if title.startswith("symbol: ")]
    assert symbols[:3] == [
        ("symbol: BTC/USDT:USDT", "set_symbol('BTC/USDT:USDT')"),
        ("symbol: ETH/USDT:USDT", "set_symbol('ETH/USDT:USDT')"),
        ("symbol: SOL/USDT:USDT", "set_symbol('SOL/USDT:USDT')"),
    ]
