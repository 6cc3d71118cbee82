"""A private home for `cockpit daemon` subprocesses in tests: data, config and runtime folders of its own, a
config whose alarm command appends each firing to a file, and raw socket helpers for viewers that
misbehave on purpose."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cockpit.daemon import codec
from cockpit.daemon.process import socket_path
from cockpit.models import Snapshot

DEMO_SPEED = 20  # simulated seconds per real second: liquidations every few hundred ms, snapshots at 10 Hz


class DaemonHome:
    """COCKPIT_DATA_DIR, XDG_RUNTIME_DIR, HOME and the config under folders of one test; ``run`` runs the
    cockpit command there. The runtime folder is short, under /tmp: a socket path may be at most 107 bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.runtime = Path(tempfile.mkdtemp(prefix="ck-", dir="/tmp"))
        self.fired_file = root / "fired.txt"
        config_dir = root / "config" / "cockpit"
        config_dir.mkdir(parents=True)
        command = f'echo "$COCKPIT_ALARM_ID $COCKPIT_ALARM_TS_MS" >> {self.fired_file}'
        (config_dir / "config.toml").write_text(
            f"[alarms]\nnotify_command = {json.dumps(['sh', '-c', command])}\n"
        )
        (root / "home").mkdir()
        self.env = {
            "COCKPIT_DATA_DIR": str(self.data),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "HOME": str(root / "home"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "share"),
        }

    @property
    def socket(self) -> Path:
        with self.environ():
            return socket_path(self.data)

    @contextlib.contextmanager
    def environ(self) -> Iterator[None]:
        """This home's variables in the test's own process (the socket's path is derived from them)."""
        saved = {k: os.environ.get(k) for k in (*self.env, "COCKPIT_CONFIG")}
        os.environ.update(self.env)
        os.environ.pop("COCKPIT_CONFIG", None)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def run(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        """``python -m cockpit <args>`` in this home."""
        env = {k: v for k, v in os.environ.items() if k != "COCKPIT_CONFIG"} | self.env
        return subprocess.run(
            [sys.executable, "-m", "cockpit", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def start(self, speed: float = DEMO_SPEED) -> int:
        """Start the demo daemon; its pid."""
        done = self.run("--speed", f"{speed:g}", "daemon", "--demo")
        assert done.returncode == 0, f"daemon did not start: {done.stdout}{done.stderr}{self.log()}"
        return self.pid()

    def pid(self) -> int:
        """The running daemon's pid, as its lock file says."""
        info = json.loads((self.data / "daemon.lock").read_text())
        return int(info["pid"])

    def log(self) -> str:
        path = self.data / "daemon.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def fired_lines(self) -> list[str]:
        return self.fired_file.read_text().splitlines() if self.fired_file.exists() else []

    def close(self) -> None:
        """Stop this home's daemon if one runs (by its pid: `daemon stop`, else SIGKILL)."""
        lock = self.data / "daemon.lock"
        try:
            pid = self.pid() if lock.exists() and lock.read_text() else None
        except (OSError, ValueError):
            pid = None
        if pid is not None and alive(pid):
            self.run("daemon", "stop", timeout_s=30)
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.runtime, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(test: Any, what: str, timeout_s: float = 15.0) -> None:
    """Poll ``test()`` until true; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not test():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:g} s waiting for {what}"
        time.sleep(0.05)


# -- a viewer by hand: blocking sockets, frames read one at a time ------------------------------------------


def read_frame(sock: socket.socket) -> bytes:
    """One frame's body; ``ConnectionError`` at the end of the stream."""
    header = _exactly(sock, codec.HEADER.size)
    return _exactly(sock, codec.frame_length(header))


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError(f"the stream ended after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def open_raw(path: Path, timeout_s: float = 10.0) -> tuple[socket.socket, dict[str, Any]]:
    """A socket to the daemon and its greeting (JSON)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    sock.connect(str(path))
    hello = json.loads(read_frame(sock))
    return sock, hello


def attach_raw(path: Path, symbol: str = "BTC/USDT:USDT", timeframe: str = "1h") -> socket.socket:
    """A viewer that greets as ours and asks for a view, then reads only when the test says so."""
    sock, _ = open_raw(path)
    sock.sendall(codec.greeting("viewer") + codec.encode(("view", symbol, timeframe)))
    return sock


def next_snapshot(sock: socket.socket) -> Snapshot:
    """The next snapshot this raw viewer receives (replies skipped)."""
    while True:
        message = codec.decode(read_frame(sock))
        if message[0] == "snapshot":
            snap: Snapshot = message[1]
            return snap


def closed_by_peer(sock: socket.socket, timeout_s: float = 10.0) -> bool:
    """Whether the daemon closes this socket (frames it still sends first are read and dropped)."""
    sock.settimeout(timeout_s)
    try:
        while sock.recv(1 << 16):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True
