"""What an alarm is: its kinds, validation, and the plain records a firing and a live alarm produce.

Pure data, no I/O. One frozen ``Alarm`` carries the definition the user gave (kind, instrument and
parameters, options left ``None`` to follow the ``[alarms]`` config) and the status the store keeps (id,
revision, whether a once-alarm is done, how often and when it last fired). Constructing one validates it:
every problem is a ``AlarmError`` whose text names the value at fault, so the CLI and the UI dialog show it
as is.

Every alarm names what it watches in ``symbol``: price, zone, level and RSI alarms a unified perpetual
("ETH/USDT:USDT"); a liquidation alarm either a symbol, standing for its coin (every market of ETH), or
``MARKET`` (every coin); Fear & Greed is one index for the whole market, so its alarms are always
``MARKET``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from cockpit.analytics.liquidations import coin_of
from cockpit.config import TIMEFRAMES, AlarmSettings
from cockpit.text.safety import printable

Kind = Literal["price", "zone", "level", "liq", "fng", "rsi"]
Direction = Literal["above", "below"]
ZoneEvent = Literal["enter", "leave"]
LiqSide = Literal["long", "short"]

KINDS: tuple[str, ...] = get_args(Kind)
# Computed levels an alarm can follow; "fib R" takes any ratio in [0, FIB_MAX] besides these names.
NAMED_REFS: tuple[str, ...] = (
    "bounce trigger",
    "bounce target",
    "breakdown trigger",
    "breakdown target",
    "support",
    "resistance",
    "key support",
)
FIB_MAX = 3.0
MIN_WINDOW_S = 60
MAX_WINDOW_S = 86_400  # the longest liquidation window the engine keeps
MAX_NOTE = 200
# Bounds that no market reaches, so a slip of the keyboard (1e308, a pasted block of digits) is refused:
# the dearest perpetual contracts trade near $10^5 a coin, and the largest day of liquidations on record
# (2025-10-10) was about $1.9*10^10 across the whole market.
MAX_PRICE = 1e9
MAX_USD = 1e12
# What a market-wide alarm names as its symbol. A word rather than "": an empty value reads as "not set"
# in the store and in --json output, and "market" can never be a unified symbol (they contain "/").
MARKET = "market"
# The instrument every alarm watched before alarms named one (stores of schema 1), and the default of
# ``[live] symbol``: what an alarm built in code without a symbol watches.
DEFAULT_SYMBOL = "BTC/USDT:USDT"
MAX_SYMBOL = 64


class AlarmError(ValueError):
    """An invalid alarm, phrased as one line naming the value at fault."""


def parse_ref(text: str) -> str:
    """The canonical name of a computed level ("Fib .618" -> "fib 0.618"), or ``AlarmError``."""
    words = " ".join(str(text).lower().split())
    if words in NAMED_REFS:
        return words
    m = re.fullmatch(r"fib(?:onacci)? ?([0-9.]+)", words)
    if m:
        try:
            ratio = float(m.group(1))
        except ValueError:
            ratio = -1.0
        if 0.0 <= ratio <= FIB_MAX:
            return f"fib {ratio:g}"
    known = ", ".join(["fib <ratio 0..3>", *NAMED_REFS])
    raise AlarmError(f"unknown level {text!r}: one of {known}")


def fib_ratio(ref: str) -> float | None:
    """The ratio of a canonical "fib R" reference, else None."""
    return float(ref[4:]) if ref.startswith("fib ") else None


def _number(
    what: str, value: Any, *, positive: bool = False, lo: float | None = None, hi: float | None = None
) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and positive:
        ok = value > 0
    if ok and lo is not None:
        ok = value >= lo
    if ok and hi is not None:
        ok = value <= hi
    if not ok:
        if positive and hi is not None:
            need = f"a number > 0 and at most {hi:g}"
        elif positive:
            need = "a number > 0"
        elif lo is not None and hi is not None:
            need = f"a number in [{lo:g}, {hi:g}]"
        else:
            need = "a finite number"
        raise AlarmError(f"{what} must be {need}, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm: definition (what to watch) plus stored status. Build with the helper functions below.

    ``level`` is the number compared with: a price (price), an RSI value (rsi), an index value (fng) or
    notional USD (liq). ``direction`` "above"/"below" is the side the value crosses to; for fng it means
    "at or above" / "at or below". Status fields are written by the store, never by the user.
    """

    kind: Kind
    symbol: str = DEFAULT_SYMBOL  # the instrument watched; MARKET for market-wide (liq, fng)
    direction: Direction | None = None
    level: float | None = None
    low: float | None = None  # zone
    high: float | None = None  # zone
    on: ZoneEvent | None = None  # zone
    ref: str | None = None  # level: canonical computed level name
    window_s: int | None = None  # liq
    side: LiqSide | None = None  # liq: one side only, None = both
    timeframe: str | None = None  # rsi
    once: bool | None = None  # None = not [alarms] rearm
    cooldown_s: float | None = None  # None = [alarms] cooldown_s
    hysteresis_pct: float | None = None  # None = [alarms] hysteresis_pct
    note: str = ""
    muted: bool = False
    id: int = 0  # 0 until stored
    created_ms: int = 0
    rev: int = 0  # bumped by the store on every user change (edit, mute, rearm)
    done: bool = False  # a once-alarm that has fired
    fired_count: int = 0
    last_fired_ms: int | None = None

    def __post_init__(self) -> None:
        k = self.kind
        if k not in KINDS:
            raise AlarmError(f"unknown alarm kind {k!r}: one of {', '.join(KINDS)}")
        wanted = _FIELDS[k]
        for name in ("direction", "level", "low", "high", "on", "ref", "window_s", "side", "timeframe"):
            if name not in wanted and getattr(self, name) is not None:
                raise AlarmError(f"a {k} alarm takes no {name} (got {getattr(self, name)!r})")
        if k in ("price", "level", "rsi", "fng") and self.direction not in ("above", "below"):
            raise AlarmError(f"{k} alarm direction must be above or below, got {self.direction!r}")
        if k == "liq" and self.direction not in (None, "above"):
            raise AlarmError(f"liq alarm direction must be above, got {self.direction!r}")
        if k == "price":
            _number("price level", self.level, positive=True, hi=MAX_PRICE)
        elif k == "zone":
            low = _number("zone low", self.low, positive=True, hi=MAX_PRICE)
            high = _number("zone high", self.high, positive=True, hi=MAX_PRICE)
            if not low < high:
                raise AlarmError(f"zone low {low:g} must be below zone high {high:g}")
            if self.on not in ("enter", "leave"):
                raise AlarmError(f"zone event must be enter or leave, got {self.on!r}")
        elif k == "level":
            if not isinstance(self.ref, str) or parse_ref(self.ref) != self.ref:
                raise AlarmError(f"level must be a level name such as 'fib 0.618', got {self.ref!r}")
        elif k == "liq":
            _number("liquidation threshold (USD)", self.level, positive=True, hi=MAX_USD)
            w = self.window_s
            if isinstance(w, bool) or not isinstance(w, int) or not MIN_WINDOW_S <= w <= MAX_WINDOW_S:
                raise AlarmError(f"liquidation window must be 1 minute to 24 hours, got {w!r} seconds")
            if self.side not in (None, "long", "short"):
                raise AlarmError(f"liquidation side must be long or short, got {self.side!r}")
        elif k == "fng":
            _number("Fear & Greed value", self.level, lo=0, hi=100)
        elif k == "rsi":
            _number("RSI value", self.level, lo=0, hi=100)
            if self.timeframe not in TIMEFRAMES:
                known = " ".join(TIMEFRAMES)
                raise AlarmError(f"RSI timeframe must be one of {known}, got {self.timeframe!r}")
        _check_symbol(self)
        if self.cooldown_s is not None:
            _number("cooldown (seconds)", self.cooldown_s, lo=0, hi=86_400)
        if self.hysteresis_pct is not None:
            _number("hysteresis (%)", self.hysteresis_pct, lo=0, hi=10)
        if not isinstance(self.note, str) or len(self.note) > MAX_NOTE:
            raise AlarmError(f"note must be text of at most {MAX_NOTE} characters")
        # A note is shown on terminals (toasts, lists, the CLI, OSC notifications): control characters in
        # it (a pasted escape sequence) would act on the terminal, so they never enter an alarm.
        object.__setattr__(self, "note", printable(self.note))

    def describe(self) -> str:
        """A short human description: "price above 80,000", "liquidations 1h > $100M (long)"."""
        k, sym = self.kind, self.symbol
        if k == "price":
            return f"{sym} price {self.direction} {_price(self.level)}"
        if k == "zone":
            verb = "enters" if self.on == "enter" else "leaves"
            return f"{sym} price {verb} {_price(self.low)}–{_price(self.high)}"
        if k == "level":
            return f"{sym} price {self.direction} {self.ref}"
        if k == "liq":
            side = f" ({self.side})" if self.side else ""
            window = window_name(self.window_s or 0)
            return f"{self.scope} liquidations {window} > {usd(self.level or 0.0)}{side}"
        if k == "fng":
            return f"Fear & Greed {'≤' if self.direction == 'below' else '≥'} {self.level:g}"
        return f"{sym} RSI {self.timeframe} {self.direction} {self.level:g}"

    @property
    def scope(self) -> str:
        """What a liquidation or F&G alarm sums over: MARKET, or the coin of ``symbol`` ("BTC")."""
        return MARKET if self.symbol == MARKET else coin_of(self.symbol)

    def effective(self, settings: AlarmSettings) -> tuple[bool, float, float]:
        """(once, cooldown_s, hysteresis_pct) with the config's defaults for options left unset."""
        once = (not settings.rearm) if self.once is None else self.once
        cooldown = settings.cooldown_s if self.cooldown_s is None else self.cooldown_s
        band = settings.hysteresis_pct if self.hysteresis_pct is None else self.hysteresis_pct
        return once, cooldown, band


def _check_symbol(alarm: Alarm) -> None:
    """``symbol`` is printable text naming an instrument, or MARKET where the kind allows it."""
    if alarm.kind == "fng":  # one index for the whole market, whatever the caller named
        object.__setattr__(alarm, "symbol", MARKET)
        return
    sym = alarm.symbol
    if not isinstance(sym, str) or not sym or len(sym) > MAX_SYMBOL or printable(sym) != sym or " " in sym:
        raise AlarmError(f"symbol must be a market such as {DEFAULT_SYMBOL}, got {sym!r}")
    if sym == MARKET and alarm.kind != "liq":
        raise AlarmError(f"a {alarm.kind} alarm watches one instrument, not the whole market")


_FIELDS: dict[str, frozenset[str]] = {
    "price": frozenset({"direction", "level"}),
    "zone": frozenset({"low", "high", "on"}),
    "level": frozenset({"direction", "ref"}),
    "liq": frozenset({"direction", "level", "window_s", "side"}),
    "fng": frozenset({"direction", "level"}),
    "rsi": frozenset({"direction", "level", "timeframe"}),
}


def _price(value: float | None) -> str:
    return "?" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def usd(value: float) -> str:
    """$1.5M / $250k / $900 for descriptions."""
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= div:
            return f"${value / div:.4g}{unit}"
    return f"${value:.4g}"


def window_name(window_s: int) -> str:
    """3600 -> "1h", 5400 -> "90m"."""
    return f"{window_s // 3600}h" if window_s % 3600 == 0 else f"{window_s // 60}m"


# --- builders: what the UI and the CLI call ---------------------------------------------------------------


def price_alarm(level: float, direction: Direction, **options: Any) -> Alarm:
    """Price crosses above / below a fixed level."""
    return Alarm("price", direction=direction, level=level, **options)


def zone_alarm(low: float, high: float, on: ZoneEvent = "enter", **options: Any) -> Alarm:
    """Price enters or leaves [low, high] (a gap, a liquidity zone)."""
    return Alarm("zone", low=low, high=high, on=on, **options)


def level_alarm(ref: str, direction: Direction, **options: Any) -> Alarm:
    """Price crosses a computed level ("fib 0.618", "bounce trigger", ...), following it as it moves."""
    return Alarm("level", direction=direction, ref=parse_ref(ref), **options)


def liq_alarm(threshold_usd: float, window_s: int, side: LiqSide | None = None, **options: Any) -> Alarm:
    """Liquidated notional in the last ``window_s`` goes above ``threshold_usd`` (one side, or both)."""
    return Alarm("liq", direction="above", level=threshold_usd, window_s=window_s, side=side, **options)


def fng_alarm(value: float, direction: Direction, **options: Any) -> Alarm:
    """Fear & Greed at or below (direction "below") / at or above ("above") a value."""
    return Alarm("fng", direction=direction, level=value, **options)


def rsi_alarm(value: float, timeframe: str, direction: Direction, **options: Any) -> Alarm:
    """RSI of a timeframe's closed bars crosses above / below a value."""
    return Alarm("rsi", direction=direction, level=value, timeframe=timeframe, **options)


# --- what the engine hands out ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmFired:
    """One firing: the observation that fired it and the one before, for the UI, notifications, history."""

    alarm_id: int
    ts_ms: int
    kind: Kind
    description: str  # of the alarm when it fired (history outlives the alarm)
    note: str
    value: float  # what was compared: price, RSI, index value, window notional
    prev_value: float | None  # the observation before (None for a condition true at the first look)
    level: float | None  # the level it was compared with at that moment (zone: None)
    price: float | None  # the last price at that moment
    prev_price: float | None
    final: bool = False  # a once-alarm: this firing makes it done

    def __post_init__(self) -> None:
        # Firings are read back from disk, where an older cockpit may have left raw text.
        object.__setattr__(self, "note", printable(self.note))
        object.__setattr__(self, "description", printable(self.description))

    @property
    def title(self) -> str:
        """Notification title."""
        return f"cockpit alarm #{self.alarm_id}"

    @property
    def body(self) -> str:
        """Notification body: what happened, the value, the note."""
        shown = _price(self.value) if self.kind in ("price", "zone", "level") else f"{self.value:g}"
        if self.kind == "liq":
            shown = usd(self.value)
        note = f" — {self.note}" if self.note else ""
        return f"{self.description}: {shown}{note}"


@dataclass(frozen=True, slots=True)
class AlarmStatus:
    """An alarm as the engine sees it now: for the chart's lines and the alarm list."""

    alarm: Alarm
    level: float | None  # resolved level now (a bound level follows the analysis; None when unresolved)
    armed: bool  # a crossing now would fire (outside cooldown)
    value: float | None  # the last observation of what it watches
    waiting: str | None = None  # why it cannot fire now beyond its numbers ("levels of X are computed ...")
