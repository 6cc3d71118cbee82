"""The Crypto Fear & Greed Index from alternative.me, polled over aiohttp.

The index changes once a day. The API says how long until the next update (``time_until_update`` on the
newest row), so the next poll is scheduled for then, but never later than ``poll_max_s`` (an hour by
default) and never sooner than a minute. The API's own label is shown; our bands only fill in when a
row has none. The publisher asks for attribution next to the data, which the meter shows.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cockpit.clock import Clock
from cockpit.config import SentimentSettings
from cockpit.engine import Emit
from cockpit.formatting import fear_greed_band
from cockpit.models import FearGreedReading, SentimentUpdate, SourceError, SourceOk
from cockpit.sources.venues.retry import Backoff

SOURCE_NAME = "alternative.me"


class FearGreedError(Exception):
    """The API answered with something that is not the index."""


def parse_fng(payload: Any) -> tuple[list[FearGreedReading], float | None]:
    """Readings oldest first, and seconds until the next update (None when the API does not say)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list) or not payload["data"]:
        raise FearGreedError(f"unexpected response: {str(payload)[:120]!r}")
    meta = payload.get("metadata") or {}
    if meta.get("error"):
        raise FearGreedError(f"API error: {meta['error']}")
    readings = []
    for row in payload["data"]:
        try:
            value = int(row["value"])
            ts_ms = int(row["timestamp"]) * 1000
        except (KeyError, TypeError, ValueError):
            raise FearGreedError(f"bad row {row!r}") from None
        if not 0 <= value <= 100:
            raise FearGreedError(f"value {value} outside 0..100")
        label = row.get("value_classification") or fear_greed_band(value)
        readings.append(FearGreedReading(ts_ms, value, str(label)))
    readings.sort(key=lambda r: r.ts_ms)
    newest = max(payload["data"], key=lambda r: int(r["timestamp"]))
    until = newest.get("time_until_update")
    try:
        until_s = float(until) if until is not None else None
    except (TypeError, ValueError):
        until_s = None
    return readings, until_s


def next_poll_s(until_update_s: float | None, poll_max_s: float) -> float:
    """When to ask again: just after the announced update, within [60 s, poll_max_s]."""
    if until_update_s is None:
        return poll_max_s
    return max(60.0, min(poll_max_s, until_update_s + 5.0))


class FearGreedSource:
    """Polls the index and emits the latest reading with its history."""

    name = SOURCE_NAME
    simulated = False
    sampled = False
    venues: tuple[str, ...] = ()  # no liquidations
    symbols: tuple[str, ...] = ()

    def __init__(self, settings: SentimentSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        # Stale only if well past the longest gap between polls.
        self.cadence_s = settings.poll_max_s

    async def fetch(self) -> tuple[list[FearGreedReading], float | None]:
        import aiohttp  # with ccxt in the live path only

        url = self.settings.url
        params = {"limit": str(self.settings.history_days), "format": "json"}
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, params=params) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise FearGreedError(f"HTTP {resp.status} from {url}")
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            raise FearGreedError(f"not JSON: {text[:80]!r}") from None
        return parse_fng(payload)

    async def run(self, emit: Emit) -> None:
        backoff = Backoff(base_s=5.0, cap_s=600.0)
        while True:
            try:
                readings, until = await self.fetch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # shown with a countdown; the meter keeps the last good value
                delay = backoff.next_delay_transient()
                emit(
                    SourceError(
                        self.name, self.clock.now_ms(), f"{type(exc).__name__}: {exc}"[:300], retry_in_s=delay
                    )
                )
                await asyncio.sleep(self.clock.real_seconds(delay))
                continue
            backoff.reset()
            emit(SentimentUpdate(self.name, readings[-1], tuple(readings)))
            emit(SourceOk(self.name, self.clock.now_ms()))
            await asyncio.sleep(self.clock.real_seconds(next_poll_s(until, self.settings.poll_max_s)))
