"""The command line's argument types: each a one-line message on bad input (argparse exits 2 with it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cockpit.text.excerpt import excerpt
from cockpit.text.safety import printable

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage dump) with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def number(kind: type[int] | type[float], lo: float, hi: float, what: str = "value") -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within [lo, hi], else a one-line message."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"invalid {what} {excerpt(text)}: expected {noun}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"invalid {what} {excerpt(text)}: must be in [{lo:g}, {hi:g}]")
        return value

    return parse


positive_int = number(int, 1, 10_000)
seed = number(int, 0, 2**63 - 1, "seed")
speed = number(float, 0.001, 10_000, "speed")
MAX_SECONDS = 30 * 86_400
seconds = number(float, 0, MAX_SECONDS, "number of seconds")
any_seconds = number(float, 0, float("inf"), "duration")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def offset(text: str) -> float:
    """An argparse type: seconds, or a number with a unit s/m/h/d ("90", "15m", "1.5h"), at most 30 days."""
    unit = UNITS.get(text[-1:].lower(), 0) if text else 0
    if not unit:
        return float(seconds(text))
    # The bound applies to the seconds the text means, not to its number: "31d" is past it.
    meant = float(any_seconds(text[:-1])) * unit
    if meant > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"invalid duration {excerpt(text)}: at most 30d")
    return meant


def symbol(text: str) -> str:
    """A unified perpetual symbol (BASE/QUOTE:SETTLE), as ccxt and the config write them."""
    base, _, rest = text.partition("/")
    quote, _, settle = rest.partition(":")
    if not (base and quote and settle) or not all(p.isalnum() for p in (base, quote, settle)):
        raise argparse.ArgumentTypeError(f"{printable(text)!r} is not a perpetual such as ETH/USDT:USDT")
    return text
