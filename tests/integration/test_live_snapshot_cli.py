"""`cockpit snapshot --config <fake venues> --after 5 --json` in live mode, as a separate process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.fakes.cluster import FakeVenues, fake_venues
from tests.integration.test_live_venues import EXPECTED, VENUES, push_script, subscribed


class FakesInThread:
    """The fakes on their own event loop in a thread, so a subprocess can talk to them meanwhile."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.pushed = threading.Event()
        self.error: BaseException | None = None
        self.fakes: FakeVenues | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        try:
            async with fake_venues() as f:
                self.fakes = f
                self.ready.set()
                await subscribed(f)  # the cockpit process has connected and subscribed
                await asyncio.sleep(0.3)
                await push_script(f, int(time.time() * 1000))
                self.pushed.set()
                while not self.stop.is_set():
                    await asyncio.sleep(0.05)
        except BaseException as exc:  # surfaced in the test thread
            self.error = exc
            self.ready.set()


def config_text(f: FakeVenues) -> str:
    parts = [f'[sentiment]\nurl = "{f.rest_url("fng")}/fng/"\n']
    for v in VENUES:
        parts.append(
            f'[venues.{v}]\nrest_url = "{f.rest_url(v)}"\nws_url = "{f.ws_url(v)}"\n'
            "timeout_s = 1.0\nliquidations_poll_s = 1.0\ncandles_poll_s = 1.0\nbackoff_max_s = 1.0\n"
        )
    return "\n".join(parts)


def test_live_snapshot_reports_the_scripted_totals(tmp_path: Path) -> None:
    fakes = FakesInThread()
    fakes.thread.start()
    assert fakes.ready.wait(20) and fakes.error is None and fakes.fakes is not None
    path = tmp_path / "fake-venues.toml"
    path.write_text(config_text(fakes.fakes))
    try:
        out = subprocess.run(
            [sys.executable, "-m", "cockpit", "snapshot", "--config", str(path), "--after", "5", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
    finally:
        fakes.stop.set()
        fakes.thread.join(10)
    assert fakes.pushed.is_set(), fakes.error
    assert out.returncode == 0, out.stderr
    s: dict[str, Any] = json.loads(out.stdout)
    assert s["source"] == "live" and s["simulated"] is False
    hour = s["liquidations"]["1h"]
    assert hour["count"] == len(EXPECTED)
    assert abs(hour["long_usd"] - sum(n for _, side, n in EXPECTED if side == "long")) < 1e-6
    assert abs(hour["short_usd"] - sum(n for _, side, n in EXPECTED if side == "short")) < 1e-6
    assert s["liquidations"]["lower_bound"] is True
    # A fresh start: too little watched to judge a cascade, every window has a hole (the streams only
    # cover the seconds since they connected), and coverage is reported per venue id.
    liq = s["liquidations"]
    assert liq["cascade"] is False and liq["cascade_judged"] is False
    assert all(liq[w]["partial"] for w in ("1h", "4h", "24h"))
    assert set(liq["coverage"]) == set(VENUES)
    for venue in ("binanceusdm", "bybit", "okx"):  # streamed: covered since they connected, seconds ago
        since = liq["coverage"][venue]["since_ms"]
        assert since is not None and s["as_of_ms"] - 10_000 < since <= s["as_of_ms"], venue
        assert liq["coverage"][venue]["1h"]["covered_s"] < 10
    for venue in ("gate", "htx"):  # polled: the first poll reads the last hour back
        assert liq["coverage"][venue]["1h"]["partial"] is False, venue
    assert liq["scope"] == ["BTC/USDT:USDT"]
    assert {x["name"] for x in s["sources"]} == {*VENUES, "alternative.me"}
    assert s["sentiment"]["label"] == "Extreme Fear"
