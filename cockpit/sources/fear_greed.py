"""The Crypto Fear & Greed Index from alternative.me, polled over aiohttp.

The index changes once a day. The API says how long until the next update (``time_until_update`` on the
newest row), so the next poll is scheduled for then, but never later than ``poll_max_s`` (an hour by
default) and never sooner than a minute. The API's own label is shown; our bands only fill in when a
row has none. The publisher asks for attribution next to the data, which the meter shows.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from cockpit.analytics.sentiment import fear_greed_band
from cockpit.config import SentimentSettings
from cockpit.models import FearGreedReading, SentimentUpdate, SourceError, SourceOk
from cockpit.sources.base import Emit
from cockpit.sources.clock import Clock
from cockpit.sources.venues.retry import Backoff
from cockpit.text.excerpt import excerpt
from cockpit.text.safety import printable

SOURCE_NAME = "alternative.me"


class FearGreedError(Exception):
    """The API answered with something that is not the index."""


def parse_fng(payload: Any) -> tuple[list[FearGreedReading], float | None]:
    """Readings oldest first, and seconds until the next update (None when the API does not say).

    Whatever the payload holds, the only error is ``FearGreedError`` with one short line: a value or time
    that is not a whole number (a 5,000-digit integer, NaN, a nested list), or a value outside 0..100, is
    a bad row; a timestamp that is a number but absurd is left to the engine's boundary check.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list) or not payload["data"]:
        raise FearGreedError(f"unexpected response: {excerpt(payload, 120)}")
    meta = payload.get("metadata")
    if isinstance(meta, dict) and meta.get("error"):
        raise FearGreedError(f"API error: {excerpt(meta['error'], 120)}")
    readings = []
    newest: tuple[int, Any] | None = None  # (time, time_until_update) of the newest row
    for row in payload["data"]:
        value = _whole(row.get("value")) if isinstance(row, dict) else None
        ts_s = _whole(row.get("timestamp")) if isinstance(row, dict) else None
        if value is None or ts_s is None:
            raise FearGreedError(f"bad row {excerpt(row, 120)}")
        if not 0 <= value <= 100:
            raise FearGreedError(f"value {excerpt(value)} outside 0..100")
        label = row.get("value_classification")
        label = printable(label)[:40].strip() if isinstance(label, str) else ""
        label = label or fear_greed_band(value)
        readings.append(FearGreedReading(ts_s * 1000, value, label))
        if newest is None or ts_s > newest[0]:
            newest = (ts_s, row.get("time_until_update"))
    readings.sort(key=lambda r: r.ts_ms)
    return readings, _seconds(newest[1] if newest is not None else None)


def _whole(value: object) -> int | None:
    """An integer as the API writes it (``"14"``, 14, 14.0), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # is_integer() is False for NaN and infinities
    if isinstance(value, str) and len(value) <= 30:  # a longer one is no time or index (and int() is slow)
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _seconds(value: object) -> float | None:
    """A finite number of seconds, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) else None


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
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            raise FearGreedError(f"not JSON: {excerpt(text, 80)}") from None
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
