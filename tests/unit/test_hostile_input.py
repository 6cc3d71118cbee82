"""Hostile input (issue 14, "Done when"): random JSON thrown at every reader of outside data.

Each venue's normaliser (ccxt-shaped liquidations whose ``info`` is the random raw message, built by hand
and, where ccxt's own parser accepts it, by that parser), the Fear & Greed parser and the recording reader
get huge integers, NaN and infinities, numbers as strings, missing fields, deep nesting, control characters
and markup. Only the documented one-line error may escape each (``MalformedLiquidation``,
``FearGreedError``, ``RecordingError``; ``decode_event`` documents ValueError/KeyError/TypeError), and what
they return, through the boundary check and an engine, never puts a non-finite or absurd number in a
snapshot.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import numpy as np
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.models import MarketEvent, SentimentUpdate, Snapshot
from cockpit.recording.format import RecordingError, decode_event, read_recording
from cockpit.sources.checks import MAX_LIQUIDATION_USD, MAX_PRICE_USD, problem
from cockpit.sources.clock import ManualClock
from cockpit.sources.fear_greed import FearGreedError, parse_fng
from cockpit.sources.venues.normalize import MalformedLiquidation, normalize
from cockpit.text.safety import printable

NOW = 1_770_000_000_000
BTC = "BTC/USDT:USDT"
HOSTILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- random JSON ---------------------------------------------------------------------------------------------

NUMBER_TEXT = st.sampled_from(
    [
        "70000",
        "0.1",
        "-1",
        "0",
        "-0",
        "1e400",
        "-1e400",
        "1e-400",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "1_000",
        "0x10",
        " 5 ",
        "9" * 400,
        "1e308",
        "1.7e308",
        "1770000000000",
        "1770000000",
        "4e18",
        "1e19",
    ]
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "[bold red]x[/]",
            "<html>502 Bad Gateway</html>",
            "\x1b[31m\x00\r\n\t",
            "Buy",
            "SELL",
            "long",
            "short",
            "net",
            "both",
            "",
        ]
    ),
)
HUGE_INT = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**400, -(10**400)]),
    # Beyond CPython's 4,300-digit int-to-str limit (made by a function: hypothesis cannot repr the value).
    st.integers(min_value=4_400, max_value=5_000).map(lambda digits: 10**digits),
)
# The numbers that break arithmetic, given their own branch so that every field meets them often.
SPECIAL = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 0, -1, 2**63, -(2**63) - 1]),
    HUGE_INT,
)
SCALAR = st.one_of(
    st.none(), st.booleans(), SPECIAL, st.floats(allow_nan=True, allow_infinity=True), TEXT, NUMBER_TEXT
)


class Nested(list):  # type: ignore[type-arg]
    """A list nested ``depth`` levels deep (deeper than Python's recursion limit for repr and json). Only
    hypothesis's report of a failing example prints it short; to the code under test it is a list."""

    def __init__(self, depth: int) -> None:
        inner: Any = "x"
        for _ in range(depth - 1):
            inner = [inner]
        super().__init__([inner])
        self.depth = depth

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Nested({self.depth})")


DEEP = st.integers(min_value=100, max_value=3_000).map(Nested)
JSON = st.recursive(
    SCALAR,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
HOSTILE_VALUE = st.one_of(SCALAR, JSON, DEEP)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` seven times in ten, so that enough messages get through to the engine."""
    return st.integers(0, 9).flatmap(lambda k: good if k < 7 else bad)


HOSTILE_FIELD = st.one_of(SPECIAL, HOSTILE_VALUE, NUMBER_TEXT, st.just("MISSING"))


def raw_message(fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A raw venue message: the plausible ``fields`` with up to three of them replaced by hostile data or
    left out, sometimes with unknown fields (mostly plausible, so that enough get through to the engine)."""

    def build(corrupt: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        message = {**fields, **corrupt}
        return {k: v for k, v in message.items() if v != "MISSING"} | extra

    return st.builds(
        build,
        st.dictionaries(st.sampled_from(sorted(fields)), HOSTILE_FIELD, max_size=3),
        mostly(st.just({}), st.dictionaries(TEXT, JSON, max_size=2)),
    )


T = 1_769_999_990_000

BINANCE = {
    "s": "BTCUSDT",
    "S": "SELL",
    "o": "LIMIT",
    "f": "IOC",
    "q": "0.014",
    "p": "70000",
    "ap": "70000",
    "X": "FILLED",
    "l": "0.014",
    "z": "0.014",
    "T": T,
}
BYBIT = {"T": T, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": "70000"}
OKX_DETAIL = {
    "bkLoss": "0",
    "bkPx": "70000",
    "ccy": "",
    "posSide": "long",
    "side": "sell",
    "sz": "13",
    "ts": str(T),
}
GATE = {
    "time": T // 1000,
    "contract": "BTC_USDT",
    "size": 600,
    "order_size": -600,
    "order_price": "70000",
    "fill_price": "70000",
    "left": 0,
}
HTX = {
    "id": "1",
    "symbol": "BTC",
    "contract_code": "BTC-USDT",
    "direction": "sell",
    "offset": "close",
    "volume": "100",
    "amount": "0.1",
    "trade_turnover": "7000",
    "price": "70000",
    "created_at": T,
    "position_side": "long",
    "bankrupt_price": "70000",
    "liquidation_time": T,
    "side": "sell",
}

OKX_ITEM = st.builds(
    lambda item, details: {**item, "details": details},
    raw_message({"instId": "BTC-USDT-SWAP", "instFamily": "BTC-USDT", "instType": "SWAP"}),
    mostly(st.lists(raw_message(OKX_DETAIL), min_size=1, max_size=3), HOSTILE_VALUE),
)
RAW = {
    "binanceusdm": raw_message(BINANCE),
    "bybit": raw_message(BYBIT),
    "okx": OKX_ITEM,
    "gate": raw_message(GATE),
    "htx": raw_message(HTX),
}
GOOD_MARKET = {"symbol": BTC, "contractSize": 1.0, "inverse": False}
CONTRACT_SIZE = {"binanceusdm": 1.0, "bybit": 1.0, "okx": 0.01, "gate": 0.0001, "htx": 0.001}
# The market comes from the venue too (ccxt's load_markets): its contract size is hostile input as well.
MARKET = st.builds(
    lambda size, inverse: {"symbol": BTC, "contractSize": size, "inverse": inverse, "linear": True},
    mostly(st.sampled_from([1.0, 0.01, 0.0001, 0.001]), SCALAR),
    mostly(st.just(False), SCALAR),
)


def ccxt_shaped(info: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """What ccxt's liquidation parsers return, around the raw message."""
    return {
        "info": info,
        "symbol": BTC,
        "contracts": None,
        "contractSize": None,
        "price": None,
        "baseValue": None,
        "quoteValue": None,
        "timestamp": None,
        "datetime": None,
        **extra,
    }


STRUCTURE_EXTRA = st.fixed_dictionaries(
    {},
    optional={
        "symbol": mostly(st.just(BTC), SCALAR),
        "timestamp": mostly(st.just(T), st.one_of(HUGE_INT, SCALAR)),
        "price": SCALAR,
        "contracts": SCALAR,
        "side": SCALAR,
    },
)

_EXCHANGES: dict[str, Any] = {}


def ccxt_parsed(venue: str, info: Any) -> dict[str, Any] | None:
    """The raw message through ccxt 4.5.90's own parser (None when ccxt itself fails on it: the frame guard
    or the retry machinery handles that, not the normaliser)."""
    if venue not in _EXCHANGES:
        module = ccxt_pro if venue in ("binanceusdm", "bybit", "okx") else ccxt_async
        _EXCHANGES[venue] = getattr(module, venue)()
    ex = _EXCHANGES[venue]
    market = {
        "symbol": BTC,
        "id": "BTCUSDT",
        "contractSize": CONTRACT_SIZE[venue],
        "linear": True,
        "inverse": False,
        "contract": True,
        "swap": True,
        "base": "BTC",
        "quote": "USDT",
        "settle": "USDT",
    }
    parse = getattr(ex, "parse_ws_liquidation", None) if venue in ("binanceusdm", "bybit", "okx") else None
    try:
        parsed = (parse or ex.parse_liquidation)(info, market)
    except Exception:
        return None
    return parsed if isinstance(parsed, dict) else None


# -- an engine and a sane snapshot ---------------------------------------------------------------------------


class Quiet:
    """A registered source that never runs: events are emitted into the engine by the test."""

    cadence_s, simulated, sampled = 10.0, False, False

    def __init__(self, name: str, venues: tuple[str, ...] = ()) -> None:
        self.name = name
        self.venues, self.symbols = venues, (BTC,)

    async def run(self, emit: object) -> None: ...


def engine_snapshot(events: list[MarketEvent]) -> Snapshot:
    names = ("Binance", "Bybit", "OKX", "Gate", "HTX")
    sources = [Quiet(n.lower(), (n,)) for n in names] + [Quiet("alternative.me"), Quiet("x"), Quiet("demo")]
    engine = Engine(Config(), sources, ManualClock(NOW), symbol=BTC, kind="live")  # type: ignore[arg-type]
    for e in events:
        engine.emit(e)
    return engine.snapshot()


def finite(*values: float | None) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


def assert_sane(snap: Snapshot) -> None:
    """Every number a snapshot shows is finite, and prices and prints are within the plausible."""
    assert finite(snap.price, snap.change_24h_pct, snap.funding_rate, snap.open_interest_usd)
    assert snap.price is None or 0 < snap.price <= MAX_PRICE_USD
    c = snap.candles
    for col in (c.open, c.high, c.low, c.close, c.volume):
        assert np.isfinite(col).all()
    assert ((c.low > 0) & (c.high <= MAX_PRICE_USD)).all()
    summary = snap.liquidations
    assert finite(summary.hourly_average_24h_usd, summary.cascade_ratio)
    for w in summary.windows.values():
        assert finite(w.long_usd, w.short_usd, w.total_usd, w.long_share)
        assert 0 <= w.total_usd <= MAX_LIQUIDATION_USD * max(w.count, 1)
        for long_usd, short_usd in w.by_venue.values():
            assert finite(long_usd, short_usd)
    assert summary.collecting_since_ms is None or abs(summary.collecting_since_ms - NOW) < 400 * 86_400_000
    for cov in summary.coverage:
        assert cov.since_ms is None or abs(cov.since_ms - NOW) < 400 * 86_400_000
        for wc in cov.windows.values():
            assert 0 <= wc.covered_s <= wc.window_s
            assert all(
                abs(a - NOW) < 400 * 86_400_000 and abs(b - NOW) < 400 * 86_400_000 for a, b in wc.gaps
            )
    for e in (*snap.new_liquidations, *snap.recent_liquidations, *summary.largest):
        assert 0 < e.price <= MAX_PRICE_USD and 0 <= e.notional_usd <= MAX_LIQUIDATION_USD
        assert abs(e.ts_ms - NOW) < 400 * 86_400_000
    if snap.sentiment is not None:
        assert all(0 <= r.value <= 100 for r in (snap.sentiment.latest, *snap.sentiment.history))
    for s in snap.sources:
        assert s.retry_at_ms is None or abs(s.retry_at_ms - NOW) < 10**12
    shown = list(texts(snap))
    assert all(printable(text) == text for text in shown), [t for t in shown if printable(t) != t][:3]


def texts(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string a snapshot holds, in its dataclasses, tuples and dicts (keys too)."""
    if isinstance(value, str):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            if f.name not in (
                "event_id",
                "identity",
            ):  # compared and stored as the venue sent it, never shown
                yield from texts(getattr(value, f.name), depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from texts(k, depth + 1)
            yield from texts(v, depth + 1)
    elif isinstance(value, (tuple, list)) and depth < 8:
        for item in value:
            yield from texts(item, depth + 1)


def through_boundary(events: list[MarketEvent]) -> None:
    for e in events:
        problem(e, NOW)  # never raises, whatever the numbers
    assert_sane(engine_snapshot(events))


# -- the normalisers -----------------------------------------------------------------------------------------


def check_normalize(venue: str, liquidation: Any, market: Any) -> None:
    try:
        events = normalize(venue, liquidation, market)
    except MalformedLiquidation as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1_000  # one line, of a size a status bar can show
        assert printable(str(exc)) == str(exc)  # and no control character to act on the terminal
        event("malformed")
        return
    event(f"{len(events)} event(s)")
    assert all(isinstance(e, LiquidationEvent) for e in events)
    for e in events:
        assert math.isfinite(e.notional_usd) and math.isfinite(e.price) and e.price > 0
    through_boundary(list(events))


VENUE_CASE = st.sampled_from(sorted(RAW)).flatmap(
    lambda venue: st.tuples(st.just(venue), mostly(RAW[venue], HOSTILE_VALUE), STRUCTURE_EXTRA, MARKET)
)


# What the property test found, kept as fixed examples (each failed before its fix).
FOUND_VENUE_CASES: list[Any] = [
    ("binanceusdm", {**BINANCE, "z": 10**400}, {}, GOOD_MARKET),  # float(int): OverflowError
    ("bybit", {**BYBIT, "p": 10**5000}, {}, GOOD_MARKET),  # its repr in the message: ValueError
    ("okx", Nested(1_500), {}, GOOD_MARKET),  # its repr: RecursionError, or a message of 1,000+ characters
    ("bybit", {**BYBIT, "S": Nested(1_500)}, {}, GOOD_MARKET),  # str(side): RecursionError
    ("htx", {**HTX, "id": Nested(1_500)}, {}, GOOD_MARKET),  # str(id): RecursionError
    ("bybit", {**BYBIT, "v": "1e200", "p": "1e200"}, {}, GOOD_MARKET),  # notional inf: a plain ValueError
]


@HOSTILE
@given(VENUE_CASE)
@example(FOUND_VENUE_CASES[0])
@example(FOUND_VENUE_CASES[1])
@example(FOUND_VENUE_CASES[2])
@example(FOUND_VENUE_CASES[3])
@example(FOUND_VENUE_CASES[4])
@example(FOUND_VENUE_CASES[5])
def test_a_normaliser_raises_only_its_one_line_error(case: tuple[str, Any, dict[str, Any], Any]) -> None:
    venue, info, extra, market = case
    check_normalize(venue, ccxt_shaped(info, extra), market)
    parsed = ccxt_parsed(venue, info)
    if parsed is not None:
        good_market = {"symbol": BTC, "contractSize": CONTRACT_SIZE[venue], "inverse": False}
        check_normalize(venue, parsed, good_market)


@HOSTILE
@given(st.sampled_from(sorted(RAW)), HOSTILE_VALUE, st.one_of(MARKET, HOSTILE_VALUE))
def test_a_normaliser_takes_any_structure(venue: str, liquidation: Any, market: Any) -> None:
    check_normalize(venue, liquidation, market)


# -- Fear & Greed --------------------------------------------------------------------------------------------

FNG_ROW = raw_message(
    {
        "value": "14",
        "value_classification": "Extreme Fear",
        "timestamp": str(NOW // 1000 - 86_400),
        "time_until_update": "3600",
    }
)
FNG = st.one_of(
    HOSTILE_VALUE,
    st.builds(
        lambda data, meta: {"name": "Fear and Greed Index", "data": data, "metadata": meta},
        st.one_of(st.lists(FNG_ROW, min_size=1, max_size=4), HOSTILE_VALUE),
        st.one_of(st.just({"error": None}), HOSTILE_VALUE),
    ),
)


@HOSTILE
@given(FNG)
@example(10**5000)  # str(payload) in the message: ValueError
@example({"data": [{"value": math.inf, "timestamp": "1769913600"}]})  # int(inf): OverflowError
@example({"data": [{"value": "14", "timestamp": "1769913600", "time_until_update": 10**400}]})  # float(int)
@example({"data": [{"value": "14", "timestamp": 10**5000}]})  # the boundary check's message: ValueError
@example({"data": [{"value": "14", "timestamp": "1"}], "metadata": ["error"]})  # meta.get: AttributeError
@example(
    {"data": [{"value": "14", "value_classification": "a\x1b]2;PWNED\x07b", "timestamp": str(NOW // 1000)}]}
)
@example({"data": [{"value": "14", "timestamp": "1"}], "metadata": {"error": "\x1b[2J[/]"}})
def test_the_fear_and_greed_parser_raises_only_its_error(payload: Any) -> None:
    try:
        readings, until_s = parse_fng(payload)
    except FearGreedError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 1_000 and printable(str(exc)) == str(exc)
        return
    assert until_s is None or math.isfinite(until_s)
    assert readings and all(isinstance(r.value, int) and isinstance(r.ts_ms, int) for r in readings)
    through_boundary([SentimentUpdate("alternative.me", readings[-1], tuple(readings))])


# -- recordings ----------------------------------------------------------------------------------------------

FIELDS: dict[str, dict[str, Any]] = {
    "tick": {"source": "x", "symbol": BTC, "ts_ms": NOW, "price": 70_000.0},
    "candle": {
        "source": "x",
        "symbol": BTC,
        "ts_ms": NOW - 120_000,
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": 1.5,
        "volume": 3.0,
    },
    "liq": {
        "ts_ms": NOW,
        "venue": "Bybit",
        "symbol": BTC,
        "side": "long",
        "notional_usd": 1e5,
        "price": 70_000.0,
    },
    "deriv": {"source": "x", "symbol": BTC, "ts_ms": NOW, "funding_rate": 0.0001, "open_interest_usd": 1e9},
    "error": {
        "source": "x",
        "ts_ms": NOW,
        "message": "boom",
        "permanent": False,
        "retry_in_s": 5.0,
        "task": "",
        "feed": "",
    },
    "ok": {"source": "x", "ts_ms": NOW, "task": "", "data": True, "feed": ""},
    "cover": {"source": "x", "start_ms": NOW - 1_000, "end_ms": NOW},
    "sentiment": {"source": "alternative.me", "latest": [NOW, 14, "Fear"], "history": [[NOW, 14, "Fear"]]},
    "backfill": {
        "source": "x",
        "symbol": BTC,
        "candles_1m": {
            "ts_ms": [NOW - 180_000, 60_000],
            "open": [1.0, 1.0],
            "high": [2.0, 2.0],
            "low": [0.5, 0.5],
            "close": [1.5, 1.5],
            "volume": [1.0, 1.0],
        },
        "liquidations": [[NOW, "Bybit", BTC, "long", 1e5, 70_000.0]],
        "sentiment": None,
    },
}
LINE = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda tag: st.builds(
        lambda fields, at: {"at": at, "type": tag, **fields},
        raw_message(FIELDS[tag]),
        st.one_of(st.just(NOW), HUGE_INT, SCALAR),
    )
)
CANDLES = FIELDS["backfill"]["candles_1m"]
HEADER = {
    "format": "cockpit-recording",
    "version": 2,
    "source": "live",
    "symbol": BTC,
    "symbols": [BTC],
    "venues": ["Bybit"],
    "start_ms": NOW - 60_000,
    "sources": [["x", 10.0, False, False, ["Bybit"], [BTC]]],
}


def dumps(obj: Any) -> str:
    """JSON as Python writes it (NaN and Infinity included, as a hand-edited or foreign file may hold)."""
    try:
        return json.dumps(obj)
    except (ValueError, RecursionError):
        return '{"deep": ' + "[" * 5_000 + "]" * 5_000 + "}"  # what json.dumps cannot write, a file can


@HOSTILE
@given(st.one_of(LINE, HOSTILE_VALUE.map(lambda v: {"at": NOW, "type": "liq", "ts_ms": v})))
@example({"at": NOW, "type": "liq", "ts_ms": Nested(1_500)})  # repr in the message: RecursionError
@example({"at": NOW, "type": "liq", **FIELDS["liq"], "notional_usd": 10**400})  # float(): OverflowError
@example({"at": NOW, **FIELDS["backfill"], "type": "backfill", "candles_1m": {**CANDLES, "ts_ms": [10**30]}})
@example(
    {"at": NOW, **FIELDS["backfill"], "type": "backfill", "candles_1m": {**CANDLES, "open": [[1.0]] * 2}}
)
def test_decode_event_raises_only_what_it_documents(obj: dict[str, Any]) -> None:
    obj.pop("at")
    try:
        decoded = decode_event(obj)
    except (ValueError, KeyError, TypeError) as exc:
        assert "\n" not in str(exc)
        return
    event(type(decoded).__name__)
    through_boundary([decoded])


NUMBER = st.one_of(SPECIAL, st.floats(allow_nan=True, allow_infinity=True), st.integers())


def numbers_in(value: Any) -> st.SearchStrategy[Any]:
    """``value`` with each number in it (nested in lists and dicts too) sometimes replaced by any number."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return st.just(value)
    if isinstance(value, int | float):
        return mostly(st.just(value), NUMBER)
    if isinstance(value, list):
        return st.tuples(*(numbers_in(v) for v in value)).map(list)
    return st.fixed_dictionaries({k: numbers_in(v) for k, v in value.items()})


NUMERIC_LINE = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda tag: numbers_in(FIELDS[tag]).map(lambda fields: {"type": tag, **fields})
)


@HOSTILE
@given(NUMERIC_LINE)
@example({**FIELDS["error"], "type": "error", "retry_in_s": math.nan})  # int(nan) in the health: ValueError
@example({**FIELDS["error"], "type": "error", "retry_in_s": math.inf})  # OverflowError
@example({**FIELDS["error"], "type": "error", "retry_in_s": 1e300})  # a countdown of 1e300 s
@example({**FIELDS["tick"], "type": "tick", "price": 10**400})  # math.isfinite(int): OverflowError
@example(
    {**FIELDS["tick"], "type": "tick", "source": "x\x1b]2;PWNED\x07"}
)  # a name that retitles the terminal
@example(
    {**FIELDS["error"], "type": "error", "message": "\x1b[2J\x1b[5;5HZZZZ [/]"}
)  # an error that clears it
def test_no_recorded_number_reaches_a_snapshot_unchecked(obj: dict[str, Any]) -> None:
    """Every number of every recorded event, given any number (NaN, infinities, 2**63, 10**400, -0.0)."""
    try:
        decoded = decode_event(obj)
    except (ValueError, KeyError, TypeError) as exc:
        assert "\n" not in str(exc)
        return
    event(type(decoded).__name__)
    through_boundary([decoded])


@HOSTILE
@given(
    st.one_of(st.just(HEADER), raw_message(HEADER), HOSTILE_VALUE),
    st.lists(st.one_of(LINE, HOSTILE_VALUE), max_size=6),
    st.booleans(),
)
@example(header=Nested(5_000), lines=[], cut=False)  # json.loads: RecursionError
@example(header={**HEADER, "sources": [["x", 10**400, False, False]]}, lines=[], cut=False)  # OverflowError
@example(header={**HEADER, "sources": [["x", math.nan, False, False]]}, lines=[], cut=False)  # cadence NaN
@example(header=HEADER, lines=[Nested(5_000)], cut=False)  # RecursionError on an event line
@example(header=HEADER, lines=[{"at": 10**30, **FIELDS["tick"], "type": "tick"}], cut=False)  # no time
def test_read_recording_raises_only_recording_error(
    tmp_path_factory: Any, header: Any, lines: list[Any], cut: bool
) -> None:
    path: Path = tmp_path_factory.mktemp("rec") / "hostile.jsonl.gz"
    text = "".join(dumps(obj) + "\n" for obj in [header, *lines])
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text[: len(text) // 2] if cut else text)
    try:
        recording = read_recording(path)
    except RecordingError as exc:
        assert printable(str(exc)) == str(exc)
        return
    assert recording.error is None or printable(recording.error) == recording.error
    assert all(isinstance(at, int) for at, _ in recording.events)
    assert all(math.isfinite(s.cadence_s) and s.cadence_s > 0 for s in recording.header.sources)
    through_boundary([e for _, e in recording.events])
