"""What a funding rate is per: the interval read from each venue's ccxt answer, and how it is written."""

from __future__ import annotations

import pytest

from cockpit.sources.venues.funding import interval_hours, listed_interval_hours, parse_interval
from cockpit.text import formatting as fmt


@pytest.mark.parametrize(
    ("value", "hours"),
    [("8h", 8.0), ("1h", 1.0), ("28800000", 8.0), ("7200000", 2.0), ("0h", None), (None, None), ("", None)],
)
def test_ccxt_interval_strings(value: object, hours: float | None) -> None:
    assert parse_interval(value) == hours


def test_bybit_minutes_come_from_the_market_not_ccxt_whole_hours() -> None:
    # ccxt 4.5.90 writes int(30 / 60) = "0h" for a 30-minute Bybit market.
    market = {"info": {"fundingInterval": 30}}
    assert interval_hours("bybit", {"interval": "0h"}, market) == 0.5
    assert interval_hours("bybit", {"interval": "8h"}, {"info": {}}) == 8.0


def test_okx_gate_htx_use_ccxt_interval() -> None:
    for venue in ("okx", "gate", "htx"):
        assert interval_hours(venue, {"interval": "4h"}, {"info": {}}) == 4.0
    assert interval_hours("binanceusdm", {"interval": None}, {"info": {}}) is None


def test_binance_unlisted_symbol_settles_every_8h() -> None:
    listed = {"BLZ/USDT:USDT": {"interval": "4h"}}
    assert listed_interval_hours("binanceusdm", listed, "BLZ/USDT:USDT") == 4.0
    assert listed_interval_hours("binanceusdm", listed, "BTC/USDT:USDT") == 8.0
    assert listed_interval_hours("okx", {}, "BTC/USDT:USDT") is None  # no default known for others


@pytest.mark.parametrize(
    ("hours", "text"), [(8.0, "8h"), (1.0, "1h"), (0.5, "30m"), (1.5, "1.5h"), (None, "")]
)
def test_interval_text(hours: float | None, text: str) -> None:
    assert fmt.interval(hours) == text
