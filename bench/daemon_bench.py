"""The daemon and its viewers (issue 19): attach to the first full frame, the daemon's CPU with 0, 1 and 10
viewers at rest and in a cascade, each viewer's CPU and bytes a second, and one real viewer (the cockpit
attached, in a pty) beside the minimal Textual app.

The daemon is the real `cockpit daemon --demo --foreground` in a process of its own (its data and runtime
directories under /tmp). Headless viewers are ``DaemonLink``s in one other process: it receives and
decodes every snapshot as the app would, and counts the bytes; its CPU over the viewers is the cost of a
viewer's transport. CPU is process time over wall time from /proc (1.0 = one core).

Run: ``PYTHONPATH=. .venv-bench/bin/python -m bench.daemon_bench [--quick]`` (writes its section).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.children import failed
from bench.pty_bench import CASCADE_START_S, COLS, ROWS, Measure, _cpu_seconds, minimal, run_in_pty

BASE = Path("/tmp/cockpit-daemon-bench")


@dataclass(frozen=True)
class Load:
    daemon_cpu: float
    viewers_cpu: float  # all headless viewers together
    bytes_per_viewer_s: float
    frames_per_viewer_s: float


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "COCKPIT_DATA_DIR": str(BASE / "data"),
        "XDG_RUNTIME_DIR": str(BASE / "run"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def _start_daemon(start_s: float) -> int:
    argv = [sys.executable, "-m", "cockpit", "--speed", "1", "--demo-start", str(start_s), "daemon", "--demo"]
    done = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise failed("daemon start", f"exit {done.returncode}", done.stdout + done.stderr)
    return int(json.loads((BASE / "data" / "daemon.lock").read_text())["pid"])


def _stop_daemon(pid: int) -> None:
    subprocess.run([sys.executable, "-m", "cockpit", "daemon", "stop"], env=_env(), timeout=60, check=False)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _viewers(n: int, seconds: float) -> subprocess.Popen[str]:
    """A process running ``n`` headless viewers for ``seconds``; prints JSON counts when done."""
    code = f"import asyncio; from bench.daemon_viewers import main; asyncio.run(main({n}, {seconds}))"
    return subprocess.Popen([sys.executable, "-c", code], env=_env(), stdout=subprocess.PIPE, text=True)


def load(start_s: float, n: int, warmup_s: float, window_s: float) -> Load:
    """The daemon at ``start_s`` after the opening with ``n`` headless viewers attached."""
    shutil.rmtree(BASE, ignore_errors=True)
    pid = _start_daemon(start_s)
    try:
        viewers = _viewers(n, warmup_s + window_s + 1.0) if n else None
        time.sleep(warmup_s)
        d0, v0, t0 = _cpu_seconds(pid), _cpu_seconds(viewers.pid) if viewers else 0.0, time.monotonic()
        time.sleep(window_s)
        d1, v1, t1 = _cpu_seconds(pid), _cpu_seconds(viewers.pid) if viewers else 0.0, time.monotonic()
        counts = json.loads(viewers.communicate(timeout=60)[0]) if viewers else {"bytes": 0, "frames": 0}
    finally:
        _stop_daemon(pid)
    span = warmup_s + window_s  # the counts are over the viewers' whole run
    per = max(n, 1)
    return Load(
        (d1 - d0) / (t1 - t0),
        (v1 - v0) / (t1 - t0),
        counts["bytes"] / span / per,
        counts["frames"] / span / per,
    )


def attach_ms(repeats: int) -> list[float]:
    """Milliseconds from connecting to the first whole snapshot decoded, ``repeats`` attaches."""
    shutil.rmtree(BASE, ignore_errors=True)
    pid = _start_daemon(0.0)
    try:
        code = (
            "import asyncio; from bench.daemon_viewers import attach_times; "
            f"asyncio.run(attach_times({repeats}))"
        )
        argv = [sys.executable, "-c", code]
        out = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise failed("attach", f"exit {out.returncode}", out.stdout + out.stderr)
        return [float(x) for x in json.loads(out.stdout)]
    finally:
        _stop_daemon(pid)


def attached_viewer_in_pty(warmup_s: float, window_s: float) -> Measure:
    """The cockpit attached to a daemon at rest, in a real terminal."""
    shutil.rmtree(BASE, ignore_errors=True)
    pid = _start_daemon(0.0)
    try:
        argv = [sys.executable, "-m", "cockpit", "--demo"]
        return run_in_pty(argv, warmup_s, window_s, _env())
    finally:
        _stop_daemon(pid)


def _row(what: str, n: int, m: Load) -> str:
    head = f"| {what} | {n} | {m.daemon_cpu * 100:.2f}% |"
    if not n:
        return head + " - | - | - |"
    per = f" {m.viewers_cpu / n * 100:.2f}% | {m.bytes_per_viewer_s / 1000:.1f} KB/s |"
    return head + per + f" {m.frames_per_viewer_s:.1f} |"


def section(quick: bool = False) -> list[str]:
    warmup, window = (4.0, 8.0) if quick else (8.0, 20.0)
    attaches = sorted(attach_ms(5 if quick else 20))
    rows = []
    markets = (("at rest (the opening, live pace)", 0.0), ("in the first cascade", CASCADE_START_S - 2))
    for what, start in markets:
        for n in (0, 1, 10):
            rows.append(_row(what, n, load(start, n, warmup, window)))
    ref = minimal(warmup, window)
    viewer = attached_viewer_in_pty(warmup, window)
    median = attaches[len(attaches) // 2]
    return [
        "## The daemon and its viewers (issue 19)",
        "",
        f"Written by `./scripts/bench` (`python -m bench.daemon_bench`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The daemon is `cockpit daemon --demo` "
        "in its own process; headless viewers are `DaemonLink`s in one other process, receiving and "
        f"decoding every snapshot; {warmup:.0f} s warm-up, {window:.0f} s window, CPU from /proc (100% = "
        "one core).",
        "",
        f"Attach to the first whole snapshot decoded: median {median:.1f} ms, worst {attaches[-1]:.1f} ms "
        f"over {len(attaches)} attaches (target: first full frame within 300 ms).",
        "",
        "| market | viewers | daemon CPU | CPU per viewer (transport) | bytes per viewer | snapshots/s |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"One real viewer: `cockpit --demo` attached to the daemon at rest, in a {COLS}x{ROWS} pty: "
        f"{viewer.cpu * 100:.2f}% of a core ({viewer.cpu / ref.cpu:.1f}x the minimal Textual app's "
        f"{ref.cpu * 100:.2f}% in the same run), {viewer.bytes_per_s / 1000:.1f} KB/s to the terminal.",
        "",
    ]


def main() -> None:
    from bench.results import write_section

    lines = section("--quick" in sys.argv)
    print("\n".join(lines))
    write_section("\n".join(lines))


if __name__ == "__main__":
    main()
