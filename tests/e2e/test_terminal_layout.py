"""The cockpit in a real terminal (tmux, no SSH) at 80x24: panes take the height of their content.

Issue 16 item 12: in a terminal, after ``5`` the scenarios pane showed its first two lines and then empty
rows, and the metrics strip two of its four lines. Pilot tests did not show it (their first frames are laid
out in another order), so this runs the program as a user does and reads the screen tmux shows.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.ssh_harness import TmuxPane, screen_clock_ms

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux, not installed: run scripts/ensure_sshd (installs it)"
)


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[TmuxPane]:
    p = TmuxPane(tmp_path, "layout", 80, 24)
    home = tmp_path / "home"
    env = [f"COCKPIT_DATA_DIR={home / 'data'}", f"XDG_CONFIG_HOME={home / 'config'}", "LANG=C.UTF-8"]
    p.start(
        [
            "env",
            "-u",
            "COCKPIT_CONFIG",
            *env,
            "TERM=xterm-256color",
            sys.executable,
            "-m",
            "cockpit",
            "--demo",
        ]
    )
    try:
        yield p
    finally:
        if p.exit_status() is None:
            p.keys("q")
        p.kill()


def _pane_lines(screen: str, title: str) -> list[str]:
    """The inside lines of the pane whose top border carries ``title``."""
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if title in line)
    inside = []
    for line in lines[top + 1 :]:
        if line.startswith("╰"):
            break
        inside.append(line.strip("│ ▁▂▃▄▅▆▇█"))
    return inside


def _whole(screen: str) -> bool:
    try:
        cards = _pane_lines(screen, "5 Scenarios")
        metrics = _pane_lines(screen, "1 Metrics")
    except StopIteration:
        return False
    both_cards = (
        sum("trigger" in line for line in cards) >= 2 and sum("invalid" in line for line in cards) >= 2
    )
    return both_cards and any("OI " in line for line in metrics)


def test_at_80x24_the_scenarios_and_metrics_panes_show_all_their_lines(pane: TmuxPane) -> None:
    pane.wait_screen(lambda s: screen_clock_ms(s) is not None and "Metrics" in s, "the first screen", 30)
    pane.keys("5")
    # Before the fix the cards stayed one line high for good (until a resize): a wait cannot hide it.
    pane.wait_screen(_whole, "both scenario cards and the metrics strip whole after 5", 15)
