"""`cockpit daemon` as real processes (issue 19): its life (one per data directory, its own session, a 0600
socket, stop), a viewer that loses it and reattaches, viewers that misbehave (garbage, another protocol,
one that stops reading) and two viewers sharing alarms, with the firing's command run once.

Every daemon runs the simulated market in a private data, config and runtime folder. Times are measured
and printed; the only ones asserted are the spec's bounds (engine lost within 2 s, an alarm change seen by
the other viewer within 1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pickle
import signal
import stat
import struct
import termios
import threading
import time
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest

from cockpit import __version__
from cockpit.alarms.model import MARKET, liq_alarm
from cockpit.daemon import codec
from cockpit.daemon.client import DaemonLink
from cockpit.daemon.process import Lock
from cockpit.models import Snapshot
from cockpit.sources.demo.market import SYMBOL
from tests.integration.daemon_home import (
    DaemonHome,
    alive,
    attach_raw,
    closed_by_peer,
    next_snapshot,
    open_raw,
    read_frame,
)

SPEC_LOST_S = 2.0  # a viewer says "engine lost" within 2 s of the daemon dying
SPEC_ALARM_SEEN_S = 1.0  # an alarm changed in one viewer is in every other viewer's snapshots within 1 s
WAIT_S = 30.0  # how long a step may take before the test gives up (a hang guard, not a timing assertion)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[DaemonHome]:
    h = DaemonHome(tmp_path)
    try:
        yield h
    finally:
        h.close()


async def _next(snaps: AsyncGenerator[Snapshot, None], timeout_s: float = WAIT_S) -> Snapshot:
    return await asyncio.wait_for(anext(snaps), timeout_s)


def test_one_daemon_in_its_own_session(home: DaemonHome) -> None:
    """start, status, a second start refused, the socket 0600, SIGHUP to its session ignored, stop."""
    pid = home.start()
    status = home.run("daemon", "status")
    assert status.returncode == 0, status.stderr
    assert f"pid {pid}, demo" in status.stdout and "viewers attached: 0" in status.stdout, status.stdout

    second = home.run("daemon", "--demo")
    assert second.returncode == 1, second.stdout
    assert f"a cockpit daemon already runs for {home.data} (pid {pid}, demo" in second.stderr, second.stderr
    assert home.pid() == pid, "the second start took the lock over"

    mode = home.socket.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600, oct(mode)
    assert stat.S_IMODE(home.socket.parent.stat().st_mode) == 0o700

    # Detached: a session and process group of its own, so a terminal's hang-up never reaches it; and sent
    # to its whole group anyway, SIGHUP is ignored.
    assert os.getsid(pid) == pid and os.getpgid(pid) == pid and os.getsid(pid) != os.getsid(0)
    os.killpg(pid, signal.SIGHUP)
    after = home.run("daemon", "status")
    assert after.returncode == 0 and f"pid {pid}" in after.stdout, f"SIGHUP stopped it: {after.stderr}"

    stopped = home.run("daemon", "stop")
    assert stopped.returncode == 0 and f"cockpit daemon stopped (pid {pid})" in stopped.stdout, stopped
    assert not alive(pid)
    gone = home.run("daemon", "status")
    assert gone.returncode == 1 and "no cockpit daemon runs" in gone.stdout, gone
    assert not home.socket.exists(), "the socket was left behind"
    assert "daemon stopped" in home.log()


def test_engine_lost_and_reattached(home: DaemonHome) -> None:
    """SIGKILL: an attached viewer's snapshots say "lost" within 2 s; a new daemon, and it is back."""
    pid = home.start()

    async def run() -> tuple[float, float]:
        link = DaemonLink(home.socket, SYMBOL, "1h")
        snaps = link.snapshots()
        try:
            first = await _next(snaps)
            assert first.link == "daemon" and link.info["pid"] == pid
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            while (snap := await _next(snaps)).link != "lost":
                pass
            lost_s = time.monotonic() - killed
            assert snap.as_of_ms >= first.as_of_ms, "the lost snapshot is not the last one shown"
            new_pid = await asyncio.to_thread(home.start)
            started = time.monotonic()
            while (snap := await _next(snaps)).link != "daemon":
                pass
            assert link.info["pid"] == new_pid != pid
            return lost_s, time.monotonic() - started
        finally:
            await snaps.aclose()

    lost_s, back_s = asyncio.run(run())
    print(
        f"engine lost seen {lost_s * 1000:.0f} ms after SIGKILL; "
        f"attached again {back_s * 1000:.0f} ms after the restart"
    )
    assert lost_s <= SPEC_LOST_S, f"'lost' took {lost_s:.2f} s (spec: within {SPEC_LOST_S:g} s)"


class _Code:
    """A pickle that would run a command when loaded: the daemon must refuse it, never run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _garbage(marker: Path) -> dict[str, bytes]:
    ours = codec.greeting("viewer")
    code = pickle.dumps(_Code(marker))
    return {
        "not a greeting": codec.HEADER.pack(5) + b"hello",
        "http": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # "GET " read as a length: 1.2 GB
        "garbage frame": ours + codec.HEADER.pack(9) + b"\x80\x05garbage",
        "code in a frame": ours + codec.HEADER.pack(len(code)) + code,
    }


def test_garbage_viewer_dropped(home: DaemonHome) -> None:
    """A viewer that sends bytes not ours is dropped; the daemon goes on serving the others."""
    home.start()
    marker = home.root / "code-ran"
    garbage = _garbage(marker)

    async def run() -> tuple[int, int]:
        link = DaemonLink(home.socket, SYMBOL, "1h")
        snaps = link.snapshots()
        try:
            before = await _next(snaps)
            for what, data in garbage.items():
                sock, _ = open_raw(home.socket)
                with sock:
                    sock.sendall(data)
                    dropped = await asyncio.to_thread(closed_by_peer, sock)
                assert dropped, f"a viewer sending {what!r} was not dropped"
            after = [await _next(snaps) for _ in range(5)]
            assert all(s.link == "daemon" for s in after)
            return before.seq, after[-1].seq
        finally:
            await snaps.aclose()

    before, after = asyncio.run(run())
    assert after > before
    assert not marker.exists(), "a pickled command ran in the daemon"
    log = home.log()
    assert log.count("dropped:") == len(garbage), log
    assert "refused a posix.system" in log, log
    assert home.run("daemon", "status").returncode == 0


def test_viewer_of_another_protocol_told_why(home: DaemonHome) -> None:
    """A viewer greeting with another protocol number gets one line naming both versions, then is dropped."""
    home.start()
    theirs = codec.PROTOCOL + 98
    sock, hello = open_raw(home.socket)
    with sock:
        assert hello["protocol"] == codec.PROTOCOL and hello["cockpit"] == "daemon"
        body = json.dumps({"cockpit": "viewer", "protocol": theirs, "version": "9.9.9"}).encode()
        sock.sendall(codec.HEADER.pack(len(body)) + body)
        error = json.loads(read_frame(sock))["error"]
        assert closed_by_peer(sock)
    print(f"the daemon said: {error}")
    assert "\n" not in error
    for named in (f"protocol {codec.PROTOCOL} (cockpit {__version__})", f"protocol {theirs} (cockpit 9.9.9)"):
        assert named in error, error


def test_daemon_of_another_protocol_said_in_one_line(home: DaemonHome) -> None:
    """`cockpit --demo` finding a daemon of another protocol says so in one line naming both, and exits."""
    theirs = codec.PROTOCOL + 1
    hello = json.dumps(
        {"cockpit": "daemon", "protocol": theirs, "version": "9.9.9", "pid": 1, "kind": "demo"}
    )
    greeting = codec.HEADER.pack(len(hello)) + hello.encode()
    home.data.mkdir(parents=True)
    lock = Lock(home.data)
    lock.acquire({"pid": os.getpid(), "kind": "demo", "started_ms": 0})
    home.socket.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    import socket

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(home.socket))
    server.listen()
    stop = threading.Event()

    def serve() -> None:  # a daemon of another version: greets, then waits for the viewer to leave
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):  # the probes that look for a listener leave at once
                conn.sendall(greeting)
                conn.settimeout(5)
                while conn.recv(4096):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        done = home.run("--demo", timeout_s=60)
    finally:
        stop.set()
        thread.join(5)
        server.close()
        lock.release()
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    for named in (f"protocol {theirs} (cockpit 9.9.9)", f"protocol {codec.PROTOCOL} (cockpit {__version__})"):
        assert named in lines[0], lines[0]


def _queued(sock: object) -> int:
    """Bytes waiting in a socket's receive queue (FIONREAD)."""
    out = fcntl.ioctl(sock.fileno(), termios.FIONREAD, struct.pack("i", 0))  # type: ignore[attr-defined]
    return int(struct.unpack("i", out)[0])


FULL_AFTER = 5  # the slow viewer's queue unchanged while the fast one receives this many snapshots: full
FAST_WHILE_FULL = 20  # snapshots the fast viewer must receive while the slow one's queue stays full


def test_slow_viewer_slows_no_one_and_loses_no_news(home: DaemonHome) -> None:
    """A viewer that stops reading: another viewer's snapshots keep coming; when it reads again it gets the
    newest snapshot, the skipped frames' liquidations merged in (every id, in order)."""
    home.start()

    async def run() -> tuple[list[Snapshot], list[Snapshot], int, int]:
        fast: list[Snapshot] = []
        got = asyncio.Event()
        link = DaemonLink(home.socket, SYMBOL, "1h")

        async def collect() -> None:
            async for snap in link.snapshots():
                fast.append(snap)
                got.set()

        async def fast_count(n: int) -> None:
            target = len(fast) + n
            while len(fast) < target:
                got.clear()
                await asyncio.wait_for(got.wait(), WAIT_S)

        collector = asyncio.create_task(collect())
        try:
            await fast_count(1)
            slow_sock = await asyncio.to_thread(attach_raw, home.socket)
            with slow_sock:
                slow = [await asyncio.to_thread(next_snapshot, slow_sock) for _ in range(3)]
                # The slow viewer stops reading: its queue grows until the daemon's writes to it block.
                queued, same = _queued(slow_sock), 0
                while same < FULL_AFTER:
                    await fast_count(1)
                    now = _queued(slow_sock)
                    same, queued = (same + 1, queued) if now == queued else (0, now)
                full_at = len(fast)
                await fast_count(FAST_WHILE_FULL)
                assert _queued(slow_sock) == queued, "the slow viewer's queue moved while it did not read"
                fast_during = len(fast) - full_at
                newest = fast[-1].seq
                # It reads again: what was queued, then the newest snapshot with every skipped one's news.
                while slow[-1].seq < newest:
                    slow.append(await asyncio.to_thread(next_snapshot, slow_sock))
                for _ in range(5):  # a few more in step with the fast one, to end on a common frame
                    slow.append(await asyncio.to_thread(next_snapshot, slow_sock))
            while fast[-1].seq < slow[-1].seq:
                await fast_count(1)
            return fast, slow, fast_during, queued
        finally:
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)

    fast, slow, fast_during, queued = asyncio.run(run())
    print(
        f"the slow viewer's queue stayed at {queued:,} bytes while the fast one received {fast_during} "
        f"snapshots; the slow one received {len(slow)} snapshots to the fast one's {len(fast)}"
    )
    assert fast_during >= FAST_WHILE_FULL
    fast_seqs, slow_seqs = {s.seq for s in fast}, {s.seq for s in slow}
    common = sorted(fast_seqs & slow_seqs)
    first, last = common[0], common[-1]
    assert first <= slow[0].seq + 2 and last == slow[-1].seq, "no frame both received before and after"

    def ids(snaps: list[Snapshot]) -> list[str]:
        return [e.key for s in snaps if first < s.seq <= last for e in s.new_liquidations]

    skipped = sorted(s for s in fast_seqs if first < s <= last and s not in slow_seqs)
    assert skipped, "the slow viewer skipped no frame: it was not slow"
    fast_ids, slow_ids = ids(fast), ids(slow)
    print(f"{len(skipped)} frames skipped; {len(fast_ids)} liquidations in ({first}, {last}] for both")
    assert fast_ids, "no liquidation in the compared frames: nothing was compared"
    assert slow_ids == fast_ids, (
        f"liquidations lost or repeated: {len(set(fast_ids) - set(slow_ids))} missing, "
        f"{len(slow_ids) - len(set(slow_ids))} repeated"
    )
    assert slow[-1].seq >= max(s.seq for s in fast if s.seq <= last)


def test_two_viewers_share_alarms_and_one_firing(home: DaemonHome) -> None:
    """An alarm added through one viewer is in the other's snapshots within 1 s; its firing runs the command
    once (in the daemon) and is in both viewers' snapshots."""
    home.start()

    async def run() -> tuple[float, list[Snapshot], list[Snapshot], int]:
        links = [DaemonLink(home.socket, SYMBOL, "1h"), DaemonLink(home.socket, SYMBOL, "4h")]
        seen: list[list[Snapshot]] = [[], []]
        news = asyncio.Event()

        async def collect(i: int) -> None:
            async for snap in links[i].snapshots():
                seen[i].append(snap)
                news.set()

        async def until(test: object, what: str) -> None:
            deadline = time.monotonic() + WAIT_S
            while not test():  # type: ignore[operator]
                news.clear()
                assert time.monotonic() < deadline, f"timed out waiting for {what}"
                await asyncio.wait_for(news.wait(), WAIT_S)

        tasks = [asyncio.create_task(collect(i)) for i in (0, 1)]
        try:
            await until(lambda: all(seen), "both viewers' first snapshot")
            # Market-wide liquidations over the last hour already pass $1M: the alarm fires at its first look.
            alarm = liq_alarm(1e6, 3600, symbol=MARKET, once=True, note="two viewers")
            sent = time.monotonic()
            saved = await links[0].alarms.add(alarm)
            mark = len(seen[1])

            def in_other() -> bool:
                return any(a.alarm.id == saved.id for s in seen[1][mark:] for a in s.alarms)

            await until(in_other, "the alarm in the other viewer's snapshots")
            latency = time.monotonic() - sent

            def fired_in(i: int) -> bool:
                return any(f.alarm_id == saved.id for s in seen[i] for f in s.fired_alarms)

            await until(lambda: fired_in(0) and fired_in(1), "the firing in both viewers' snapshots")
            await until(lambda: len(home.fired_lines()) >= 1, "the notify command's line")
            # Some more snapshots: a second run of the command (or a second firing) would show by now.
            await until(lambda: len(seen[0]) >= mark + 30, "more snapshots")
            return latency, seen[0], seen[1], saved.id
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    latency, first, second, alarm_id = asyncio.run(run())
    print(f"an alarm added in one viewer was in the other's snapshots {latency * 1000:.0f} ms later")
    assert latency <= SPEC_ALARM_SEEN_S, f"{latency:.2f} s (spec: within {SPEC_ALARM_SEEN_S:g} s)"
    for name, snaps in (("first", first), ("second", second)):
        fired = [f for s in snaps for f in s.fired_alarms if f.alarm_id == alarm_id]
        assert len(fired) == 1, f"the {name} viewer's snapshots carry {len(fired)} firings of #{alarm_id}"
    lines = home.fired_lines()
    assert len(lines) == 1 and lines[0].startswith(f"{alarm_id} "), lines
    assert home.log().count("alarm fired:") == 1


def test_attached_app_announces_a_firing_the_daemon_delivers(home: DaemonHome) -> None:
    """A cockpit app attached to the daemon (its config has the same notify command) shows the firing in its
    history but leaves the command to the daemon: one line, while the app and another viewer both saw it."""
    from cockpit.config import load_config
    from cockpit.ui.app import CockpitApp

    home.start()
    config = load_config(home.root / "config" / "cockpit" / "config.toml")
    assert config.alarms.notify_command, "the app's config has no notify command: nothing would be tested"

    async def run() -> tuple[list[int], list[int]]:
        app = CockpitApp(config, DaemonLink(home.socket, SYMBOL, "1h"))
        other = DaemonLink(home.socket, SYMBOL, "1h")
        seen: list[int] = []

        async def collect() -> None:
            async for snap in other.snapshots():
                seen.extend(f.alarm_id for f in snap.fired_alarms)

        watcher = asyncio.create_task(collect())
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                deadline = time.monotonic() + WAIT_S
                while app.snapshot is None or app.snapshot.link != "daemon":
                    assert time.monotonic() < deadline, "timed out waiting for the app's first snapshot"
                    await pilot.pause(0.1)
                alarm = liq_alarm(1e6, 3600, symbol=MARKET, once=True, note="attached app")
                saved = await app.alarm_ui.service.add(alarm)
                while not (home.fired_lines() and saved.id in seen and app.alarm_ui.history):
                    assert time.monotonic() < deadline, "timed out waiting for the firing everywhere"
                    await pilot.pause(0.1)
                await pilot.pause(2.0)  # the app's own run of the command would have written by now
                return [f.alarm_id for f in app.alarm_ui.history], seen
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    in_app, in_other = asyncio.run(run())
    assert in_app == [1] and in_other == [1], (in_app, in_other)
    assert len(home.fired_lines()) == 1, home.fired_lines()
