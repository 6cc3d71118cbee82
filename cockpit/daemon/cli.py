"""`cockpit daemon [--demo]`, `cockpit daemon status`, `cockpit daemon stop`, and how `cockpit` finds a
daemon to attach to."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit.config import Config
from cockpit.daemon import codec
from cockpit.daemon.client import DaemonLink, ask_once
from cockpit.daemon.process import (
    LOG_NAME,
    DaemonError,
    Lock,
    answers,
    holder,
    setup_log,
    socket_path,
    spawn,
    stop_signals,
    wait_gone,
)
from cockpit.daemon.server import DaemonServer
from cockpit.engine.engine import Engine
from cockpit.storage.paths import data_dir
from cockpit.text.console import echo, say

# (config, simulated market?, seed, speed, simulated seconds after the opening) -> the engine to serve
EngineMaker = Callable[[Config, bool, "int | None", "float | None", float], Engine]


def add_daemon_parser(sub: Any) -> None:
    """Add `daemon` to the top-level subparsers."""
    dm = sub.add_parser(
        "daemon",
        help="run the engine in the background: alarms keep firing after the SSH session ends",
        description="Start the engine detached from the terminal (one per data directory); `cockpit` "
        "attaches to it. `status` says whether it runs, `stop` ends it.",
    )
    dm.add_argument("action", nargs="?", choices=("start", "status", "stop"), default="start")
    dm.add_argument("--demo", action="store_true", dest="daemon_demo", help="run the simulated market")
    dm.add_argument("--foreground", action="store_true", help="stay in the foreground (systemd, containers)")
    dm.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def cmd_daemon(args: argparse.Namespace, config: Config, make_engine: EngineMaker) -> int:
    """Run one `cockpit daemon` action; ``DaemonError`` is said in one line (exit 1). ``make_engine``
    builds the engine to serve (the wiring's: the daemon does not know how sources are put together)."""
    data = data_dir()
    try:
        if args.action == "status":
            return _status(data)
        if args.action == "stop":
            return _stop(data)
        demo = bool(args.daemon_demo or args.demo)
        if config.bus.url:
            _check_bus(config)  # a missing secret file is said here, not in the detached daemon's log
        if args.foreground:
            start_s = float(args.demo_start or 0.0)
            make = lambda: make_engine(config, demo, args.seed, args.speed, start_s)  # noqa: E731
            return _foreground(make, data, demo, config)
        return _start(config, data, demo, args)
    except DaemonError as exc:
        say(str(exc))
        return 1


def _check_bus(config: Config) -> None:
    """The bus's files read and nats-py importable now: ``DaemonError`` in one line otherwise."""
    from cockpit.bus.connection import nats_module, options
    from cockpit.bus.signing import BusError, read_secret

    try:
        options(config.bus, config.bus.url, "check")
        if config.bus.secret_file:
            read_secret(config.bus.secret_file)
        nats_module()
    except BusError as exc:
        raise DaemonError(str(exc)) from None


def _start(config: Config, data: Path, demo: bool, args: argparse.Namespace) -> int:
    lock = Lock(data)
    if lock.held():
        raise DaemonError(f"a cockpit daemon already runs for {data} ({holder(lock.path)})")
    argv = ["--config", config.source] if config.source and not config.source.startswith("<") else []
    start_s = args.demo_start or None
    for flag, value in (("--seed", args.seed), ("--speed", args.speed), ("--demo-start", start_s)):
        if value is not None:
            argv += [flag, str(value)]
    argv += ["daemon", "--foreground", *(["--demo"] if demo else [])]
    pid = spawn(argv, data)
    echo(f"cockpit daemon started: pid {pid}, {'simulated market' if demo else 'live venues'}")
    echo(f"  socket {socket_path(data)}; log {data / LOG_NAME}")
    echo("  `cockpit` attaches to it; `cockpit daemon stop` ends it")
    return 0


def _foreground(make: Callable[[], Engine], data: Path, demo: bool, config: Config) -> int:
    info = {
        "pid": os.getpid(),
        "started_ms": int(time.time() * 1000),
        "kind": "demo" if demo else "live",
        "data_dir": str(data),
    }
    lock = Lock(data)
    lock.acquire(info)  # first: a second daemon must not open the stores at all
    try:
        log = setup_log(data)
        engine = make()
        names = ", ".join(s.name for s in engine.sources)
        log.info("daemon started: pid %d, %s, sources: %s", os.getpid(), info["kind"], names)
        server = DaemonServer(engine, socket_path(data), info)
        asyncio.run(_serve(server, config))
        log.info("daemon stopped")
    finally:
        lock.release()
    return 0


async def _serve(server: DaemonServer, config: Config) -> None:
    stop = asyncio.Event()
    stop_signals(asyncio.get_running_loop(), stop)
    server.on_stop = stop.set
    runner = asyncio.create_task(server.run())
    tasks = [runner, asyncio.create_task(stop.wait())]
    bus: list[asyncio.Task[None]] = []
    if config.bus.url:  # an outlet of the same loop; it waits for its broker, and its faults end only it
        from cockpit.bus.publisher import BusPublisher

        publisher = BusPublisher(server, config.bus)
        server.outlets.append(publisher)
        server.extra_status.append(publisher.status)
        bus.append(asyncio.create_task(publisher.serve()))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks + bus:
            task.cancel()
        await asyncio.gather(*tasks, *bus, return_exceptions=True)  # the engine's sources stop
        await server.close()
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        raise runner.exception()  # type: ignore[misc]


def _status(data: Path) -> int:
    if not Lock(data).held():
        echo(f"no cockpit daemon runs for {data}")
        return 1
    status = asyncio.run(ask_once(socket_path(data), "status"))
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(status["started_ms"] / 1000))
    echo(f"cockpit daemon runs for {data}: pid {status['pid']}, {status['kind']}, since {since}")
    echo(f"  viewers attached: {status['viewers']}")
    sources = ", ".join(f"{name} {state}" for name, state in status["sources"])
    echo(f"  sources: {sources}")
    if "bus" in status:
        echo(
            f"  bus: {status['bus']}, {status['bus_stored']} liquidations stored, {status['bus_views']} views"
        )
    return 0


def _stop(data: Path) -> int:
    lock = Lock(data)
    if not lock.held():
        echo(f"no cockpit daemon runs for {data}")
        return 1
    status = asyncio.run(ask_once(socket_path(data), "status"))
    asyncio.run(ask_once(socket_path(data), "stop"))
    if not wait_gone(int(status["pid"])):
        raise DaemonError(f"the daemon (pid {status['pid']}) did not stop; see {data / LOG_NAME}")
    echo(f"cockpit daemon stopped (pid {status['pid']})")
    return 0


def find_daemon(demo: bool, symbol: str, timeframe: str) -> DaemonLink | str | None:
    """The daemon of this data directory to attach to, when one runs and serves the same market; else
    a line saying why not (another market), or None (none runs). ``codec.VersionMismatch`` as is."""
    data = data_dir()
    path = socket_path(data)
    if not Lock(data).held() or not answers(path):
        return None
    try:
        status = asyncio.run(ask_once(path, "status"))
    except codec.VersionMismatch:
        raise
    except (OSError, asyncio.TimeoutError, codec.ProtocolError):
        return None  # it went away meanwhile, or is not ours: this cockpit runs its own engine
    if status["kind"] != ("demo" if demo else "live"):
        return f"a {status['kind']} daemon runs here (pid {status['pid']}); this cockpit runs its own engine"
    return DaemonLink(path, symbol, timeframe)
