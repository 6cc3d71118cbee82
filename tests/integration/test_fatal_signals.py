"""Fatal signals, for real: the history file cannot SIGBUS the process any more, and whatever kills the
cockpit (SIGBUS, SIGSEGV, SIGKILL) leaves the terminal as it found it. Real processes on a real pty."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

from cockpit.storage.history import LiquidationHistory
from cockpit.ui.terminal_guard import NOTICE

SAID = NOTICE.strip().encode()  # the line end is the terminal's to translate

HANG_GUARD_S = 120.0  # only so a broken build fails instead of hanging; nothing is timed

WRITER = textwrap.dedent(
    """
    import sys
    from cockpit.analytics.liquidations import LiquidationEvent
    from cockpit.storage.history import LiquidationHistory

    history = LiquidationHistory(sys.argv[1])
    i = 0
    while True:
        i += 1
        event = LiquidationEvent(1_770_000_000_000 + i, "binance", "BTC/USDT:USDT", "long", 1e3 + i, 7e4)
        history.add([event])
        if i % 50 == 0:
            print(i, flush=True)
    """
)


def test_the_history_maps_no_wal_index_a_truncation_could_turn_into_sigbus(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline()  # it has committed
        shm = Path(f"{path}-shm")
        if shm.exists():  # before the fix: mapped by the writer, whose next access then faults (exit -7)
            os.truncate(shm, 0)
        for _ in range(3):  # it keeps committing
            assert writer.stdout.readline(), f"the writer died: {writer.wait()}"
        assert not shm.exists()
    finally:
        writer.kill()
        writer.wait()


def test_a_second_process_is_told_the_history_is_in_use(tmp_path: Path) -> None:
    first = LiquidationHistory(tmp_path / "history.db")
    try:
        probe = "from cockpit.storage.history import LiquidationHistory as H; import sys; H(sys.argv[1])"
        done = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "history.db")], capture_output=True, text=True
        )
        assert done.returncode != 0
        assert "history.db is in use by another cockpit" in done.stderr.splitlines()[-1]
    finally:
        first.close()


def _read(master: int, until: bytes, seen: bytearray) -> None:
    """Read the pty into ``seen`` until ``until`` is in it (or the hang guard runs out)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while until not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # EIO: nothing holds the terminal any more
                return


def _start_cockpit(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, int, list[object]]:
    master, slave = pty.openpty()
    os.set_blocking(master, True)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    before = termios.tcgetattr(slave)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "COCKPIT"))},
        "TERM": "xterm-256color",
        "COCKPIT_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    return proc, master, slave, before


@pytest.mark.parametrize("sig", [signal.SIGBUS, signal.SIGSEGV, signal.SIGKILL], ids=lambda s: s.name)
def test_whatever_kills_the_cockpit_the_terminal_is_restored(tmp_path: Path, sig: signal.Signals) -> None:
    proc, master, slave, before = _start_cockpit(tmp_path)
    seen = bytearray()
    try:
        _read(master, b"\x1b[?1049h", seen)  # the alternate screen: Textual has taken the terminal
        _read(master, b"SIMULATED", seen)  # and drawn the first frame
        assert b"SIMULATED" in seen, bytes(seen[-500:])
        assert not termios.tcgetattr(slave)[3] & termios.ISIG  # its raw input mode is in force
        mark = len(seen)
        os.kill(proc.pid, sig)
        assert proc.wait() == -sig  # the death itself is not hidden (the shell shows 135 for SIGBUS)
        _read(master, SAID, seen)
        after = bytes(seen[mark:])
        assert SAID in after, after[-300:]
        for undo in (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l", b"\x1b[?2004l"):
            assert undo in after
        assert termios.tcgetattr(slave) == before  # cooked input, echo, ctrl+c as a signal again
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)


def test_a_clean_quit_leaves_the_restoring_to_textual(tmp_path: Path) -> None:
    proc, master, slave, _ = _start_cockpit(tmp_path)
    seen = bytearray()
    try:
        _read(master, b"SIMULATED", seen)
        os.write(master, b"q")
        deadline = time.monotonic() + HANG_GUARD_S
        while proc.poll() is None and time.monotonic() < deadline:  # reading, or its writes would block
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 65536)
        assert proc.wait() == 0
        os.close(slave)
        slave = -1
        _read(master, b"\0never\0", seen)  # everything, until the guard lets go of the terminal too
        assert b"\x1b[?1049l" in seen and SAID not in seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        if slave >= 0:
            os.close(slave)
