"""A venue's REST answer that is not JSON (an HTML page with status 200) is an error of that request alone:
the venue source shares one ccxt instance between its tasks, so the verdict may not come from fields of the
instance another task's answer can overwrite (``last_http_response``/``last_json_response``)."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt
import pytest

from cockpit.config import LiveSettings, VenueSettings
from cockpit.sources.clock import ManualClock
from cockpit.sources.venues.venue_source import VenueSource
from tests.fakes.base import Fault
from tests.fakes.cluster import SYMBOL, fake_venues
from tests.fakes.faults import HTML_PAGE
from tests.fakes.harness import loopback_only  # noqa: F401 (an autouse fixture: no host name lookups)


def source(venue: str, rest_url: str = "") -> VenueSource:
    settings = VenueSettings(rest_url=rest_url, timeout_s=1.0)
    return VenueSource(venue, settings, LiveSettings(), ManualClock(0), is_price_venue=True)


class SharedInstance:
    """Stands in for the ccxt instance the venue's tasks share: only the fields ``_rest`` used to read."""

    last_http_response: Any = None
    last_json_response: Any = None


def test_a_good_answer_is_not_judged_by_another_tasks_html_page() -> None:
    src = source("htx")
    src.exchange = SharedInstance()

    async def ticker_while_another_task_gets_html() -> dict[str, Any]:
        await asyncio.sleep(0)
        # Meanwhile the candle task's request on the same instance was answered with an HTML page.
        src.exchange.last_http_response, src.exchange.last_json_response = HTML_PAGE, None
        return {"symbol": SYMBOL, "last": 71_478.2}

    result = asyncio.run(src._rest(ticker_while_another_task_gets_html()))
    assert result["last"] == 71_478.2


@pytest.mark.parametrize("venue", ["gate", "htx", "binanceusdm"])
def test_each_request_checks_its_own_body(venue: str) -> None:
    ex = source(venue)._make()
    try:
        args: tuple[Any, ...] = ("http://127.0.0.1/x", "GET", {}, HTML_PAGE, None, {}, None)
        with pytest.raises(ccxt.BadResponse, match=f"{venue} answered with a non-JSON body"):
            ex.handle_errors(200, "OK", *args)
        assert ex.handle_errors(200, "OK", "http://127.0.0.1/x", "GET", {}, "[]", [], {}, None) is None
        with pytest.raises(ccxt.BaseError) as other:  # a 503 page stays ccxt's own error
            ex.handle_errors(503, "Service Unavailable", *args)
            ex.handle_http_status_code(503, "Service Unavailable", "http://127.0.0.1/x", "GET", HTML_PAGE)
        assert not isinstance(other.value, ccxt.BadResponse)
    finally:
        asyncio.run(ex.close())


def test_concurrent_calls_on_one_instance_each_get_their_own_verdict() -> None:
    """Through ccxt against the fake: HTX's liquidations answered by an HTML page parse to ``[]`` (a quiet
    market, to ccxt) while the candles asked for at the same time are fine."""

    async def scenario() -> tuple[Any, Any]:
        async with fake_venues("htx") as f:
            src = source("htx", f.rest_url("htx"))
            src.exchange = src._make()
            try:
                await src.exchange.load_markets()
                f.htx.set_fault("liquidations", Fault.html())
                gathered: tuple[Any, Any] = await asyncio.gather(
                    src._rest(src.exchange.fetch_liquidations(SYMBOL)),
                    src._rest(src.exchange.fetch_ohlcv(SYMBOL, "1m", None, 10)),
                    return_exceptions=True,
                )
                return gathered[0], gathered[1]
            finally:
                await src.exchange.close()

    liquidations, candles = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert isinstance(liquidations, ccxt.BadResponse), liquidations
    assert "htx answered with a non-JSON body: '<!DOCTYPE html>" in str(liquidations)
    assert isinstance(candles, list) and candles and all(row[4] is not None for row in candles)
