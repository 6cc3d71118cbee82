"""The daemon as a process: one per data directory (a lock file), detached from the terminal that started
it, logging to a rotating file, answering on a Unix socket in the user's runtime directory.

Detaching is a new process in its own session (``start_new_session``), not a fork of this one: the parent
has a terminal, maybe threads and an event loop, none of which survive a fork cleanly; the child has no
controlling terminal, so the SSH session's hang-up never reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

from cockpit.storage.paths import data_dir

LOCK_NAME = "daemon.lock"
LOG_NAME = "daemon.log"
LOG_BYTES, LOG_KEEP = 1_000_000, 3
START_TIMEOUT_S = 30.0  # a live start loads markets first; the socket opens before that, though
STOP_TIMEOUT_S = 15.0


class DaemonError(Exception):
    """Said in one line by the command line (exit 1)."""


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR/cockpit, else /tmp/cockpit-<uid>: the user's own, mode 0700."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    return Path(base) / "cockpit" if base else Path(f"/tmp/cockpit-{os.getuid()}")


def socket_path(data: Path | None = None) -> Path:
    """The socket of the daemon of ``data`` (the data directory): one per directory, named by its hash
    (a socket path may be at most 107 bytes; a data directory's may be longer)."""
    data = (data or data_dir()).expanduser().resolve()
    digest = hashlib.sha256(str(data).encode()).hexdigest()[:12]
    return runtime_dir() / f"daemon-{digest}.sock"


class Lock:
    """The data directory's daemon lock: held by the running daemon for its whole life (the kernel lets
    go when the process dies, even by SIGKILL). The file says who holds it."""

    def __init__(self, data: Path | None = None) -> None:
        self.path = (data or data_dir()) / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self, info: dict[str, Any]) -> None:
        """Take the lock and write ``info``; ``DaemonError`` naming the holder if another daemon has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+")  # noqa: SIM115 - held open for the life of the daemon
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            where = f"{self.path.parent} ({holder(self.path)})"
            raise DaemonError(f"a cockpit daemon already runs for {where}") from None
        f.seek(0)
        f.truncate()
        f.write(json.dumps(info))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(0)
            self._file.close()
            self._file = None

    def held(self) -> bool:
        """Whether some process holds the lock now."""
        if not self.path.exists():
            return False
        with open(self.path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False


def holder(path: Path) -> str:
    """Who holds the lock, as the lock file says ("pid 123, demo, since 10:02:03 UTC")."""
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "pid unknown"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(info.get("started_ms", 0) / 1000))
    return f"pid {info.get('pid')}, {info.get('kind')}, since {since}"


def setup_log(data: Path) -> logging.Logger:
    """The daemon's log: a rotating file in the data directory (1 MB, three old files kept)."""
    logger = logging.getLogger("cockpit.daemon")
    handler = RotatingFileHandler(data / LOG_NAME, maxBytes=LOG_BYTES, backupCount=LOG_KEEP)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def spawn(argv: Sequence[str], data: Path) -> int:
    """Start ``cockpit daemon --foreground`` in a session of its own (no terminal), its output appended
    to the log; wait until its socket answers. Returns the child's pid; ``DaemonError`` with the log's
    last line if it ended first."""
    data.mkdir(parents=True, exist_ok=True)
    with open(data / LOG_NAME, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "cockpit", *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise DaemonError(f"the daemon stopped at start: {last_line(data / LOG_NAME)}")
        if answers(socket_path(data)):
            return child.pid
        time.sleep(0.05)
    raise DaemonError(f"the daemon did not answer within {START_TIMEOUT_S:.0f} s (see {data / LOG_NAME})")


def last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][-300:] if lines else "no log"


def answers(path: Path) -> bool:
    """Whether a daemon listens at ``path`` (a connection is accepted)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def stop_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT end the daemon cleanly; SIGHUP (a terminal closing) is not its business."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def wait_gone(pid: int, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Whether process ``pid`` ended within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        time.sleep(0.05)
    return False
