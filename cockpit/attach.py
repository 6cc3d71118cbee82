"""Which engine the cockpit shows: ``--attach``'s (a daemon's socket, or a broker), the daemon of its data
directory when one runs for the same market, or (None) an engine of its own."""

from __future__ import annotations

import argparse

from cockpit.config import Config
from cockpit.daemon.cli import find_daemon
from cockpit.daemon.client import DaemonLink
from cockpit.text.console import say
from cockpit.text.safety import printable
from cockpit.ui.engine_link import EngineLink


class UsageError(Exception):
    """A command-line problem phrased as one line."""


def engine_to_attach(args: argparse.Namespace, config: Config) -> EngineLink | None:
    """The daemon this cockpit attaches to: ``--attach``'s, else the one of its data directory serving the
    same market, unless ``--no-attach``, a replay or a recording asks for an engine of its own."""
    if args.attach is not None:
        return attach_to(args.attach, config)
    if args.no_attach or args.replay is not None or args.record is not None:
        return None
    found = find_daemon(args.demo, config.live.symbol, config.ui.chart_timeframe)
    if isinstance(found, str):
        say(found)
        return None
    return found


def attach_to(target: str, config: Config) -> EngineLink:
    """``--attach TARGET``: a broker's address (the bus) or a daemon's socket path; ``UsageError`` else."""
    from pathlib import Path

    symbol, timeframe = config.live.symbol, config.ui.chart_timeframe
    if "://" in target:
        from cockpit.bus.connection import check_url, nats_module
        from cockpit.bus.link import NatsLink
        from cockpit.bus.signing import BusError

        try:
            check_url(target)
            nats_module()
            return NatsLink(config.bus, target, symbol, timeframe)
        except BusError as exc:
            raise UsageError(f"--attach: {exc}") from None
    path = Path(target).expanduser()
    if not path.is_socket():
        raise UsageError(f"--attach: {printable(target)} is neither a nats:// address nor a daemon's socket")
    return DaemonLink(path, symbol, timeframe)
