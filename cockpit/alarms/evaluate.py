"""The alarm state machine: which observation fires which alarm. Pure Python (no numpy, no asyncio, no I/O).

Every alarm watches one *stream* of observations (the price, an RSI, the Fear & Greed value, a liquidation
window total) and is either *armed* or not:

* Armed and the observation is strictly on the target side of the level (never equal: touching is not a
  cross) -> it fires and disarms.
* Disarmed and the observation is beyond the level by more than the hysteresis band on the other side ->
  it arms. So after a firing, jitter around the level cannot fire again until the price went back beyond
  ``level ∓ band``; and a new alarm created with the price at its level waits for the same.
* Crossing kinds (price, zone, level, rsi) start disarmed: a first observation never fires, so a firing
  always has a previous observation on the other side (``prev <= level < now`` for "above").
* Condition kinds (liq, fng: "is it the case?") start armed when they never fired, so a condition that
  already holds fires at the first look.
* Inside the cooldown a would-be firing is dropped but still disarms (otherwise it would fire late, on an
  observation that crossed nothing). Once-alarms are done after one firing.
* When a bound level moves, the alarm is re-judged against the new level with the last observation: it
  disarms if that observation is already on the target side (the level moved, the price did not cross it)
  and arms if it is beyond the band. Level moves never fire.

Streams are keyed by what they measure *and of what*, so one book judges every instrument at once:
"price:ETH/USDT:USDT" (every live price of that instrument, charted or not), "rsi:1h:ETH/USDT:USDT",
"liq:3600:long:ETH" (a coin's markets) or "liq:3600:long:market" (every coin), "fng". The instrument comes
last because unified symbols contain ":" themselves.

Levels and RSI are computed by the engine for the charted instrument only (the analysis is the chart's).
Level and RSI alarms of another instrument therefore wait, unarmed and with the reason in their status,
rather than being judged on the charted instrument's numbers; when their instrument is charted they start
afresh (a first observation never fires, so a crossing that happened off screen is not reported late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from cockpit.alarms.model import MARKET, Alarm, AlarmFired, AlarmStatus
from cockpit.config import AlarmSettings

PRICE = "price"
FNG = "fng"
CONDITION_KINDS = frozenset({"liq", "fng"})
ANALYSED_KINDS = frozenset({"level", "rsi"})  # judged on the chart's analysis: wait while not charted


def price_stream(symbol: str) -> str:
    """The key of an instrument's price stream: "price:BTC/USDT:USDT"."""
    return f"{PRICE}:{symbol}"


def stream_of(alarm: Alarm) -> str:
    """The key of the observation stream an alarm watches: "price:BTC/USDT:USDT", "fng",
    "rsi:1h:BTC/USDT:USDT", "liq:3600:long:BTC" (one coin) or "liq:3600:all:market" (every coin)."""
    if alarm.kind in ("price", "zone", "level"):
        return price_stream(alarm.symbol)
    if alarm.kind == "rsi":
        return f"rsi:{alarm.timeframe}:{alarm.symbol}"
    if alarm.kind == "liq":
        return f"liq:{alarm.window_s}:{alarm.side or 'all'}:{alarm.scope}"
    return FNG


@dataclass(frozen=True, slots=True)
class Rule:
    """Fire and arm predicates of one alarm against one resolved level (``a``; a zone is ``a``..``b``)."""

    op: str  # "up", "down", "up_eq", "down_eq", "in", "out"
    a: float
    b: float
    band: float

    def fires(self, v: float) -> bool:
        """The observation is on the target side (strictly, except the "at or" kinds)."""
        op = self.op
        if op == "up":
            return v > self.a
        if op == "down":
            return v < self.a
        if op == "up_eq":
            return v >= self.a
        if op == "down_eq":
            return v <= self.a
        if op == "in":
            return self.a < v < self.b
        return v < self.a or v > self.b

    def arms(self, v: float) -> bool:
        """The observation is beyond the band on the other side."""
        op, band = self.op, self.band
        if op in ("up", "up_eq"):
            return v < self.a - band
        if op in ("down", "down_eq"):
            return v > self.a + band
        if op == "in":
            return v < self.a - band or v > self.b + band
        return self.a + band < v < self.b - band


def make_rule(alarm: Alarm, level: float | None, band_pct: float) -> Rule | None:
    """The rule of an alarm at a resolved level (None: a bound level that is not known now)."""
    frac = band_pct / 100.0
    if alarm.kind == "zone":
        low, high = float(alarm.low or 0.0), float(alarm.high or 0.0)
        # A band wider than a quarter of the zone would leave no room to arm "leave" inside it.
        band = min(frac * (low + high) / 2.0, (high - low) / 4.0)
        return Rule("in" if alarm.on == "enter" else "out", low, high, band)
    if level is None:
        return None
    up = alarm.direction != "below"
    op = ("up_eq" if up else "down_eq") if alarm.kind == "fng" else ("up" if up else "down")
    return Rule(op, level, level, frac * abs(level))


@dataclass(slots=True)
class _Live:
    """Runtime state of one alarm (what the store does not keep)."""

    alarm: Alarm
    stream: str
    once: bool
    cooldown_ms: int
    band_pct: float
    level: float | None
    rule: Rule | None
    price_key: str | None  # the price stream of its instrument (None: market-wide)
    armed: bool = False


class AlarmBook:
    """The alarms the engine evaluates, their runtime state, and the firings not yet handed out."""

    def __init__(self, settings: AlarmSettings | None = None) -> None:
        self.settings = settings or AlarmSettings()
        self._live: dict[int, _Live] = {}
        self._by_stream: dict[str, list[_Live]] = {}
        self._last: dict[str, float] = {}  # last observation per stream
        self._prev: dict[str, float | None] = {}  # the observation before it, per stream
        self._price_keys: dict[str, str] = {}  # symbol -> its price stream (no string built per tick)
        self._charted: str | None = None  # whose levels and RSI the engine computes (None: not told)
        self._levels: dict[str, float | None] = {}  # resolved computed levels of the charted instrument
        self._fired: list[AlarmFired] = []  # for the next snapshot
        self._unrecorded: list[AlarmFired] = []  # for the history store
        self.streams: frozenset[str] = frozenset()  # streams some alarm (muted or not) watches
        self.refs: frozenset[str] = frozenset()  # computed levels some alarm follows
        self.analysed: frozenset[str] = frozenset()  # instruments whose levels or RSI some alarm follows

    def __len__(self) -> int:
        return len(self._live)

    # -- definitions ---------------------------------------------------------------------------------------

    def load(self, alarms: Iterable[Alarm]) -> None:
        """Replace the set of alarms. An alarm whose revision did not change keeps its runtime state (and
        its status merges with the stored one, so a reload never forgets a firing not yet written)."""
        fresh: dict[int, _Live] = {}
        for alarm in alarms:
            old = self._live.get(alarm.id)
            if (
                old is not None
                and old.alarm.rev == alarm.rev
                and _definition(old.alarm) == _definition(alarm)
            ):
                last = max(old.alarm.last_fired_ms or 0, alarm.last_fired_ms or 0) or None
                merged = _with_status(
                    alarm, old.alarm.done or alarm.done, max(old.alarm.fired_count, alarm.fired_count), last
                )
                old.alarm = merged
                fresh[alarm.id] = old
            else:
                fresh[alarm.id] = self._new_live(alarm)
        self._live = fresh
        self._by_stream = {}
        for live in fresh.values():
            self._by_stream.setdefault(live.stream, []).append(live)
        self.streams = frozenset(self._by_stream)
        self.refs = frozenset(x.alarm.ref for x in fresh.values() if x.alarm.ref)
        self.analysed = frozenset(x.alarm.symbol for x in fresh.values() if x.alarm.kind in ANALYSED_KINDS)

    def upsert(self, alarm: Alarm) -> None:
        """Add or replace one alarm (a changed revision restarts its arming)."""
        self.load([*(x.alarm for i, x in self._live.items() if i != alarm.id), alarm])

    def remove(self, alarm_id: int) -> None:
        """Forget one alarm."""
        self.load([x.alarm for i, x in self._live.items() if i != alarm_id])

    def alarms(self) -> list[Alarm]:
        """The current alarms with their status as known here."""
        return [x.alarm for x in self._live.values()]

    def _new_live(self, alarm: Alarm) -> _Live:
        once, cooldown_s, band_pct = alarm.effective(self.settings)
        stream = stream_of(alarm)
        level = self._resolve(alarm)
        price_key = price_stream(alarm.symbol) if alarm.symbol != MARKET else None
        live = _Live(alarm, stream, once, int(cooldown_s * 1000), band_pct, level, None, price_key)
        live.rule = make_rule(alarm, level, band_pct)
        if alarm.kind in CONDITION_KINDS:
            live.armed = alarm.last_fired_ms is None
        else:
            last = self._last.get(stream)
            live.armed = live.rule is not None and last is not None and live.rule.arms(last)
        return live

    def _resolve(self, alarm: Alarm) -> float | None:
        if alarm.kind == "level":
            # Another instrument's levels are not known: never judge it on the charted one's.
            return self._levels.get(alarm.ref or "") if alarm.symbol == self._charted else None
        return alarm.level

    # -- what the engine asks ------------------------------------------------------------------------------

    @property
    def charted(self) -> str | None:
        """The instrument whose levels and RSI the engine computes (None until it says)."""
        return self._charted

    def chart(self, symbol: str) -> bool:
        """The engine now analyses ``symbol``: the levels known so far were another instrument's, and RSI
        streams start afresh (their last values are from before a gap, so a first value must not fire).
        True when that changed something (the caller's resolved levels are then out of date)."""
        if symbol == self._charted:
            return False
        self._charted = symbol
        for stream in [s for s in self._last if s.startswith("rsi:")]:
            del self._last[stream]
            self._prev.pop(stream, None)
        for live in self._live.values():
            if live.alarm.kind == "rsi":
                live.armed = False
        self.set_levels({})
        return True

    def set_levels(self, levels: Mapping[str, float | None]) -> None:
        """New resolved computed levels of the charted instrument (after its analysis changed); level
        moves never fire."""
        self._levels = dict(levels)
        for live in self._live.values():
            if live.alarm.kind != "level":
                continue
            level = self._resolve(live.alarm)
            if level == live.level:
                continue
            live.level = level
            live.rule = make_rule(live.alarm, level, live.band_pct)
            last = self._last.get(live.stream)
            if live.rule is None:
                live.armed = False
            elif last is not None:
                if live.armed and live.rule.fires(last):
                    live.armed = False
                elif not live.armed and live.rule.arms(last):
                    live.armed = True

    def on_price(self, symbol: str, ts_ms: int, price: float) -> None:
        """Every live price of every instrument, in arrival order (the hot path: a dictionary look-up,
        then a few comparisons per alarm on that instrument; none for an instrument no alarm watches)."""
        key = self._price_keys.get(symbol)
        if key is None:
            key = self._price_keys[symbol] = price_stream(symbol)
        self.feed(key, ts_ms, price)

    def feed(self, stream: str, ts_ms: int, value: float) -> None:
        """One observation of a stream; repeating the last value is harmless."""
        prev = self._last.get(stream)
        self._last[stream] = value
        self._prev[stream] = prev
        for live in self._by_stream.get(stream, ()):
            fired = self._step(live, ts_ms, value, prev)
            if fired is not None:
                self._fired.append(fired)
                self._unrecorded.append(fired)

    def _step(self, live: _Live, ts_ms: int, v: float, prev: float | None) -> AlarmFired | None:
        rule, alarm = live.rule, live.alarm
        if rule is None or alarm.muted or alarm.done:
            return None
        if live.armed and rule.fires(v):
            live.armed = False
            last = alarm.last_fired_ms
            if last is not None and ts_ms - last < live.cooldown_ms:
                return None
            live.alarm = _with_status(alarm, live.once, alarm.fired_count + 1, ts_ms)
            return AlarmFired(
                alarm_id=alarm.id,
                ts_ms=ts_ms,
                kind=alarm.kind,
                description=alarm.describe(),
                note=alarm.note,
                value=v,
                prev_value=prev,
                level=live.level if alarm.kind != "zone" else None,
                # Its own instrument's price (a market-wide alarm has none).
                price=self._last.get(live.price_key) if live.price_key else None,
                prev_price=self._prev.get(live.price_key) if live.price_key else None,
                final=live.once,
            )
        if not live.armed and rule.arms(v):
            live.armed = True
        return None

    def take_fired(self) -> tuple[AlarmFired, ...]:
        """Firings since the last call, in order (they travel in the next snapshot)."""
        out, self._fired = tuple(self._fired), []
        return out

    def take_unrecorded(self) -> list[AlarmFired]:
        """Firings not yet handed to the history store (a separate queue from the snapshot's)."""
        out, self._unrecorded = self._unrecorded, []
        return out

    def requeue(self, fired: list[AlarmFired]) -> None:
        """Put firings the store could not take back at the front of the queue."""
        self._unrecorded[:0] = fired

    def has_unrecorded(self) -> bool:
        """Whether firings wait for the history store."""
        return bool(self._unrecorded)

    def statuses(self) -> tuple[AlarmStatus, ...]:
        """Every alarm with its resolved level, arming and last observation, by id."""
        return tuple(
            AlarmStatus(
                x.alarm,
                x.level,
                x.armed and not (x.alarm.done or x.alarm.muted),
                self._last.get(x.stream),
                self._waiting_for(x.alarm),
            )
            for _, x in sorted(self._live.items())
        )

    def _waiting_for(self, alarm: Alarm) -> str | None:
        """Why an alarm cannot fire now, when the reason is not in its numbers: its instrument's analysis
        is not computed (it is not charted)."""
        if alarm.kind not in ANALYSED_KINDS or self._charted in (None, alarm.symbol):
            return None
        what = "levels of {} are" if alarm.kind == "level" else "RSI of {} is"
        return f"{what.format(alarm.symbol)} computed while it is charted"


_STATUS_FIELDS = ("id", "created_ms", "rev", "done", "fired_count", "last_fired_ms")


def _definition(alarm: Alarm) -> tuple[object, ...]:
    """What the user defined (runtime state survives a reload only when this is unchanged)."""
    return tuple(getattr(alarm, f) for f in Alarm.__dataclass_fields__ if f not in _STATUS_FIELDS)


def _with_status(alarm: Alarm, done: bool, fired_count: int, last_fired_ms: int | None) -> Alarm:
    return replace(alarm, done=done, fired_count=fired_count, last_fired_ms=last_fired_ms)
