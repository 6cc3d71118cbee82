"""Fear & Greed parsing and scheduling, and the source against a loopback HTTP server."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from cockpit.config import SentimentSettings
from cockpit.models import SentimentUpdate, SourceError, SourceOk
from cockpit.sources.clock import ManualClock
from cockpit.sources.fear_greed import FearGreedError, FearGreedSource, next_poll_s, parse_fng
from tests.conftest import DATA

FIXTURE = DATA / "fng" / "fng_sample_limit3.json"


def test_parses_the_recorded_response_oldest_first_with_the_api_label() -> None:
    payload = json.loads(FIXTURE.read_text())
    readings, until = parse_fng(payload)
    raw = sorted(payload["data"], key=lambda r: int(r["timestamp"]))
    assert [r.value for r in readings] == [int(r["value"]) for r in raw]
    assert [r.label for r in readings] == [r["value_classification"] for r in raw]
    assert [r.ts_ms for r in readings] == [int(r["timestamp"]) * 1000 for r in raw]
    newest = max(payload["data"], key=lambda r: int(r["timestamp"]))
    assert until == float(newest["time_until_update"])


def test_band_is_only_a_fallback() -> None:
    readings, until = parse_fng({"data": [{"value": "50", "timestamp": "1769990400"}], "metadata": {}})
    assert readings[0].label == "Neutral" and until is None
    readings, _ = parse_fng({"data": [{"value": "50", "value_classification": "Greed", "timestamp": "1"}]})
    assert readings[0].label == "Greed"  # the API's own word wins


@pytest.mark.parametrize(
    "payload",
    [
        {"data": []},
        {"nope": 1},
        {"data": [{"value": "x", "timestamp": "1"}]},
        {"data": [{"value": "101", "timestamp": "1"}]},
        {"data": [{"value": "5", "timestamp": "1"}], "metadata": {"error": "limit"}},
        ["list"],
    ],
)
def test_bad_payloads_raise(payload: object) -> None:
    with pytest.raises(FearGreedError):
        parse_fng(payload)


def test_schedule_follows_time_until_update_within_bounds() -> None:
    assert next_poll_s(600, 3600) == 605
    assert next_poll_s(50_000, 3600) == 3600  # at most hourly
    assert next_poll_s(0, 3600) == 60  # never hammer
    assert next_poll_s(None, 3600) == 3600


def test_source_polls_a_loopback_server_and_recovers_from_a_500() -> None:
    body = FIXTURE.read_text()
    hits: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(dict(request.query))
        if len(hits) == 1:
            return web.Response(status=500, text="<html>oops</html>")
        return web.Response(text=body, content_type="application/json")

    async def scenario() -> list[object]:
        app = web.Application()
        app.router.add_get("/fng/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        events: list[object] = []
        src = FearGreedSource(
            SentimentSettings(url=f"http://127.0.0.1:{port}/fng/", history_days=3), ManualClock(0)
        )
        task = asyncio.create_task(src.run(events.append))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if any(isinstance(e, SentimentUpdate) for e in events):
                break
        task.cancel()
        await runner.cleanup()
        return events

    events = asyncio.run(scenario())
    assert isinstance(events[0], SourceError) and "500" in events[0].message and events[0].retry_in_s
    update = next(e for e in events if isinstance(e, SentimentUpdate))
    assert update.latest.value == int(json.loads(body)["data"][0]["value"])
    assert any(isinstance(e, SourceOk) for e in events)
    assert hits[-1] == {"limit": "3", "format": "json"}
