"""The liquidations pane's filters (issue 18 §3): minimum notional cycled with `m`, the followed coin with
`c`, each a binding with an id in `?` and the palette; the tape shows only what passes."""

from __future__ import annotations

import asyncio
import re

from cockpit.widgets.liquidation_tape import LiquidationTape
from cockpit.widgets.liquidation_views import TapeFilter

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.keymap import KEYMAP
from cockpit.wiring import demo_app

NOW = 1_770_000_000_000


def ev(usd: float, symbol: str = "BTC/USDT:USDT", k: int = 0) -> LiquidationEvent:
    return LiquidationEvent(NOW + k, "Binance", symbol, "long", usd, 100.0)


def test_the_filter_keeps_each_minimum_and_coin_apart() -> None:
    f = TapeFilter()
    f.feed(
        [
            ev(5_000, k=1),
            ev(50_000, "ETH/USDT:USDT", k=2),
            ev(2_000_000, k=3),
            ev(150_000, "ETH/USDT:USDT", k=4),
        ]
    )
    assert [e.notional_usd for e in f.rows(10)] == [150_000, 2_000_000, 50_000, 5_000]  # newest first
    assert f.cycle_min() == 10_000
    assert [e.notional_usd for e in f.rows(10)] == [150_000, 2_000_000, 50_000]
    f.cycle_min()
    assert [e.notional_usd for e in f.rows(10)] == [150_000, 2_000_000]
    f.coin = "ETH"
    assert [e.notional_usd for e in f.rows(10)] == [150_000]
    f.cycle_min()
    assert f.rows(10) == [] and f.label() == "ETH, ≥ $1.0M"
    assert f.cycle_min() == 0.0  # and round again
    assert len(f.rows(1)) == 1


def test_big_prints_stay_when_small_ones_pour_in() -> None:
    f = TapeFilter()
    f.feed([ev(3_000_000, k=0)])
    f.feed([ev(1_000, k=i + 1) for i in range(1_000)])  # far more than the 200 kept per minimum
    f.min_usd = 1_000_000.0
    assert [e.notional_usd for e in f.rows(5)] == [3_000_000]


def test_the_keys_are_bindings_with_ids() -> None:
    ids = {k.id: k for k in KEYMAP}
    assert ids["tape-min-size"].keys == "m" and ids["tape-coin"].keys == "c"
    assert ids["tape-min-size"].palette.startswith("liquidations:")


def notionals(text: str) -> list[float]:
    """The notional column of the tape rows (after the 'tape' heading) of the pane's text."""
    rows = text.split("tape (newest first", 1)[1].splitlines()[1:]
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "": 1.0}
    out = []
    for row in rows:
        m = re.search(r"(LONG|SHORT)\s+\$([\d.]+)([KMB]?)", row)
        if m:
            out.append(float(m.group(2)) * scale[m.group(3)])
    return out


def test_pressing_m_and_c_filters_the_tape_on_screen(tmp_path: object) -> None:
    async def scenario() -> tuple[list[float], list[float], str, str]:
        app = demo_app(Config(), None, None)
        async with app.run_test(size=(120, 60)) as pilot:
            await pilot.pause(2.0)
            tape = app.query_one(LiquidationTape)
            before = notionals(str(tape.render()))
            for _ in range(2):
                await pilot.press("m")  # $10K, then $100K
            await pilot.pause(0.3)
            text = str(tape.render())
            after = notionals(text)
            await pilot.press("c")
            await pilot.pause(0.3)
            return before, after, text, str(tape.render())

    before, after, text, coin_text = asyncio.run(scenario())
    assert any(x < 100_000 for x in before), "the opening tape has small prints"
    assert after and all(x >= 100_000 for x in after)
    assert "all coins, ≥ $100.0K" in text
    assert "BTC, ≥ $100.0K" in coin_text
