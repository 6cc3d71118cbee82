"""Funding and open interest carry whose they are and what the rate is per, from each venue's own answer
(the metrics strip used to print a fixed "8h" and no venue)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from cockpit.config import LiveSettings
from cockpit.reports.snapshot_json import snapshot_to_json
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_engine
from tests.fakes.cluster import fake_venues
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import one_venue_config, until

# (venue, Binance's adjusted interval or None, expected label, expected hours). The fakes answer with the
# venues' real BTC data: 8 h everywhere (bybit fundingInterval 480 min, okx/htx 8 h between funding times,
# gate funding_interval 28800 s, binance not listed in fundingInfo); Binance lists a symbol it moved to 4 h.
CASES = [
    ("binanceusdm", None, "Binance", 8.0),
    ("binanceusdm", 4, "Binance", 4.0),
    ("bybit", None, "Bybit", 8.0),
    ("okx", None, "OKX", 8.0),
    ("gate", None, "Gate", 8.0),
    ("htx", None, "HTX", 8.0),
]


async def derivatives_of(venue: str, adjusted_hours: int | None) -> dict[str, Any]:
    async with fake_venues(venue) as f:
        if adjusted_hours is not None:
            f.binanceusdm.adjusted_funding_hours = {"BTCUSDT": adjusted_hours}
        config = one_venue_config(f, venue)
        config = replace(config, live=LiveSettings(price_venue=venue))
        engine = live_engine(config, SimClock(START_MS))
        engine.start()
        try:
            seen, _ = await until(engine, lambda s: s.funding_rate is not None, 10)
            assert seen, "no funding rate"
            return snapshot_to_json(engine.snapshot())
        finally:
            await engine.stop()


@pytest.mark.parametrize(("venue", "adjusted", "label", "hours"), CASES)
def test_funding_names_its_venue_and_interval(
    venue: str, adjusted: int | None, label: str, hours: float
) -> None:
    s = asyncio.run(asyncio.wait_for(derivatives_of(venue, adjusted), 30))
    assert s["funding_venue"] == label
    assert s["funding_interval_h"] == hours
    if venue == "gate":  # ccxt has no open interest for Gate
        assert s["open_interest_usd"] is None and s["open_interest_venue"] is None
    else:
        assert s["open_interest_usd"] > 0 and s["open_interest_venue"] == label
