"""Polled venues (Gate, HTX) answer their liquidation history newest first, one page at a time. More rows
than a page between two polls (a cascade, or an outage in one, as the soak run met it) must all be read: the
cursor may not jump to the newest row while older rows of the burst sit on pages not fetched yet. A row
written late with an earlier time is still read (polls re-read a margin behind the cursor), and every query
asks for a bounded window (Gate an hour, HTX two hours).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.sources.clock import ManualClock, SimClock
from cockpit.sources.venues.dedup import Deduper
from cockpit.sources.venues.normalize import normalize
from cockpit.sources.venues.polling import LiquidationPoller
from cockpit.wiring import live_engine
from tests.fakes import gate, htx
from tests.fakes.base import Fault
from tests.fakes.cluster import SYMBOL, fake_venues
from tests.integration.test_live_venues import START_MS
from tests.integration.test_venue_faults import POLL_S, one_venue_config, state_of, until

BURST = 250  # two and a half pages of 100
HOUR_MS = 3_600_000


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
        if venue == "htx":
            f.htx.now_ms = engine.clock.now_ms  # the venue's present is the simulated one
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


async def late_row_counted(venue: str) -> tuple[int, float, int]:
    """A row stamped 5 s before one already read, written to the venue's history after that read."""
    async with fake_venues(venue) as f:
        engine = live_engine(one_venue_config(f, venue), SimClock(START_MS))
        if venue == "htx":
            f.htx.now_ms = engine.clock.now_ms  # the venue's present is the simulated one
        engine.start()
        try:
            ok, _ = await until(engine, lambda s: state_of(venue)(s) == "ok", 10)
            assert ok, "never became ok"
            first_ms = engine.clock.now_ms() - 2_000
            await f[venue].push_liquidations(one_row(venue, first_ms, 0))
            seen, _ = await until(engine, lambda s: s.liquidations.windows["1h"].count == 1, 10)
            assert seen, "the first row was never read"
            await asyncio.sleep(POLL_S * 2)  # the cursor has moved to the first row
            await f[venue].push_liquidations(one_row(venue, first_ms - 5_000, 1))
            await until(engine, lambda s: s.liquidations.windows["1h"].count >= 2, 5)
            await asyncio.sleep(POLL_S * 4)  # anything counted twice would be by now
            totals = engine.state.windows.totals(3600, engine.clock.now_ms())
            served = len(f[venue].calls("liquidations"))
            return totals.count, totals.total_usd, served
        finally:
            await engine.stop()


def one_row(venue: str, ts_ms: int, k: int) -> dict[str, Any]:
    """Liquidation k: a long of 0.1 BTC at 70,000 + k."""
    price = str(70_000 + k)
    if venue == "gate":
        return gate.liq_order(1000, price, ts_s=ts_ms // 1000)
    row = htx.liquidation_order("sell", "long", 100, price, ts=ts_ms)
    row["id"] = str(8_000_000 + k)
    return row


@pytest.mark.parametrize("venue", ["gate", "htx"])
def test_a_late_row_with_an_earlier_time_is_counted_exactly_once(venue: str) -> None:
    count, total, polls = asyncio.run(asyncio.wait_for(late_row_counted(venue), 60))
    assert polls > 4  # it was polled again and again after the late row: still counted once
    assert count == 2
    assert abs(total - 0.1 * (70_000 + 70_001)) < 1e-6


def test_htx_polls_ask_for_bounded_windows_and_catch_up_after_a_long_outage() -> None:
    """An outage of five hours: each query spans at most two hours (HTX is said to answer no more), the
    poller asks for the next window at once, and a window holding only rows read before (the margin) still
    moves the cursor on. Every row of the five hours is read, once."""

    async def scenario() -> tuple[list[LiquidationEvent], list[int]]:
        async with fake_venues("htx") as f:
            exchange = f.exchange("htx")
            try:
                await exchange.load_markets()
                now = START_MS
                seen_ms = now - 5 * HOUR_MS  # the cursor when the outage began
                # Rows up to the cursor (read before the outage), then a 2.5 h silence, then one every 10 min.
                stamps = [seen_ms - 30_000, *range(seen_ms + 150 * 60_000, now, 10 * 60_000)]
                rows = [one_row("htx", ts, k) for k, ts in enumerate(stamps)]
                await f.htx.push_liquidations(*rows)
                dedup = Deduper()
                dedup.fresh(normalize("htx", exchange.parse_liquidation(rows[0]), exchange.market(SYMBOL)))

                async def fetch(symbol: str, since: int | None, limit: int, params: dict[str, Any]) -> Any:
                    return await exchange.fetch_liquidations(symbol, since, limit, params)

                clock = ManualClock(now)
                f.htx.now_ms = clock.now_ms
                poller = LiquidationPoller("htx", clock, fetch)
                poller.advance(SYMBOL, seen_ms)
                got: list[LiquidationEvent] = []
                for _ in range(10):
                    raw, more = await poller.poll(SYMBOL)
                    events = [e for r in raw for e in normalize("htx", r, exchange.market(SYMBOL))]
                    if events:
                        poller.advance(SYMBOL, max(e.ts_ms for e in events))
                    got += dedup.fresh(events)
                    if not more:
                        break
                spans = [
                    int(r.query["end_time"]) - int(r.query["start_time"]) for r in f.htx.calls("liquidations")
                ]
                return got, spans
            finally:
                await exchange.close()

    got, spans = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert len(got) == 15 and len({e.key for e in got}) == 15  # 2.5 h of rows every 10 minutes
    assert spans and all(0 < s <= 2 * HOUR_MS for s in spans)
