"""The live cockpit against the fake venues, in a real terminal: ``python -m bench.live_launch CONFIG
START_MS``. The same app ``cockpit --config CONFIG`` builds, on a clock that starts just after the fakes'
recorded candles (as tests/integration/test_live_venues.py does), so the chart has its history."""

from __future__ import annotations

import sys

from cockpit.config import load_config
from cockpit.sources.clock import SimClock
from cockpit.wiring import live_app

if __name__ == "__main__":
    live_app(load_config(sys.argv[1]), SimClock(int(sys.argv[2]))).run()
