"""Command line: argument parsing and subcommands. Errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from cockpit import __version__
from cockpit.alarms.cli import add_alarm_parsers, cmd_alarms
from cockpit.alarms.model import AlarmError
from cockpit.alarms.store import StoreError
from cockpit.analytics import Candles, analyze, to_json
from cockpit.analytics.allocator import fix_mmap_threshold
from cockpit.attach import UsageError, engine_to_attach
from cockpit.config import TIMEFRAME_MS, TIMEFRAMES, Config, ConfigError, load_config
from cockpit.daemon.cli import add_daemon_parser, cmd_daemon
from cockpit.daemon.codec import VersionMismatch
from cockpit.engine.engine import Engine
from cockpit.recording.format import Recording, RecordingError
from cockpit.reports.summary import render_summary
from cockpit.storage.csv_ohlcv import CsvError, load_ohlcv_csv, sample_csv_path
from cockpit.storage.history import HistoryError
from cockpit.storage.paths import data_dir
from cockpit.text.arguments import EXIT_USAGE
from cockpit.text.arguments import Parser as _Parser
from cockpit.text.arguments import number as _number
from cockpit.text.arguments import offset as _offset
from cockpit.text.arguments import positive_int as _positive_int
from cockpit.text.arguments import seconds as _seconds
from cockpit.text.arguments import seed as _seed
from cockpit.text.arguments import speed as _speed
from cockpit.text.arguments import symbol as _symbol
from cockpit.text.console import dump_json, echo, report_crash, say

EXIT_CRASH = 70  # EX_SOFTWARE: a fault of the program, not of its input


SERVE_EXTRA = (
    "cockpit serve needs the optional extra textual-serve: ./scripts/cockpit serve installs it, or from a "
    "checkout: pip install '.[serve]'"
)


def _add_demo_start(parser: argparse.ArgumentParser, dest: str, default: float | None) -> None:
    # Taken before the subcommand and after it (snapshot, record) alike; the one after wins.
    parser.add_argument(
        "--demo-start",
        type=_offset,
        default=default,
        dest=dest,
        metavar="OFFSET",
        help="with --demo: start this long after the opening (seconds or 90m, 2.5h; 0 = the opening)",
    )


def _demo_start(args: argparse.Namespace, sub_dest: str) -> float:
    """--demo-start from after the subcommand, else from before it."""
    value = getattr(args, sub_dest)
    return float(args.demo_start if value is None else value)


def build_parser() -> argparse.ArgumentParser:
    """The cockpit command and its subcommands."""
    parser = _Parser(prog="cockpit", description="Terminal trading cockpit for crypto derivatives.")
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help="config file (else $COCKPIT_CONFIG, ~/.config/cockpit/)"
    )
    parser.add_argument("--demo", action="store_true", help="run on the built-in simulated market")
    parser.add_argument("--seed", type=_seed, help="simulated market seed (default from config)")
    parser.add_argument("--speed", type=_speed, help="simulated (or replayed) seconds per real second")
    _add_demo_start(parser, "demo_start", 0.0)
    parser.add_argument("--replay", metavar="FILE", help="play a recording (from `cockpit record`)")
    parser.add_argument(
        "--start", type=_offset, default=0.0, metavar="OFFSET", help="replay from OFFSET (90, 15m, 1.5h)"
    )
    parser.add_argument("--record", metavar="FILE", help="record the session's events to FILE (.jsonl.gz)")
    parser.add_argument(
        "--symbol", type=_symbol, help="instrument on the chart at start (e.g. ETH/USDT:USDT)"
    )
    parser.add_argument(
        "--attach",
        metavar="TARGET",
        help="view a daemon through a NATS broker (nats://host:4222, tls://host:4222; credentials and the "
        "alarm secret come from [bus] in the config) or through its Unix socket (a path)",
    )
    parser.add_argument(
        "--no-attach",
        action="store_true",
        help="run the engine in this process even when a `cockpit daemon` runs for the data directory",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _add_analyze(sub)
    _add_serve(sub)
    _add_snapshot(sub)
    _add_record(sub)
    add_alarm_parsers(sub, _Parser)
    add_daemon_parser(sub)
    return parser


def _add_analyze(sub: Any) -> None:
    an = sub.add_parser(
        "analyze",
        help="analyse an OHLCV CSV: RSI, swings, Fibonacci ladder, fair value gaps, zones, scenarios",
        description="Analyse an OHLCV CSV (columns: timestamp|ts|date|time, open, high, low, close, volume).",
    )
    an.add_argument("--csv", metavar="FILE", help="OHLCV CSV file (default: the bundled BTC-USD 1h sample)")
    an.add_argument("--timeframe", choices=TIMEFRAMES, help="bar timeframe (default: inferred from the data)")
    an.add_argument(
        "--swing-length", type=_positive_int, metavar="L", help="bars each side that confirm a swing"
    )
    an.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    an.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def _add_serve(sub: Any) -> None:
    sv = sub.add_parser(
        "serve",
        help="the cockpit in a browser on 127.0.0.1 (optional extra: pip install '.[serve]' in a checkout)",
        description="Serve the cockpit to a browser on 127.0.0.1 only; reach it from elsewhere through an "
        "SSH tunnel: ssh -L 8000:127.0.0.1:8000 host, then open http://127.0.0.1:8000.",
    )
    sv.add_argument("--port", type=_number(int, 1024, 65535, "port"), default=8000, help="default 8000")
    sv.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def _add_snapshot(sub: Any) -> None:
    sn = sub.add_parser("snapshot", help="run the engine headless and print its state")
    sn.add_argument("--demo", action="store_true", dest="snap_demo", help="use the simulated market")
    sn.add_argument("--seed", type=_seed, dest="snap_seed", help="simulated market seed")
    sn.add_argument(
        "--after",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="seconds after the start: simulated with --demo (0 = the opening), "
        "real seconds of live data otherwise",
    )
    _add_demo_start(sn, "snap_demo_start", None)
    sn.add_argument("--replay", metavar="FILE", dest="snap_replay", help="the state in a recording")
    sn.add_argument("--symbol", type=_symbol, dest="snap_symbol", help="the followed instrument")
    sn.add_argument("--json", action="store_true", help="print JSON (the only format for now)")
    sn.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def _add_record(sub: Any) -> None:
    rc = sub.add_parser(
        "record",
        help="record the normalised event stream headless (gzip JSON lines) for replay and test fixtures",
    )
    rc.add_argument("--out", metavar="FILE", required=True, help="where to write (e.g. session.jsonl.gz)")
    rc.add_argument("--demo", action="store_true", dest="rec_demo", help="record the simulated market")
    rc.add_argument("--seed", type=_seed, dest="rec_seed", help="simulated market seed")
    _add_demo_start(rc, "rec_demo_start", None)
    rc.add_argument(
        "--seconds",
        type=_offset,
        default=3600.0,
        metavar="S",
        help="how long: simulated seconds with --demo from the opening or --demo-start (stepped, an hour "
        "takes seconds), real seconds live (default 3600; units s/m/h/d allowed)",
    )
    rc.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")


def infer_timeframe(c: Candles) -> tuple[str, str | None]:
    """The known timeframe nearest to the median bar spacing, and a note when it is not an exact match."""
    if len(c) < 2:
        return "1h", "one bar: timeframe assumed 1h (pass --timeframe)"
    spacing = float(np.median(np.diff(c.ts_ms)))
    tf = min(TIMEFRAMES, key=lambda t: abs(np.log(max(spacing, 1.0) / TIMEFRAME_MS[t])))
    if abs(spacing / TIMEFRAME_MS[tf] - 1) > 0.05:
        minutes = spacing / 60_000
        return tf, f"bars are {minutes:g} minutes apart: using the {tf} settings (pass --timeframe to choose)"
    return tf, None


def cmd_analyze(args: argparse.Namespace, config: Config) -> int:
    """`cockpit analyze`: print the analysis of a CSV as a summary or JSON."""
    path = args.csv if args.csv is not None else str(sample_csv_path())
    candles = load_ohlcv_csv(path)
    timeframe, note = (args.timeframe, None) if args.timeframe else infer_timeframe(candles)
    params = config.analytics.for_timeframe(timeframe, args.swing_length)
    analysis = analyze(candles, params)
    if args.json:
        out = to_json(analysis, candles)
        out = {"file": path, "timeframe": timeframe, "swing_length": params.swing_length, **out}
        dump_json(out)
    else:
        echo(render_summary(path, timeframe, params, candles, analysis, note).rstrip("\n"))
    return 0


def cmd_snapshot(args: argparse.Namespace, config: Config) -> int:
    """`cockpit snapshot --demo`: the engine's state at (or after) the opening moment, as JSON."""
    from cockpit.reports.snapshot_json import snapshot_to_json
    from cockpit.wiring import demo_snapshot, live_snapshot

    if args.snap_replay is not None:
        from cockpit.wiring import replay_snapshot

        snap = replay_snapshot(config, _read(args.snap_replay), args.after)
    elif args.snap_demo or args.demo:
        seed = args.snap_seed if args.snap_seed is not None else args.seed
        seed = seed if seed is not None else config.demo.seed
        snap = demo_snapshot(config, seed, args.after, _demo_start(args, "snap_demo_start"))
    else:
        snap = live_snapshot(config, args.after)
    dump_json(snapshot_to_json(snap, config.ui.rsi_timeframe))
    return 0


def _read(path: str) -> Recording:
    """A recording; a damaged tail is reported on stderr and the good prefix is used."""
    from cockpit.recording.format import read_recording

    rec = read_recording(path)
    if rec.error is not None:
        say(f"{rec.error}; using the {len(rec.events)} events before it")
    return rec


def cmd_record(args: argparse.Namespace, config: Config) -> int:
    """`cockpit record --out FILE [--demo]`: write the event stream headless."""
    from cockpit.wiring import record_demo, record_live

    if args.rec_demo or args.demo:
        seed = args.rec_seed if args.rec_seed is not None else args.seed
        seed = seed if seed is not None else config.demo.seed
        count = record_demo(config, seed, args.seconds, args.out, _demo_start(args, "rec_demo_start"))
    else:
        count = record_live(config, args.seconds, args.out)
    say(f"recorded {count} events to {args.out}")
    return 0


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    """`cockpit [--demo] serve`: each browser tab runs its own cockpit process, served on 127.0.0.1."""
    import importlib.util
    import shlex

    from cockpit.ui.app import serve

    # Checked before "serving on" is printed: a missing extra must not look like a server that started.
    if importlib.util.find_spec("textual_serve") is None:
        raise UsageError(SERVE_EXTRA)
    argv = [sys.executable, "-m", "cockpit"]
    if config.source and not config.source.startswith("<"):
        argv += ["--config", config.source]
    if args.demo:
        argv.append("--demo")
    for flag, value in (
        ("--seed", args.seed),
        ("--speed", args.speed),
        ("--demo-start", args.demo_start or None),
    ):
        if value is not None:
            argv += [flag, str(value)]
    _check_port_free(args.port)
    say(f"serving on http://127.0.0.1:{args.port} (ctrl+c stops)")
    if not serve(shlex.join(argv), args.port):
        raise UsageError(SERVE_EXTRA)
    return 0


def _check_port_free(port: int) -> None:
    """``UsageError`` when another program listens on ``port``: said before "serving on", not after."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """Run the cockpit: live venues, or the simulated market with --demo."""
    import os

    from cockpit.ui.terminal import RICH_COLOR_SYSTEM, frame_rate

    # Textual reads these when it is first imported (just below): the frame cap and the colour depth.
    os.environ.setdefault("TEXTUAL_FPS", str(frame_rate(config.ui.max_fps, os.environ)))
    if config.ui.colors != "auto":
        os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", RICH_COLOR_SYSTEM[config.ui.colors])
    from cockpit.wiring import demo_app, live_app, replay_app

    attach = engine_to_attach(args, config)
    if args.replay is not None:
        app = replay_app(config, _read(args.replay), args.speed, args.start)
    elif attach is not None:
        from cockpit.ui.app import CockpitApp

        app = CockpitApp(config, attach)
    elif args.demo:
        app = demo_app(config, args.seed, args.speed, args.demo_start)
    else:
        app = live_app(config)
    writer = None
    if args.record is not None and isinstance(app.engine, Engine):
        from cockpit.recording.recorder import attach_recorder

        writer = attach_recorder(app.engine, args.record)
    from cockpit.ui.terminal_guard import start_guard

    guard = start_guard()  # restores the terminal if the process dies without Textual's clean-up
    try:
        app.run()
    finally:
        if guard is not None:
            guard.disarm()  # ended normally (or by a Python exception): Textual restored it
        if writer is not None:
            writer.close()
    if app.crash is not None:
        report_crash(app.crash, data_dir())
        return EXIT_CRASH
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cockpit` console script and `python -m cockpit`."""
    fix_mmap_threshold()  # before the first big buffer: see cockpit/analytics/allocator.py
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        symbol = getattr(args, "snap_symbol", None) or getattr(args, "symbol", None)
        if symbol:
            config = replace(config, live=replace(config.live, symbol=symbol))
        if args.command == "analyze":
            return cmd_analyze(args, config)
        if args.command == "snapshot":
            return cmd_snapshot(args, config)
        if args.command == "alarms":
            return cmd_alarms(args, config)
        if args.command == "record":
            return cmd_record(args, config)
        if args.command == "serve":
            return cmd_serve(args, config)
        if args.command == "daemon":
            from cockpit.wiring import daemon_engine

            return cmd_daemon(args, config, daemon_engine)
        return cmd_run(args, config)
    except (
        CsvError,
        ConfigError,
        UsageError,
        AlarmError,
        StoreError,
        RecordingError,
        HistoryError,
        VersionMismatch,
    ) as exc:
        say(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # `cockpit analyze --json | head` is normal use
        return 0
    except OSError as exc:  # a full disk, a read-only directory: the system's words, once
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"{where}{exc.strerror or exc}")
        return EXIT_USAGE
    except Exception as exc:  # the last resort: one line here, the traceback in a log
        report_crash(exc, data_dir())
        return EXIT_CRASH
