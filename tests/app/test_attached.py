"""The cockpit as a viewer of a daemon (issue 19 §2), in one process: a ``DaemonServer`` on a Unix socket
in a temporary directory and the app attached through a ``DaemonLink``, as `cockpit` does when a daemon
runs. The status bar says so; the chart's instrument and timeframe are the viewer's own; an alarm set in the
viewer is the daemon's; a daemon that goes away is said, and a new one is attached to."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from cockpit.widgets.status_bar import StatusBar

from cockpit.alarms.model import Alarm
from cockpit.config import Config
from cockpit.daemon.client import DaemonLink
from cockpit.daemon.server import DaemonServer
from cockpit.models import Snapshot
from cockpit.sources.clock import SimClock
from cockpit.sources.demo.market import OPENING_MS, SYMBOL
from cockpit.ui.app import CockpitApp
from cockpit.wiring import demo_engine

ETH = "ETH/USDT:USDT"


async def _serve(path: Path) -> tuple[DaemonServer, asyncio.Task[None]]:
    engine = demo_engine(Config(), 7, SimClock(OPENING_MS, 1.0))
    server = DaemonServer(engine, path, {"pid": 0, "kind": "demo", "started_ms": 0})
    task = asyncio.create_task(server.run())
    for _ in range(200):  # the socket opens once the market's history is built
        if path.exists():
            break
        await asyncio.sleep(0.05)
    return server, task


async def _stop(server: DaemonServer, task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await server.close()


def _status_text(app: CockpitApp) -> str:
    bar = app.query_one(StatusBar)
    return str(bar.line(app.snapshot, 118)) if app.snapshot is not None else ""


def test_a_viewer_shows_the_daemon_has_its_own_view_and_sets_the_daemons_alarms(tmp_path: Path) -> None:
    async def scenario() -> dict[str, object]:
        path = tmp_path / "daemon.sock"
        server, task = await _serve(path)
        out: dict[str, object] = {}
        app = CockpitApp(Config(), DaemonLink(path, SYMBOL, "1h"))
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(1.0)
                out["badge"] = _status_text(app)
                app.action_set_symbol(ETH)
                for _ in range(40):
                    await pilot.pause(0.1)
                    snap: Snapshot | None = app.snapshot
                    if snap is not None and snap.symbol == ETH:
                        break
                out["symbol"] = app.snapshot.symbol if app.snapshot else None
                out["daemon_followed"] = server.engine.followed
                saved = await app.alarm_ui.service.add(
                    Alarm(kind="price", symbol=ETH, direction="above", level=9_999.0)
                )
                out["saved"] = saved.id
                out["daemon_alarms"] = [a.id for a in server.engine.alarms.book.alarms()]
                await pilot.pause(1.2)
                out["viewer_alarms"] = [s.alarm.id for s in app.snapshot.alarms] if app.snapshot else []
                await _stop(server, task)
                await pilot.pause(2.5)
                out["lost"] = _status_text(app)
                server, task = await _serve(path)
                await pilot.pause(2.0)
                out["back"] = _status_text(app)
                out["back_symbol"] = app.snapshot.symbol if app.snapshot else None
        finally:
            await _stop(server, task)
        return out

    out = asyncio.run(scenario())
    assert "DAEMON" in str(out["badge"]) and "SIMULATED" in str(out["badge"])
    assert out["symbol"] == ETH and out["daemon_followed"] == ETH
    assert out["saved"] == 1 and out["daemon_alarms"] == [1] and out["viewer_alarms"] == [1]
    assert "ENGINE LOST" in str(out["lost"])
    assert "DAEMON" in str(out["back"]) and "ENGINE LOST" not in str(out["back"])
    assert out["back_symbol"] == ETH  # the viewer's own view, sent again on reattaching


def test_an_unchanged_analysis_stays_the_same_object_on_the_viewer(tmp_path: Path) -> None:
    """The chart rebuilds when the analysis object changes: across the socket each frame would be a new
    copy (a rebuild a second at rest) unless the daemon says it is the one sent before."""

    async def scenario() -> list[object]:
        path = tmp_path / "daemon.sock"
        server, task = await _serve(path)
        link = DaemonLink(path, SYMBOL, "1h")
        seen: list[object] = []
        try:
            async for snap in link.snapshots():
                seen.append(snap.analysis)
                if len(seen) == 4:
                    break
        finally:
            link.close()
            await _stop(server, task)
        return seen

    seen = asyncio.run(scenario())
    assert all(a is not None for a in seen)
    # A minute may close between two frames (a new analysis, rightly): most pairs are the same object.
    assert sum(a is b for a, b in itertools.pairwise(seen)) >= 2
