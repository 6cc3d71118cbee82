"""Issue 17, section 3: source health legible at a glance. The status bar counts sources and stores by
state in one line at any width; `S` lists every source with its error in full and follows recoveries."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from cockpit.widgets.status_bar import StatusBar

from cockpit.config import Config
from cockpit.models import FeedStatus, Snapshot, SourceStatus
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.screens.sources import SourcesScreen
from cockpit.wiring import demo_snapshot

DNS = (
    "ClientConnectorDNSError: Cannot connect to host api.alternative.me:443 ssl:default "
    "[Name or service not known]"
)
GEO = "markets: ExchangeNotAvailable 451 geo-blocked"


def live_mix(base: Snapshot, recovered: bool = False) -> Snapshot:
    now = base.as_of_ms
    feeds = (FeedStatus("liquidations", "stale", now - 90_000, now - 90_000, None, None, "silent"),)
    sources = (
        SourceStatus(
            "alternative.me",
            "ok" if recovered else "error",
            now,
            None if recovered else DNS,
            retry_at_ms=now + 9_000,
        ),
        SourceStatus("binanceusdm", "ok", now, per_minute=61),
        SourceStatus("bybit", "stale", now - 90_000, feeds=feeds),
        SourceStatus(
            "gate", "error", None, "markets: ExchangeNotAvailable 451 geo-blocked", retry_at_ms=now + 30_000
        ),
        SourceStatus("okx", "ok", now, per_minute=120),
    )
    snap = replace(
        base, simulated=False, sources=sources, history_error="history.db is corrupt (file is not a database)"
    )
    return snap


def status_line(size: tuple[int, int]) -> tuple[str, int]:
    async def run() -> tuple[str, int]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=size) as pilot:
            app.post_message(SnapshotReady(live_mix(demo_snapshot(Config(), 20260202, 60))))
            await pilot.pause()
            await pilot.pause()
            bar = app.query_one(StatusBar)
            return str(bar.render()), bar.content_size.width

    return asyncio.run(run())


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
def test_the_status_bar_counts_states_in_one_line_at_any_width(size: tuple[int, int]) -> None:
    text, width = status_line(size)
    # 3 sources ok + the alarm store ok; bybit stale; alternative.me, gate and the history store in error.
    assert "3 ok · 1 stale · 3 error" in text
    assert "\n" not in text and len(text) <= width
    assert "2026-02-02 14:01:00 UTC" in text  # the clock is never cut
    if size[0] >= 120:
        assert "alternative.me error: ClientConnector" in text  # the worst one's reason, cut to fit


def test_the_sources_screen_lists_every_source_and_follows_a_recovery() -> None:
    async def run() -> tuple[str, str, bool]:
        app = CockpitApp(Config(), None)
        base = demo_snapshot(Config(), 20260202, 60)
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(live_mix(base)))
            await pilot.pause()
            await pilot.press("S")
            await pilot.pause()
            assert isinstance(app.screen, SourcesScreen)
            before = str(app.screen.query_one("#sources-list").render())
            app.post_message(SnapshotReady(live_mix(base, recovered=True)))
            await pilot.pause()
            await pilot.pause()
            after = str(app.screen.query_one("#sources-list").render())
            await pilot.press("escape")
            await pilot.pause()
            return before, after, isinstance(app.screen, SourcesScreen)

    before, after, still_open = asyncio.run(run())
    for name in ("alternative.me", "binanceusdm", "bybit", "gate", "okx", "history", "alarm store"):
        assert name in before
    assert DNS in before.replace("\n", " ") or DNS[:60] in before  # the error in full, wrapped
    assert "retry in 9 s" in before and "61/min" in before and "liquidations stale (silent)" in before
    assert "history.db is corrupt" in before
    assert "alternative.me ok" in after and DNS[:40] not in after
    assert not still_open
