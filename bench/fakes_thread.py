"""The project's fake venues (tests/fakes: real HTTP/websocket servers on 127.0.0.1 speaking each venue's
wire format) on their own event loop in a thread, for benchmarks that run the live cockpit against them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.fakes.cluster import FakeVenues, fake_venues
from tests.integration.test_live_snapshot_cli import config_text


class FakeVenuesThread:
    """``with FakeVenuesThread() as config_path:`` serves every venue until the block ends."""

    def __init__(
        self,
        config_path: Path,
        poll_s: float | None = 1.0,
        on_second: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self.config_path, self.poll_s, self.on_second = config_path, poll_s, on_second
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._fakes: FakeVenues | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        try:
            async with fake_venues() as fakes:
                _date_sentiment(fakes)
                self._fakes = fakes
                self._ready.set()
                next_second = asyncio.get_running_loop().time() + 1.0
                while not self._stop.is_set():
                    await asyncio.sleep(0.05)
                    if self.on_second is not None and asyncio.get_running_loop().time() >= next_second:
                        next_second += 1.0
                        await self.on_second(fakes)
        except BaseException as exc:  # reported by __enter__
            self._error = exc
            self._ready.set()

    def __enter__(self) -> Path:
        self._thread.start()
        if not self._ready.wait(20) or self._fakes is None:
            raise RuntimeError(f"fake venues did not start: {self._error!r}")
        text = config_text(self._fakes)
        if self.poll_s is None:  # the product's own polling cadences (config.toml's defaults)
            text = "\n".join(line for line in text.splitlines() if "_poll_s = " not in line) + "\n"
        else:
            text = text.replace("_poll_s = 1.0", f"_poll_s = {self.poll_s}")
        self.config_path.write_text(text)
        return self.config_path

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def _date_sentiment(fakes: Any) -> None:
    """The recorded Fear & Greed days (2026) dated to the days before the app's clock (just after the
    recorded candles, 2024): the cockpit rejects readings from its future, so the sentiment meter would
    stay empty and a "full frame" never come (tests/integration/test_live_venues.py START_MS)."""
    from tests.integration.test_live_venues import START_MS

    day_s = 86_400
    newest = START_MS // 1000 // day_s * day_s
    rows = fakes["fng"].rows
    fakes["fng"].set_history([{**r, "timestamp": str(newest - k * day_s)} for k, r in enumerate(rows)])
