"""A tape row fits its pane: in the side-by-side layout a row that wrapped put its price on a line of its
own, where it read as another print (seen in the opening screen's baseline)."""

from __future__ import annotations

import pytest
from cockpit.widgets.liquidation_tape import FULL_ROW, tape_line
from textual.content import Content

from cockpit.analytics.liquidations import LiquidationEvent

PRINT = LiquidationEvent(1_770_040_000_000, "SimEx Alpha", "1000PEPE/USDT:USDT", "short", 7.9e6, 0.0123456)


def cells(row: str) -> str:
    return Content.from_markup(row).plain


@pytest.mark.parametrize("width", [30, 34, 38, 44, FULL_ROW, 80])
def test_a_row_never_exceeds_its_width(width: int) -> None:
    assert len(cells(tape_line(PRINT, width))) <= max(width, 33)


def test_the_price_shows_when_the_row_fits_and_the_venue_gives_way_first() -> None:
    wide, narrow = cells(tape_line(PRINT, FULL_ROW)), cells(tape_line(PRINT, 38))
    assert wide.endswith("0.0123456") and "SimEx Al" in wide and "kPEPE" in wide and "$7.9M" in wide
    assert "0.0123" not in narrow and "SimEx Al" in narrow and narrow.endswith("$7.9M")
    assert "SimEx" in cells(tape_line(PRINT, 34)) and "SimEx Al" not in cells(tape_line(PRINT, 34))
