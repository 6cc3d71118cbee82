"""Command line: argument parsing and subcommands. Errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import numpy as np

from cockpit import __version__
from cockpit.analytics import Candles, analyze, to_json
from cockpit.config import TIMEFRAME_MS, TIMEFRAMES, ConfigError, load_config
from cockpit.csv_ohlcv import CsvError, load_ohlcv_csv, sample_csv_path
from cockpit.summary import render_summary

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump) with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The cockpit command and its subcommands."""
    parser = _Parser(prog="cockpit", description="Terminal trading cockpit for crypto derivatives.")
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default ~/.config/cockpit/config.toml)"
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
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
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: must be >= 1")
    return value


def infer_timeframe(c: Candles) -> str:
    """The known timeframe nearest to the median bar spacing (1h when it cannot be told)."""
    if len(c) < 2:
        return "1h"
    spacing = float(np.median(np.diff(c.ts_ms)))
    return min(TIMEFRAMES, key=lambda tf: abs(np.log(max(spacing, 1.0) / TIMEFRAME_MS[tf])))


def cmd_analyze(args: argparse.Namespace) -> int:
    """`cockpit analyze`: print the analysis of a CSV as a summary or JSON."""
    config = load_config(args.config)
    path = args.csv if args.csv is not None else str(sample_csv_path())
    candles = load_ohlcv_csv(path)
    timeframe = args.timeframe or infer_timeframe(candles)
    params = config.analytics.for_timeframe(timeframe, args.swing_length)
    analysis = analyze(candles, params)
    if args.json:
        out = to_json(analysis, candles)
        out = {"file": path, "timeframe": timeframe, "swing_length": params.swing_length, **out}
        json.dump(out, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_summary(path, timeframe, params, candles, analysis))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cockpit` console script and `python -m cockpit`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "analyze":
            return cmd_analyze(args)
        parser.print_help()
        return 0
    except (CsvError, ConfigError) as exc:
        print(f"cockpit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `cockpit analyze --json | head` is normal use
        return 0
