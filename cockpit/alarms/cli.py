"""`cockpit alarms list | add | rm | history | mute | unmute | rearm` on the same store the cockpit uses.

Grammar (documented in README): ``add`` takes the kind as a word, its required numbers as positionals and
everything else as options, the same options for every kind:

    cockpit alarms add above PRICE | below PRICE
    cockpit alarms add zone LOW HIGH [--on enter|leave]
    cockpit alarms add level REF --direction above|below        REF: "fib 0.618", "bounce trigger", ...
    cockpit alarms add liq USD [--window 1h|4h|24h|90m|N] [--side long|short]
    cockpit alarms add fng --at-or-below N | --at-or-above N
    cockpit alarms add rsi VALUE --timeframe TF --direction above|below
    common: [--note TEXT] [--once | --rearm] [--cooldown SECONDS] [--hysteresis PCT] [--muted] [--json]
    every kind but fng: [--symbol SYMBOL] (default: the config's [live] symbol); liq: or [--market]

A liquidation alarm watches the coin of its symbol (every market of it) unless ``--market`` makes it sum
every coin; Fear & Greed is one index for the whole market and takes neither.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from cockpit.alarms import parse
from cockpit.alarms.model import MARKET, Alarm, AlarmError, AlarmFired, parse_ref
from cockpit.alarms.notify import fired_json
from cockpit.alarms.store import AlarmStore, UnknownAlarm, store_path
from cockpit.config import TIMEFRAMES, AlarmSettings, Config
from cockpit.text.console import dump_json, echo, say
from cockpit.text.excerpt import excerpt

T = TypeVar("T")


def _argtype(fn: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser that raises ``AlarmError``: the same one-line message."""

    def parse(text: str) -> T:
        try:
            return fn(text)
        except AlarmError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _amount(
    what: str, lo: float = 0.0, hi: float = math.inf, *, lo_open: bool = True
) -> Callable[[str], float]:
    """An argparse type: a number ("80000", "80_000", "80,000", "$80k", "100e6", "1.5B") in range."""
    return _argtype(lambda text: parse.amount(text, what, lo, hi, lo_open=lo_open))


_window = _argtype(parse.window)


def _ref(text: str) -> str:
    try:
        return parse_ref(text)
    except AlarmError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _alarm_id(text: str) -> int:
    # SQLite holds 64-bit ids: a larger number names no alarm, and is said so before it reaches the store.
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 1 <= int(text) < 2**63:
        wanted = "expected a whole number from 1 to 2^63-1"
        raise argparse.ArgumentTypeError(f"invalid alarm id {excerpt(text)}: {wanted}")
    return int(text)


def add_alarm_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add the `alarms` command group to the top-level subparsers."""
    al = sub.add_parser("alarms", help="list, add and remove level alarms (the cockpit's store)")
    al.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    acts = al.add_subparsers(
        dest="alarms_command", parser_class=parser_class, required=True, metavar="ACTION"
    )
    _leaf(acts, "list", "every alarm with its status")
    hi = _leaf(acts, "history", "the newest firings, newest first")
    hi.add_argument("--limit", type=_amount("limit", 1, 10_000, lo_open=False), default=20.0, metavar="N")
    hi.add_argument("--alarm", type=_alarm_id, metavar="ID", help="only this alarm's firings")
    for name, text in (
        ("rm", "remove alarms"),
        ("mute", "mute alarms (not evaluated until unmuted)"),
        ("unmute", "unmute alarms"),
        ("rearm", "make done once-alarms live again, restart arming"),
    ):
        _leaf(acts, name, text).add_argument("ids", type=_alarm_id, nargs="+", metavar="ID")
    add = acts.add_parser("add", help="add an alarm", description="Add an alarm; see the kinds below.")
    _add_kinds(
        add.add_subparsers(dest="alarm_kind", parser_class=parser_class, required=True, metavar="KIND")
    )


def _leaf(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand that takes --json and --config."""
    p: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    return p


def _kind(kinds: Any, name: str, help_text: str, *, market: bool = False) -> argparse.ArgumentParser:
    """An `add` kind, with the options every alarm takes; ``market``: it may watch every coin instead."""
    p = _leaf(kinds, name, help_text)
    if name != "fng":  # one index for the whole market: no instrument to name
        which = p.add_mutually_exclusive_group() if market else p
        which.add_argument(
            "--symbol", metavar="SYMBOL", help="the market watched: ETH/USDT:USDT (default: [live] symbol)"
        )
        if market:
            which.add_argument(
                "--market", action="store_true", help="every coin's liquidations (default: the symbol's coin)"
            )
    p.add_argument("--note", default="", metavar="TEXT", help="shown with the alarm and its firings")
    once = p.add_mutually_exclusive_group()
    once.add_argument("--once", action="store_true", default=None, help="fire once, then done")
    once.add_argument(
        "--rearm", action="store_false", dest="once", default=None, help="fire again after re-arming"
    )
    p.add_argument("--cooldown", type=_amount("cooldown", 0, 86_400, lo_open=False), metavar="SECONDS")
    p.add_argument("--hysteresis", type=_amount("hysteresis", 0, 10, lo_open=False), metavar="PCT")
    p.add_argument("--muted", action="store_true", help="add it muted")
    return p


def _add_kinds(kinds: Any) -> None:
    price = _amount("price")
    for d in ("above", "below"):
        _kind(kinds, d, f"price crosses {d} a level").add_argument("level", type=price, metavar="PRICE")
    z = _kind(kinds, "zone", "price enters or leaves [LOW, HIGH]")
    z.add_argument("low", type=price, metavar="LOW")
    z.add_argument("high", type=price, metavar="HIGH")
    z.add_argument("--on", choices=("enter", "leave"), default="enter")
    lv = _kind(kinds, "level", "price crosses a computed level, following it as it moves")
    lv.add_argument("ref", type=_ref, metavar="REF", help='"fib 0.618", "bounce trigger", "support", ...')
    lv.add_argument("--direction", choices=("above", "below"), required=True)
    lq = _kind(kinds, "liq", "liquidations in a window go above USD", market=True)
    lq.add_argument("level", type=_amount("amount (USD)"), metavar="USD")
    lq.add_argument("--window", type=_window, default=3600, metavar="W", help="1h 4h 24h, 90m, N minutes")
    lq.add_argument("--side", choices=("long", "short"), help="one side only (default both)")
    fg = _kind(kinds, "fng", "Fear & Greed at or below / at or above a value")
    index = _amount("index value", 0, 100, lo_open=False)
    group = fg.add_mutually_exclusive_group(required=True)
    group.add_argument("--at-or-below", type=index, metavar="N")
    group.add_argument("--at-or-above", type=index, metavar="N")
    rs = _kind(kinds, "rsi", "RSI of a timeframe's closed bars crosses a value")
    rs.add_argument("level", type=_amount("RSI value", 0, 100, lo_open=False), metavar="VALUE")
    rs.add_argument("--timeframe", choices=TIMEFRAMES, required=True)
    rs.add_argument("--direction", choices=("above", "below"), required=True)


def alarm_from_args(args: argparse.Namespace, default_symbol: str) -> Alarm:
    """The alarm an `add` command line describes (``AlarmError`` if inconsistent); ``default_symbol``
    is watched when the line names none (the config's ``[live] symbol``: what the cockpit charts)."""
    symbol = getattr(args, "symbol", None) or default_symbol
    if getattr(args, "market", False):
        symbol = MARKET
    options: dict[str, Any] = {
        "symbol": symbol,
        "note": args.note,
        "once": args.once,
        "cooldown_s": args.cooldown,
        "hysteresis_pct": args.hysteresis,
        "muted": args.muted,
    }
    k = args.alarm_kind
    if k in ("above", "below"):
        return Alarm("price", direction=k, level=args.level, **options)
    if k == "zone":
        return Alarm("zone", low=args.low, high=args.high, on=args.on, **options)
    if k == "level":
        return Alarm("level", direction=args.direction, ref=args.ref, **options)
    if k == "liq":
        return Alarm(
            "liq", direction="above", level=args.level, window_s=args.window, side=args.side, **options
        )
    if k == "fng":
        below = args.at_or_below is not None
        value = args.at_or_below if below else args.at_or_above
        return Alarm("fng", direction="below" if below else "above", level=value, **options)
    return Alarm("rsi", direction=args.direction, level=args.level, timeframe=args.timeframe, **options)


def alarm_json(alarm: Alarm, settings: AlarmSettings) -> dict[str, Any]:
    """An alarm as JSON: every field, its description and the options in effect."""
    once, cooldown, band = alarm.effective(settings)
    d: dict[str, Any] = {f: getattr(alarm, f) for f in Alarm.__dataclass_fields__}
    return {
        **d,
        "description": alarm.describe(),
        "effective": {"once": once, "cooldown_s": cooldown, "hysteresis_pct": band},
    }


def _when(ts_ms: int | None) -> str:
    if ts_ms is None:
        return "never"
    return datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _line(alarm: Alarm, settings: AlarmSettings) -> str:
    once, cooldown, _ = alarm.effective(settings)
    state = "muted" if alarm.muted else "done" if alarm.done else "live"
    mode = "once" if once else f"rearm/{cooldown:g}s"
    fired = "never fired"
    if alarm.fired_count:
        fired = f"fired {alarm.fired_count}x, last {_when(alarm.last_fired_ms)}"
    note = f"  “{alarm.note}”" if alarm.note else ""
    return f"{alarm.id:>4}  {state:<5}  {alarm.describe():<40}  {mode:<11}  {fired}{note}"


def _history_line(f: AlarmFired) -> str:
    prev = "" if f.prev_value is None else f" (from {f.prev_value:g})"
    note = f"  “{f.note}”" if f.note else ""
    return f"{_when(f.ts_ms)}  #{f.alarm_id:<4} {f.description}: {f.value:g}{prev}{note}"


def _out(obj: Any) -> None:
    dump_json(obj)


def cmd_alarms(args: argparse.Namespace, config: Config) -> int:
    """Run one `cockpit alarms` action; problems raise ``AlarmError`` / ``StoreError`` (one line, exit 2)."""
    settings = config.alarms
    path = store_path(settings, config.source, demo=bool(getattr(args, "demo", False)))
    with AlarmStore(path) as store:
        status = _act(store, args, settings, config.live.symbol)
        if store.created:  # said after the action: a failed one keeps its error to one line
            # A file deleted under a running cockpit would otherwise go unnoticed here.
            say(f"there was no alarm store at {path}: created a new one")
    return status


def _act(store: AlarmStore, args: argparse.Namespace, settings: AlarmSettings, symbol: str) -> int:
    act = args.alarms_command
    if act == "list":
        rows = store.read_alarms()
        for line in rows.invalid:  # one bad row never hides the others
            say(line)
        if args.json:
            _out([alarm_json(a, settings) for a in rows.alarms])
        elif rows.alarms:
            echo("\n".join(_line(a, settings) for a in rows.alarms))
        else:
            echo(f"no alarms in {store.path}")
    elif act == "add":
        added = store.add(alarm_from_args(args, symbol))
        if args.json:
            _out(alarm_json(added, settings))
        else:
            echo(f"added alarm {added.id}: {added.describe()}")
    elif act == "history":
        fired = store.history(int(args.limit), args.alarm)
        if args.json:
            _out([fired_json(f) for f in fired])
        else:
            echo("\n".join(_history_line(f) for f in fired) if fired else "no firings yet")
    else:
        return _by_id(store, act, args.ids, args.json, settings)
    return 0


def _by_id(store: AlarmStore, act: str, ids: list[int], as_json: bool, settings: AlarmSettings) -> int:
    for alarm_id in ids:  # all or nothing would need one transaction; checking first is enough for a CLI
        if act != "rm":
            store.get(alarm_id)
        elif not store.exists(alarm_id):  # a row that cannot be read can still be removed
            raise UnknownAlarm(f"no alarm with id {alarm_id}")
    done: list[Any] = []
    for alarm_id in ids:
        if act == "rm":
            store.remove(alarm_id)
            done.append(alarm_id)
            continue
        a = store.set_muted(alarm_id, act == "mute") if act in ("mute", "unmute") else store.rearm(alarm_id)
        done.append(alarm_json(a, settings))
    if as_json:
        _out({"removed": done} if act == "rm" else done)
    else:
        verb = {"rm": "removed", "mute": "muted", "unmute": "unmuted", "rearm": "re-armed"}[act]
        echo("\n".join(f"{verb} alarm {i if isinstance(i, int) else i['id']}" for i in done))
    return 0
