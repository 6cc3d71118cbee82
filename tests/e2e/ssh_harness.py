"""A real SSH connection on the loopback for end-to-end tests: a throwaway sshd, an ``ssh -tt`` client in a
private tmux server, the screen read with ``capture-pane`` and the bytes the client receives recorded with
``pipe-pane -O`` (before tmux interprets them, so bells and OSC sequences are there as sent).

Only 127.0.0.1 is ever listened on or connected to.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import results as bench_results

REPO = Path(__file__).resolve().parents[2]
ENSURE_SSHD = REPO / "scripts" / "ensure_sshd"
LOOPBACK = "127.0.0.1"
PRIVSEP_DIR = Path("/run/sshd")  # OpenSSH on Debian refuses to start without it


class HarnessError(AssertionError):
    """Something the end-to-end test needs did not happen; the message says what and shows the evidence."""


def _run(argv: list[str], what: str, timeout_s: float = 30.0) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        raise HarnessError(f"{what}: exit status {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd")
ENABLE_E2E = "scripts/ensure_sshd (installs openssh-server, openssh-client and tmux with apt)"


def missing_tools() -> list[str]:
    """What the end-to-end tests need and this machine lacks: sshd, ssh, ssh-keygen, tmux."""
    have_sshd = shutil.which("sshd") is not None or any(os.access(p, os.X_OK) for p in SSHD_CANDIDATES)
    need = [] if have_sshd else ["sshd"]
    return need + [tool for tool in ("ssh", "ssh-keygen", "tmux") if shutil.which(tool) is None]


def in_ci(env: dict[str, str] | None = None) -> bool:
    """True under CI (``CI=true``, as our CI and most others set it): only there may the tests install."""
    return (os.environ if env is None else env).get("CI", "").lower() == "true"


def ensure_sshd() -> Path:
    """The sshd binary. A test run installs nothing on the machine unless ``CI=true``: on a developer's
    machine without sshd (or ssh, ssh-keygen, tmux) the end-to-end tests skip, naming the one command that
    enables them; under CI ``scripts/ensure_sshd`` installs what is missing and a failure fails the tests."""
    missing = missing_tools()
    if missing and not in_ci():
        pytest.skip(
            f"needs {', '.join(missing)}, not installed (tests install nothing outside CI=true): "
            f"run {ENABLE_E2E}"
        )
    out = _run([str(ENSURE_SSHD)], "scripts/ensure_sshd could not provide an OpenSSH server", timeout_s=600)
    for tool in ("ssh", "ssh-keygen", "tmux"):
        if shutil.which(tool) is None:
            raise HarnessError(f"{tool} is not on PATH after scripts/ensure_sshd")
    return Path(out.strip().splitlines()[-1])


def free_port() -> int:
    """A TCP port free on the loopback right now (sshd binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


class SshServer:
    """sshd on 127.0.0.1 with a throwaway host key, accepting one throwaway user key, in ``workdir``."""

    def __init__(self, sshd: Path, workdir: Path) -> None:
        self.sshd = sshd
        self.dir = workdir
        self.port = 0
        self.user = getpass.getuser()
        self.user_key = workdir / "user_key"
        self.log = workdir / "sshd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        except OSError as exc:
            raise HarnessError(
                f"sshd needs {PRIVSEP_DIR} (privilege separation); cannot create it: {exc}"
            ) from exc
        host_key = self.dir / "host_key"
        for key in (host_key, self.user_key):
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], f"ssh-keygen {key.name}")
        authorized = self.dir / "authorized_keys"
        authorized.write_text((self.dir / "user_key.pub").read_text())
        authorized.chmod(0o600)
        self.port = free_port()
        config = self.dir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {LOOPBACK}",
                    f"Port {self.port}",
                    f"HostKey {host_key}",
                    f"AuthorizedKeysFile {authorized}",
                    f"PidFile {self.dir / 'sshd.pid'}",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "",
                ]
            )
        )
        _run([str(self.sshd), "-t", "-f", str(config)], "sshd rejected the test configuration")
        with self.log.open("wb") as log:
            self._proc = subprocess.Popen(
                [str(self.sshd), "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise HarnessError(
                    f"sshd exited with status {self._proc.returncode}:\n{self.log.read_text()}"
                )
            if f"listening on {LOOPBACK} port {self.port}" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise HarnessError(
            f"sshd did not listen on {LOOPBACK}:{self.port} in {timeout_s:g} s:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def ssh_argv(self, remote_command: str) -> list[str]:
        """``ssh -tt`` to this server and nowhere else: no user config, no host key checks, no escape key."""
        return [
            "ssh",
            "-tt",
            "-F",
            "/dev/null",
            "-e",
            "none",
            "-i",
            str(self.user_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            "-p",
            str(self.port),
            f"{self.user}@{LOOPBACK}",
            remote_command,
        ]


# Keys are sent at a person's pace, not as one burst: Textual moves focus after the key that asked for it is
# handled (a "z" arriving with the "2" before it maximises the previously focused pane), and a dialog paints
# before its field has focus (a level typed in the same instant as the dialog appears can be lost).
KEY_GAP_S = 0.3

EXIT_MARK = "[ssh exited with status "
_EXIT_RE = re.compile(re.escape(EXIT_MARK) + r"(\d+)\]")


@dataclass(frozen=True, slots=True)
class TerminalModes:
    """What tmux says about the pane's terminal state (its own parse of everything the client printed)."""

    alternate_screen: bool
    cursor_visible: bool
    mouse: bool

    @property
    def restored(self) -> bool:
        return not self.alternate_screen and self.cursor_visible and not self.mouse


class TmuxPane:
    """One command in a detached tmux session of its own tmux server, ``width`` x ``height``.

    The command's output is appended to ``raw_path`` from the first byte: the pane waits on a tmux channel
    until ``pipe-pane`` is attached. When the command ends the pane prints ``[ssh exited with status N]`` and
    stays alive, so the terminal modes it left behind can still be read.
    """

    def __init__(self, workdir: Path, name: str, width: int = 120, height: int = 40) -> None:
        self.dir = workdir
        self.name = name
        self.socket = f"cockpit-e2e-{os.getpid()}-{name}"
        self.width = width
        self.height = height
        self.raw_path = workdir / f"{name}.raw"
        self._started = False
        self._socket_path = ""

    def tmux(self, *args: str, check: bool = True) -> str:
        argv = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        if not check:
            subprocess.run(argv, capture_output=True, timeout=10, check=False)
            return ""
        return _run(argv, f"tmux {args[0]}", timeout_s=10)

    def start(self, argv: list[str]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.raw_path.write_bytes(b"")
        channel = f"go-{self.name}"
        script = (
            f"tmux -L {shlex.quote(self.socket)} wait-for {channel}; {shlex.join(argv)}; s=$?; "
            f"printf '\\n{EXIT_MARK}%s]\\n' \"$s\"; exec sleep 3600"
        )
        self.tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "sh",
            "-c",
            script,
        )
        self._started = True
        self._socket_path = self.tmux("display-message", "-p", "#{socket_path}").strip()
        self.tmux("pipe-pane", "-O", "-t", self.name, f"cat >> {shlex.quote(str(self.raw_path))}")
        self.tmux("wait-for", "-S", channel)

    def kill(self) -> None:
        if self._started:
            self._started = False
            self.tmux("kill-server", check=False)
            if self._socket_path:  # tmux leaves the socket file of a killed server behind
                Path(self._socket_path).unlink(missing_ok=True)

    # -- reading -------------------------------------------------------------------------------------------

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def raw(self) -> bytes:
        return self.raw_path.read_bytes()

    def raw_size(self) -> int:
        return self.raw_path.stat().st_size

    def modes(self) -> TerminalModes:
        out = self.tmux(
            "display-message", "-p", "-t", self.name, "#{alternate_on} #{cursor_flag} #{mouse_any_flag}"
        )
        alt, cursor, mouse = out.split()
        return TerminalModes(alt == "1", cursor == "1", mouse == "1")

    def exit_status(self) -> int | None:
        """The ssh client's exit status once it has ended (else None)."""
        m = _EXIT_RE.search(self.screen())
        return int(m.group(1)) if m else None

    # -- driving -------------------------------------------------------------------------------------------

    def keys(self, *keys: str, gap_s: float = KEY_GAP_S) -> None:
        """Key names as tmux spells them (``Enter``, ``C-u``, ``BSpace``) or single characters, one at a
        time at a person's pace (see ``KEY_GAP_S``)."""
        for key in keys:
            time.sleep(gap_s)
            self.tmux("send-keys", "-t", self.name, key)

    def type(self, text: str, gap_s: float = KEY_GAP_S) -> None:
        """Literal text, after a pause like ``keys``."""
        time.sleep(gap_s)
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def wait_screen(self, test: Callable[[str], bool] | str, what: str, timeout_s: float = 30.0) -> str:
        """Poll the screen until ``test`` (or the text) is on it; else fail showing the last screen."""
        check = (lambda s: test in s) if isinstance(test, str) else test
        deadline = time.monotonic() + timeout_s
        screen = ""
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        raise HarnessError(f"timed out after {timeout_s:g} s waiting for {what}; the screen was:\n{screen}")

    def wait_raw(self, needle: bytes, what: str, timeout_s: float = 30.0) -> bytes:
        """Poll the recorded output until it contains ``needle``."""
        deadline = time.monotonic() + timeout_s
        while True:
            raw = self.raw()
            if needle in raw:
                return raw
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        raise HarnessError(
            f"timed out after {timeout_s:g} s waiting for {what} ({needle!r}) in the client's output; "
            f"the screen was:\n{self.screen()}"
        )

    def bytes_per_second(self, window_s: float) -> tuple[int, float]:
        """Bytes the client received during the next ``window_s`` seconds, and the exact seconds measured."""
        n0, t0 = self.raw_size(), time.monotonic()
        time.sleep(window_s)
        n1, t1 = self.raw_size(), time.monotonic()
        return n1 - n0, t1 - t0


def cockpit_env(home: Path) -> dict[str, str]:
    """The private data and config folders of a test's cockpit under ``home``."""
    return {
        "COCKPIT_DATA_DIR": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "share"),
    }


def cockpit_command(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The remote shell command that runs the cockpit installed in the test's own environment (never
    ./scripts/cockpit, which would build .venv during a test run) with private data and config folders
    (and the variables of ``env``)."""
    env = {"LANG": "C.UTF-8", "TERM": "xterm-256color", **cockpit_env(home), **(env or {})}
    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    cockpit = shlex.join([sys.executable, "-m", "cockpit", *args])
    return f"cd {shlex.quote(str(REPO))} && exec env -u COCKPIT_CONFIG {assigns} {cockpit}"


_CLOCK_RE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def screen_clock_ms(screen: str) -> int | None:
    """The market time in the cockpit's status bar (epoch ms), if it is on the screen."""
    from datetime import datetime, timezone

    m = _CLOCK_RE.search(screen)
    if m is None:
        return None
    stamp = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(stamp.timestamp() * 1000)


def wire_bytes_sent(port: int) -> int | None:
    """TCP payload bytes sshd has had acknowledged on its connections (``ss -ti``): what SSH really sends,
    encryption and packet overhead included. None when ``ss`` is not available."""
    if shutil.which("ss") is None:
        return None
    try:
        out = _run(["ss", "-tinH", "state", "established", "sport", "=", f":{port}"], "ss", timeout_s=5)
    except HarnessError:
        return None
    counts = [int(n) for n in re.findall(r"bytes_acked:(\d+)", out)]
    return sum(counts) if counts else None


@dataclass(frozen=True, slots=True)
class Window:
    """One bandwidth measurement: what the client received over ``seconds`` of real time."""

    stream_bytes: int  # the terminal stream: what the ssh client wrote to its terminal
    wire_bytes: int | None  # SSH's TCP payload for the same window (None: not measurable here)
    seconds: float
    market_from_ms: int | None  # the cockpit's clock at the start and end (simulated time)
    market_to_ms: int | None

    @property
    def stream_rate(self) -> float:
        return self.stream_bytes / self.seconds

    @property
    def wire_rate(self) -> float | None:
        return None if self.wire_bytes is None else self.wire_bytes / self.seconds


def measure(pane: TmuxPane, server: SshServer, window_s: float) -> Window:
    """Bytes per second the client receives during the next ``window_s`` seconds (the app left alone)."""
    clock0 = screen_clock_ms(pane.screen())
    wire0, n0, t0 = wire_bytes_sent(server.port), pane.raw_size(), time.monotonic()
    time.sleep(window_s)
    wire1, n1, t1 = wire_bytes_sent(server.port), pane.raw_size(), time.monotonic()
    clock1 = screen_clock_ms(pane.screen())
    wire = None if wire0 is None or wire1 is None else wire1 - wire0
    return Window(n1 - n0, wire, t1 - t0, clock0, clock1)


SECTION = "## Over SSH"


def replace_section(document: str, section: str) -> str:
    """``document`` with its ``## Over SSH`` section replaced by ``section`` (appended when absent)."""
    assert section.startswith(SECTION)
    return bench_results.replace_section(document, section)
