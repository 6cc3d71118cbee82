"""Polled venues (Gate, HTX) answer their liquidation history newest first, one page at a time. More rows
than a page between two polls (a cascade, or an outage in one, as the soak run met it) must all be read: the
cursor may not jump to the newest row while older rows of the burst sit on pages not fetched yet.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cockpit.clock import SimClock
from cockpit.headless import live_engine
from tests.fakes import gate, htx
from tests.fakes.base import Fault
from tests.fakes.cluster import fake_venues
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import POLL_S, one_venue_config, state_of, until

BURST = 250  # two and a half pages of 100


def burst(venue: str, now_ms: int, seconds_apart: float) -> list[dict[str, Any]]:
    """BURST long liquidations of 0.1 BTC at distinct prices, the newest one second ago."""
    out = []
    for k in range(BURST):
        ts = now_ms - 1_000 - int((BURST - k) * seconds_apart * 1000)
        price = str(70_000 + k)
        if venue == "gate":
            out.append(gate.liq_order(1000, price, ts_s=ts // 1000))
        else:
            row = htx.liquidation_order("sell", "long", 100, price, ts=ts)
            row["id"] = str(9_000_000 + k)
            out.append(row)
    return out


async def read_burst(venue: str, seconds_apart: float, outage: bool) -> tuple[int, float]:
    async with fake_venues(venue) as f:
        engine = live_engine(one_venue_config(f, venue), SimClock(START_MS))
        engine.start()
        try:
            ok, _ = await until(engine, lambda s: state_of(venue)(s) == "ok", 10)
            assert ok, "never became ok"
            if outage:  # the burst arrives while the venue answers 503, then all at once
                f[venue].set_fault("liquidations", Fault.http(503))
            await f[venue].push_liquidations(*burst(venue, engine.clock.now_ms(), seconds_apart))
            if outage:
                await asyncio.sleep(POLL_S * 3)
                f[venue].clear_faults()
            await until(engine, lambda s: s.liquidations.windows["1h"].count >= BURST, 10)
            await asyncio.sleep(POLL_S * 3)  # anything counted twice would be by now
            totals = engine.state.windows.totals(3600, engine.clock.now_ms())
            return totals.count, totals.total_usd
        finally:
            await engine.stop()


@pytest.mark.parametrize("outage", [False, True], ids=["between-polls", "after-an-outage"])
@pytest.mark.parametrize("venue", ["gate", "htx"])
def test_a_burst_larger_than_a_page_is_read_whole_and_once(venue: str, outage: bool) -> None:
    count, total = asyncio.run(asyncio.wait_for(read_burst(venue, 1.0, outage), 60))
    assert count == BURST
    assert abs(total - sum(0.1 * (70_000 + k) for k in range(BURST))) < 0.005
