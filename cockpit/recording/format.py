"""Recordings: the engine's normalised event stream as gzip-compressed JSON lines, and their reader.

Line 1 is a header (format, version, source kind, sources, venues, symbols, start_ms). Every other line is
one event: ``{"at": <clock ms when it was emitted>, "type": <tag>, ...fields}``. ``at`` is what replay
times events by (a backfill has no timestamp of its own). A liquidation carries its identity
(``event_id``, from version 2) when its source gave one, so a replay keeps apart two liquidations equal in
every other field; version 1 recordings (no identities) are read as before. A truncated or corrupted file
yields the good prefix plus one error naming the file and line, so a crash mid-recording still replays up
to the crash.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

import numpy as np

from cockpit.analytics.candles import Candles
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import (
    Backfill,
    CandleClosed,
    Covered,
    DerivativesUpdate,
    FearGreedReading,
    MarketEvent,
    PriceTick,
    SentimentUpdate,
    SourceError,
    SourceOk,
)
from cockpit.text.excerpt import excerpt
from cockpit.text.safety import printable

FORMAT = "cockpit-recording"
VERSION = 2  # 2: coverage claims ("cover"), each source's venues and symbols in the header, and
# each liquidation's event_id (when its source gave one)
READABLE_VERSIONS = (1, 2)  # a version-1 recording has no coverage: its windows replay as partial
# Flat events: every field is a str/int/float/bool (or None), so one generic codec covers them.
_FLAT: dict[str, type[Any]] = {
    "tick": PriceTick,
    "candle": CandleClosed,
    "liq": LiquidationEvent,
    "deriv": DerivativesUpdate,
    "error": SourceError,
    "ok": SourceOk,
    "cover": Covered,
}
_TAG = {cls: tag for tag, cls in _FLAT.items()}
_CANDLE_COLS = ("open", "high", "low", "close", "volume")


class RecordingError(Exception):
    """A recording that cannot be read (from this line on), phrased as one line naming file and line."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the engine needs to register a recorded source again (its name and status-bar traits)."""

    name: str
    cadence_s: float
    simulated: bool
    sampled: bool
    venues: tuple[str, ...] = ()  # the venue names on its liquidations (none: it delivers none)
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Header:
    source: str  # "demo" or "live": the kind of engine that was recorded
    symbol: str
    start_ms: int
    sources: tuple[SourceInfo, ...]
    venues: tuple[str, ...] = ()
    version: int = VERSION

    @property
    def simulated(self) -> bool:
        return any(s.simulated for s in self.sources)


@dataclass(frozen=True, slots=True)
class Recording:
    """The header, every good event with its emission time, and the first problem (None if whole)."""

    path: str
    header: Header
    events: tuple[tuple[int, MarketEvent], ...]
    error: str | None = None

    @property
    def end_ms(self) -> int:
        return self.events[-1][0] if self.events else self.header.start_ms


# ---------------------------------------------------------------------------------------------- encode


def _reading(r: FearGreedReading) -> list[Any]:
    return [r.ts_ms, r.value, r.label]


def encode_event(event: MarketEvent) -> dict[str, Any]:
    """One event as a JSON-ready dict with its type tag."""
    if isinstance(event, LiquidationEvent):  # venue subclasses carry more: record the normalised event
        liq = {f.name: getattr(event, f.name) for f in fields(LiquidationEvent)}
        if not event.event_id:
            del liq["event_id"]  # the content is the identity: nothing to add
        return {"type": "liq", **liq}
    tag = _TAG.get(type(event))
    if tag is not None:
        return {"type": tag, **{f.name: getattr(event, f.name) for f in fields(event)}}
    if isinstance(event, SentimentUpdate):
        return {"type": "sentiment", **_sentiment(event)}
    if isinstance(event, Backfill):
        c = event.candles_1m
        ts = c.ts_ms.astype(np.int64)
        # Timestamps as first value + deltas (a run of 60000s) so a week of minutes compresses to little.
        cols = {"ts_ms": [int(ts[0]), *np.diff(ts).tolist()] if len(ts) else []}
        cols.update({k: getattr(c, k).tolist() for k in _CANDLE_COLS})
        return {
            "type": "backfill",
            "source": event.source,
            "symbol": event.symbol,
            "candles_1m": cols,
            "liquidations": [
                [
                    e.ts_ms,
                    e.venue,
                    e.symbol,
                    e.side,
                    e.notional_usd,
                    e.price,
                    *([e.event_id] if e.event_id else []),
                ]
                for e in event.liquidations
            ],
            "sentiment": None if event.sentiment is None else _sentiment(event.sentiment),
        }
    raise TypeError(f"recording: cannot encode {type(event).__name__}")


def _sentiment(s: SentimentUpdate) -> dict[str, Any]:
    return {"source": s.source, "latest": _reading(s.latest), "history": [_reading(r) for r in s.history]}


class RecordingWriter:
    """Appends events to a gzip JSON-lines file; each line is flushed to the compressor as written."""

    def __init__(self, path: str | Path, header: Header) -> None:
        self.path = str(path)
        try:
            self._out: IO[str] = gzip.open(self.path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115 (open for the session)
        except OSError as exc:
            raise RecordingError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        self.count = 0
        head = {
            "format": FORMAT,
            "version": header.version,
            "source": header.source,
            "symbol": header.symbol,
            "symbols": [header.symbol],
            "venues": list(header.venues),
            "start_ms": header.start_ms,
            "sources": [
                [s.name, s.cadence_s, s.simulated, s.sampled, list(s.venues), list(s.symbols)]
                for s in header.sources
            ],
        }
        self._line(head)

    def _line(self, obj: dict[str, Any]) -> None:
        self._out.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def write(self, at_ms: int, event: MarketEvent) -> None:
        self._line({"at": at_ms, **encode_event(event)})
        self.count += 1

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()


# ---------------------------------------------------------------------------------------------- decode

_SCALAR = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "Side": (str,)}


def _check(value: Any, annotation: str) -> bool:
    optional = annotation.endswith(" | None")
    if value is None:
        return optional
    kinds = _SCALAR.get(annotation.removesuffix(" | None"), (object,))
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _flat(cls: type[Any], obj: dict[str, Any]) -> Any:
    spec = {f.name: str(f.type) for f in fields(cls)}
    unknown = set(obj) - set(spec)
    if unknown:
        raise ValueError(f"unknown field {excerpt(sorted(unknown)[0])}")
    for name, value in obj.items():
        if not _check(value, spec[name]):
            raise ValueError(f"field {excerpt(name)} has a bad value {excerpt(value)}")
    # Names, sides and messages are shown on the terminal: a crafted recording must not act on it.
    return cls(**{k: printable(v) if isinstance(v, str) else v for k, v in obj.items()})


def _decode_reading(v: Any) -> FearGreedReading:
    if not (isinstance(v, list) and len(v) == 3):
        raise ValueError(f"bad sentiment reading {excerpt(v)}")
    ts, value, label = v
    if not (_is_int(ts) and _is_int(value) and isinstance(label, str)):
        raise ValueError(f"bad sentiment reading {excerpt(v)}")
    return FearGreedReading(ts, value, printable(label))


def _decode_sentiment(o: dict[str, Any]) -> SentimentUpdate:
    if not isinstance(o["history"], list):
        raise ValueError(f"sentiment history {excerpt(o['history'])} is not a list")
    history = tuple(_decode_reading(r) for r in o["history"])
    return SentimentUpdate(_str(o["source"], "source"), _decode_reading(o["latest"]), history)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{what} {excerpt(v)} is not a string")
    return printable(v)  # names and messages are shown on the terminal: a crafted one must not act on it


def _ms(v: Any, what: str) -> int:
    """A time in ms as a recording holds it: an integer a 64-bit clock can hold (10**30 is no time)."""
    if not _is_int(v) or not -(2**63) <= v < 2**63:
        raise ValueError(f"{what} {excerpt(v)} is not a time in milliseconds")
    return int(v)


def decode_event(obj: dict[str, Any]) -> MarketEvent:
    """The event a line encodes; ValueError/KeyError/TypeError say what is wrong with it."""
    tag = obj.pop("type", None)
    if not isinstance(tag, str):
        raise ValueError(f"unknown event type {excerpt(tag)}")
    if tag in _FLAT:
        return _flat(_FLAT[tag], obj)  # type: ignore[no-any-return]
    if tag == "sentiment":
        return _decode_sentiment(obj)
    if tag == "backfill":
        cols = obj["candles_1m"]
        try:
            deltas = np.asarray(cols["ts_ms"], dtype=np.int64)
            prices = [np.asarray(cols[k], dtype=np.float64) for k in _CANDLE_COLS]
        except OverflowError:  # a number beyond int64 / float64
            raise ValueError("backfill candles hold a number out of range") from None
        if deltas.ndim != 1 or any(col.ndim != 1 or len(col) != len(deltas) for col in prices):
            raise ValueError("backfill candle columns are not lists of numbers of one length")
        candles = Candles.from_arrays(np.cumsum(deltas), *prices)
        if not isinstance(obj["liquidations"], list) or not all(
            isinstance(row, list) for row in obj["liquidations"]
        ):
            raise ValueError("backfill liquidations are not a list of rows")
        liqs = tuple(LiquidationEvent(*row) for row in obj["liquidations"])
        s = obj.get("sentiment")
        return Backfill(
            _str(obj["source"], "source"),
            _str(obj["symbol"], "symbol"),
            candles,
            liqs,
            None if s is None else _decode_sentiment(s),
        )
    raise ValueError(f"unknown event type {excerpt(tag)}")


def _header(path: str, line: str) -> Header:
    try:
        o = json.loads(line)
        if not isinstance(o, dict) or o.get("format") != FORMAT:
            raise ValueError("not a cockpit recording (no header)")
        if o.get("version") not in READABLE_VERSIONS:
            raise ValueError(
                f"format version {excerpt(o.get('version'))} is not supported (this cockpit reads "
                f"{' and '.join(map(str, READABLE_VERSIONS))})"
            )
        if not isinstance(o["sources"], list) or not isinstance(o["venues"], list):
            raise ValueError("sources and venues must be lists")
        sources = tuple(_source_info(row) for row in o["sources"])
        start = _ms(o["start_ms"], "start_ms")
        venues = tuple(_str(v, "venue") for v in o["venues"])
        return Header(_str(o["source"], "source"), _str(o["symbol"], "symbol"), start, sources, venues)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise RecordingError(f"{path}:1: bad header: {_why(exc)}") from None


def _source_info(row: list[Any]) -> SourceInfo:
    """``[name, cadence_s, simulated, sampled]``, then (version 2) ``venues`` and ``symbols`` lists."""
    if not isinstance(row, list):
        raise ValueError(f"source {excerpt(row)} is not a list")
    name, cadence, simulated, sampled, *rest = row
    venues, symbols = [*rest, [], []][:2]
    if not (isinstance(venues, list) and isinstance(symbols, list)):
        raise ValueError(f"source {excerpt(name)}: venues and symbols must be lists")
    if isinstance(cadence, bool) or not isinstance(cadence, int | float) or not 0 < cadence < 1e9:
        raise ValueError(f"source {excerpt(name)}: cadence {excerpt(cadence)} is not a number of seconds")
    return SourceInfo(
        _str(name, "source"),
        float(cadence),
        bool(simulated),
        bool(sampled),
        tuple(_str(v, "venue") for v in venues),
        tuple(_str(v, "symbol") for v in symbols),
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {excerpt(exc.args[0])}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return " ".join(str(exc).split())[:200]  # one line, whatever the exception said


def read_recording(path: str | Path) -> Recording:
    """Read a whole recording. A bad header raises RecordingError; a bad later line ends the read there and
    is reported in ``Recording.error`` (one line naming the file and line) with every event before it."""
    p = str(path)
    events: list[tuple[int, MarketEvent]] = []
    header: Header | None = None
    lineno = 0
    error: str | None = None
    try:
        with gzip.open(p, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if header is None:
                    header = _header(p, line)
                    continue
                if not line.endswith("\n"):
                    raise RecordingError(f"{p}:{lineno}: truncated line (the recording stopped mid-write)")
                try:
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise ValueError(f"{excerpt(obj)} is not an event")
                    at = _ms(obj.pop("at"), "'at'")
                    events.append((at, decode_event(obj)))
                except (ValueError, KeyError, TypeError, RecursionError) as exc:
                    raise RecordingError(f"{p}:{lineno}: bad event: {_why(exc)}") from None
    except FileNotFoundError:
        raise RecordingError(f"{p}: no such file") from None
    except RecordingError as exc:
        if header is None:
            raise
        error = str(exc)
    except (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError, OSError) as exc:
        if header is None:
            raise RecordingError(f"{p}:1: not a gzip cockpit recording ({exc})") from None
        error = f"{p}:{lineno + 1}: truncated or corrupted after line {lineno} ({exc})"
    if header is None:
        raise RecordingError(f"{p}:1: empty recording (no header)")
    return Recording(p, header, tuple(events), error)
