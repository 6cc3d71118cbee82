"""The daemon end to end over real SSH (issue 19): started through one SSH session, a cockpit attached through
another sets an alarm in the dialog, the session is killed, the price crosses while no one watches and the
configured command records the firing; attached again through SSH, the firing is in the alarm history and the
liquidation windows are whole (the totals of an engine that never stopped, detached time included).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.config import Config
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS
from cockpit.text import formatting as fmt
from cockpit.wiring import demo_snapshot
from tests.e2e.ssh_harness import (
    EXIT_MARK,
    REPO,
    HarnessError,
    SshServer,
    TmuxPane,
    cockpit_command,
    cockpit_env,
    screen_clock_ms,
)
from tests.e2e.test_ssh import ALARM_FIRE_TIMEOUT_S, HEIGHT, WIDTH, _alarm_plan, _hms, _ready

pytestmark = pytest.mark.e2e

SPEED = 60  # the daemon's simulated seconds per real second (the price crosses a near level within seconds)
SET_AND_LEAVE_S = 12  # real seconds from reading the clock to the session killed and the viewer gone
WINDOW_TOLERANCE = 0.01  # the screen's totals (0.1 M shown) against the never-stopped engine's


class Remote:
    """The test's private cockpit home, seen alike over SSH and from this process: data and config folders,
    a short runtime folder for the daemon's socket (sshd sets no $XDG_RUNTIME_DIR here), the notify
    command's file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runtime = Path(tempfile.mkdtemp(prefix="ck-", dir="/tmp"))
        self.fired_file = root / "fired.txt"
        self.env = {**cockpit_env(root), "XDG_RUNTIME_DIR": str(self.runtime)}
        config = root / "config" / "cockpit" / "config.toml"
        config.parent.mkdir(parents=True)
        command = f'echo "$COCKPIT_ALARM_ID $COCKPIT_ALARM_TS_MS" >> {self.fired_file}'
        config.write_text(f"[alarms]\nnotify_command = {json.dumps(['sh', '-c', command])}\n")

    def command(self, *args: str) -> str:
        return cockpit_command(self.root, *args, env={"XDG_RUNTIME_DIR": str(self.runtime)})

    def local(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``cockpit <args>`` in this process's machine with the same folders (no SSH)."""
        env = {k: v for k, v in os.environ.items() if k != "COCKPIT_CONFIG"} | self.env
        return subprocess.run(
            [sys.executable, "-m", "cockpit", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def fired(self) -> list[tuple[int, int]]:
        """(alarm id, firing time) per line the notify command wrote."""
        if not self.fired_file.exists():
            return []
        return [(int(a), int(b)) for a, b in (ln.split() for ln in self.fired_file.read_text().splitlines())]

    def daemon_pid(self) -> int | None:
        lock = self.root / "data" / "daemon.lock"
        text = lock.read_text() if lock.exists() else ""
        return int(json.loads(text)["pid"]) if text else None

    def close(self) -> None:
        pid = self.daemon_pid()
        if pid is not None and self.local("daemon", "status").returncode == 0:
            self.local("daemon", "stop")
        shutil.rmtree(self.runtime, ignore_errors=True)


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    r = Remote(tmp_path / "home")
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def panes(tmp_path: Path) -> Iterator[list[TmuxPane]]:
    made: list[TmuxPane] = []
    try:
        yield made
    finally:
        for pane in made:
            pane.kill()


def _viewers(remote: Remote) -> int | None:
    status = remote.local("daemon", "status")
    m = re.search(r"viewers attached: (\d+)", status.stdout)
    return int(m.group(1)) if status.returncode == 0 and m else None


def _wait(test: object, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not test():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.2)


def _type_level(pane: TmuxPane, level: str, summary: str, tries: int = 3) -> None:
    """Type the level into the dialog's focused field until its summary shows it: on a busy machine the
    field may take its focus after the first keys arrived (they are lost, the field stays empty)."""
    for attempt in range(tries):
        pane.keys("C-u")
        pane.type(level)
        try:
            pane.wait_screen(summary, f"the dialog's summary {summary!r}", timeout_s=10)
            return
        except HarnessError:
            if attempt == tries - 1:
                raise


_USD = re.compile(r"Liq (1h|24h) \$([\d.]+)([KMB]?)")
_UNIT = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}


def _screen_totals(screen: str) -> dict[str, float]:
    """The metrics strip's market-wide liquidation totals ("Liq 1h $146.4M")."""
    return {w: float(n) * _UNIT[u] for w, n, u in _USD.findall(screen)}


def test_daemon_keeps_alarms_over_ssh(ssh_server: SshServer, remote: Remote, panes: list[TmuxPane]) -> None:
    """The daemon started over SSH outlives the session; an alarm set from an attached cockpit fires while
    no one is attached (the command runs once); attached again, the firing is in the history and the
    windows are whole."""

    def open_pane(name: str, command: str) -> TmuxPane:
        pane = TmuxPane(remote.root.parent, name, WIDTH, HEIGHT)
        panes.append(pane)
        pane.start(ssh_server.ssh_argv(command))
        return pane

    # The daemon, started through SSH; the session ends and it runs on.
    starter = open_pane("start", remote.command("--speed", str(SPEED), "daemon", "--demo"))
    starter.wait_screen(EXIT_MARK, "`cockpit daemon --demo` over SSH to return", timeout_s=60)
    assert starter.exit_status() == 0 and "cockpit daemon started: pid" in starter.screen(), starter.screen()
    starter.kill()
    assert _viewers(remote) == 0, remote.local("daemon", "status")

    # A cockpit attached through SSH sets a price alarm in the dialog, the level chosen so that the price
    # stays clear of it until the session is gone, and crosses it soon after.
    viewer = open_pane("viewer", remote.command("--demo"))
    viewer.wait_screen(lambda s: _ready(s) and "DAEMON" in s, "the attached cockpit (DAEMON)", timeout_s=60)
    assert _viewers(remote) == 1
    clock_ms = screen_clock_ms(viewer.screen())
    assert clock_ms is not None
    level, direction, fires_ms = _alarm_plan(clock_ms, SET_AND_LEAVE_S, SPEED)
    viewer.keys("a")
    viewer.wait_screen("alarm: BTC/USDT:USDT price", "the alarm dialog (a)")
    written = f"{level:,.2f}".rstrip("0").rstrip(".")  # as the dialog writes a level (74,883.0: 74,883)
    _type_level(viewer, f"{level:.1f}", f"alarm: BTC/USDT:USDT price {direction} {written}")
    viewer.keys("Enter")
    viewer.wait_screen("alarm #1 set", "the toast confirming the alarm")

    # The SSH session is killed (its client and terminal gone): the daemon is left with no viewer.
    viewer.kill()
    _wait(lambda: _viewers(remote) == 0, "the daemon to see the viewer gone", timeout_s=15)
    assert remote.fired() == [], (
        f"the alarm fired before the session ended (planned crossing {_hms(fires_ms)} simulated)"
    )

    # The price crosses while no one is attached: the configured command records it, once.
    crossing = f"the command to record the firing (crossing {_hms(fires_ms)} simulated)"
    _wait(lambda: remote.fired(), crossing, ALARM_FIRE_TIMEOUT_S)
    time.sleep(2)  # a second run of the command would have written by now
    fired = remote.fired()
    assert len(fired) == 1 and fired[0][0] == 1, fired
    fired_ms = fired[0][1]
    print(f"fired at {_hms(fired_ms)} simulated (planned {_hms(fires_ms)}), level {level:,.1f} {direction}")

    # Attached again through SSH: the firing is in the history, and the windows count the detached time.
    again = open_pane("again", remote.command("--demo"))
    screen = again.wait_screen(lambda s: _ready(s) and "DAEMON" in s, "the cockpit attached again", 60)
    shown_ms = screen_clock_ms(screen)
    assert shown_ms is not None
    totals = _screen_totals(screen)
    truth = demo_snapshot(Config(), DEFAULT_SEED, (shown_ms - OPENING_MS) / 1000).liquidations.windows
    for window in ("1h", "24h"):
        expected = truth[window].total_usd
        shown = totals.get(window, 0.0)
        print(f"{window}: screen ${shown / 1e6:.1f}M, never-stopped engine ${expected / 1e6:.1f}M")
        assert abs(totals[window] - expected) <= WINDOW_TOLERANCE * expected, (window, totals, screen)
    again.keys("A")
    stamp = fmt.stamp(fired_ms)
    again.wait_screen(lambda s: "History" in s and stamp in s, f"the firing ({stamp}) in the alarm history")
    again.keys("escape")
    again.keys("q")
    again.wait_screen(EXIT_MARK, "the cockpit to quit", timeout_s=20)
    assert remote.local("daemon", "status").returncode == 0, "quitting a viewer stopped the daemon"
