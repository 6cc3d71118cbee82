"""Cost where the user sees it (issue 17): the cockpit in a real pseudo-terminal, beside a minimal Textual
app run the same way in the same run, so the ratio travels between machines when absolute CPU does not.

Each run starts the program on the slave side of a pty at 120x40 (TERM=xterm-256color, no COLORTERM: what
arrives over SSH), drains everything it writes to the terminal, waits out a warm-up and then measures a
window: process CPU time over wall time from /proc/PID/stat (1.0 = one core) and the bytes written to the
terminal per second. Runs: the minimal app; ``cockpit --demo`` at rest (the opening, live pace); the live
cockpit against the fake venues (tests/fakes on 127.0.0.1) with Binance, Bybit and OKX streaming a ticker
every second and a liquidation every few seconds; the simulated day's first cascade at live pace.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.pty_bench [--quick]`` (writes its section of RESULTS.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.children import failed

REPO = Path(__file__).resolve().parents[1]
COLS, ROWS = 120, 40
REST = "<= 1.5%, <= 4x"  # the budget at rest: of a core, and of the minimal app's CPU
CASCADE_START_S = 8914  # simulated seconds after the opening: the day's first cascade (bench/RESULTS.md)


@dataclass(frozen=True)
class Measure:
    cpu: float  # share of one core over the window
    bytes_per_s: float  # written to the terminal


TAIL_BYTES = 8192  # what a program wrote last, shown when it exits during the warm-up
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)


class _Drain(threading.Thread):
    """Reads the pty's master side as fast as the program writes, counting bytes and keeping the last
    ``TAIL_BYTES`` of them."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.total = fd, 0
        self.last = bytearray()

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.total += len(chunk)
            self.last += chunk
            del self.last[:-TAIL_BYTES]

    def text(self) -> str:
        """The kept tail as text, terminal escape sequences removed."""
        plain = _ESCAPES.sub("", bytes(self.last).decode("utf-8", "replace"))
        return "\n".join(line.rstrip() for line in plain.replace("\r", "\n").splitlines() if line.strip())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the program's process group (gone already when it exited by itself)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_in_pty(
    argv: list[str], warmup_s: float, window_s: float, env: dict[str, str] | None = None
) -> Measure:
    """``argv`` on a fresh 120x40 pty: CPU share and terminal bytes per second over the window."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    base = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "TEXTUAL", "NO_COLOR")}
    env = {**base, "TERM": "xterm-256color", "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    drain = _Drain(master)
    drain.start()
    try:
        time.sleep(warmup_s)
        if proc.poll() is not None:
            drain.join(1.0)  # what it wrote last
            step = f"{' '.join(argv[1:])} in a pty (exited during the warm-up)"
            raise failed(step, f"exit {proc.returncode}", drain.text())
        cpu0, bytes0, t0 = _cpu_seconds(proc.pid), drain.total, time.monotonic()
        time.sleep(window_s)
        cpu1, bytes1, t1 = _cpu_seconds(proc.pid), drain.total, time.monotonic()
    finally:
        _stop(proc)
        os.close(master)
    return Measure((cpu1 - cpu0) / (t1 - t0), (bytes1 - bytes0) / (t1 - t0))


def minimal(warmup_s: float, window_s: float) -> Measure:
    return run_in_pty([sys.executable, "-m", "bench.minimal_app"], warmup_s, window_s)


def demo(warmup_s: float, window_s: float, start_s: float = 0.0) -> Measure:
    argv = [sys.executable, "-m", "cockpit", "--demo", "--speed", "1", "--demo-start", str(start_s)]
    return run_in_pty(argv, warmup_s, window_s, {"COCKPIT_DATA_DIR": "/tmp/cockpit-pty-bench"})


def live(warmup_s: float, window_s: float) -> Measure:
    """The live cockpit against the fake venues, the streamed venues sending at a real venue's cadence."""
    from bench.fakes_thread import FakeVenuesThread
    from bench.live_traffic import LiveTraffic
    from tests.integration.test_live_venues import START_MS

    traffic = LiveTraffic(START_MS)
    # Polled venues at the product's default cadences, as a trader runs it (the other benches poll every
    # second to move faster).
    with FakeVenuesThread(Path("/tmp/cockpit-pty-live.toml"), None, traffic.second) as config:
        argv = [sys.executable, "-m", "bench.live_launch", str(config), str(START_MS)]
        traffic.restart()
        return run_in_pty(argv, warmup_s, window_s, {"COCKPIT_DATA_DIR": "/tmp/cockpit-pty-bench-live"})


def _row(what: str, m: Measure, ref: Measure, budget: str, ok: bool | None) -> str:
    ratio = m.cpu / ref.cpu if ref.cpu > 0 else float("inf")
    met = "" if ok is None else ("yes" if ok else "NO")
    return (
        f"| {what} | {m.cpu * 100:.2f}% | {ratio:.1f}x | {m.bytes_per_s / 1000:.1f} KB/s | {budget} | {met} |"
    )


def section(quick: bool = False) -> list[str]:
    warmup, window = (5.0, 10.0) if quick else (10.0, 30.0)
    ref_a = minimal(warmup, window)
    at_rest = demo(warmup, window)
    ref_b = minimal(warmup, window)
    live_rest = live(warmup, window)
    cascade = demo(2.0, min(window, 20.0), CASCADE_START_S - 2)
    ref = Measure((ref_a.cpu + ref_b.cpu) / 2, (ref_a.bytes_per_s + ref_b.bytes_per_s) / 2)

    def rest_ok(m: Measure) -> bool:
        return m.cpu <= 0.015 and m.cpu <= 4 * ref.cpu

    return [
        "## In a real terminal (issue 17)",
        "",
        f"Written by `./scripts/bench` (`python -m bench.pty_bench`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Each program runs on a pseudo-terminal at "
        f"{COLS}x{ROWS}, TERM=xterm-256color without COLORTERM (as over SSH), everything it writes drained; "
        f"after {warmup:.0f} s of warm-up, CPU is process time over a {window:.0f} s wall window from "
        "/proc (1.0 = one core) and the terminal stream is the bytes written to the pty. The reference is a "
        "minimal Textual app (Header, Footer, one Static updated once a second) run the same way in the "
        f"same run, twice (before and after the cockpit's runs: {ref_a.cpu * 100:.2f}% and "
        f"{ref_b.cpu * 100:.2f}%); the ratio is against their mean.",
        "",
        "| run | CPU | x minimal app | terminal stream | budget | met |",
        "|---|---|---|---|---|---|",
        _row("minimal Textual app (reference)", ref, ref, "", None),
        _row(
            "`cockpit --demo` at rest (the opening, live pace)",
            at_rest,
            ref,
            "<= 1.5%, <= 4x",
            rest_ok(at_rest),
        ),
        _row(
            "live against the fake venues at rest (3 streamed tickers/s, a liquidation every ~3 s)",
            live_rest,
            ref,
            REST,
            rest_ok(live_rest),
        ),
        _row("the first cascade at live pace (`--demo-start 8912`)", cascade, ref, "", None),
        "",
        REST_MISS,
    ]


# Why the rest budget is missed, from py-spy profiles of the cockpit in this pty (2026-12-04); the cuts made
# are in CHANGELOG.md and the commits (ccxt's 1 ms busy-wait throttle: live 7.2% -> 2.8% with 1 s polls;
# chart rebuilt only when a marker's glyph or place changes; other coins' ticks no longer wake the engine).
REST_MISS = (
    "At rest the cockpit misses 1.5% and 4x. Profiled in this pty (py-spy, 200 Hz, 90-120 s): a fifth to a "
    "quarter of its samples are Textual's compositor painting the rows that changed (the clock, the price in "
    "the metrics strip and the scenarios' distances change every second: that is the product), another "
    "quarter the chart rebuilt by plotext when the last price moves half a row or a marker changes (about "
    "one rebuild every 3 s at live pace), 6-9% Textual's input thread, and the snapshot itself 5-9%. Live, "
    "ccxt's websocket parsing and aiohttp's polls add the rest. Since the multi-coin market (issue 18) the "
    "simulated market also ticks 18 coins a second, which costs the demo about 0.5% of a core more than "
    "BTC alone did. Cutting further means repainting the chart less often than the price moves, a choice "
    "for the trader (a `chart_hz` below 1), not a free saving."
)


if __name__ == "__main__":
    from bench.results import write_section

    text = "\n".join(section("--quick" in sys.argv)) + "\n"
    write_section(text)
    print(text)
