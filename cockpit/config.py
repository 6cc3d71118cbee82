"""config.toml -> frozen dataclasses, validated strictly.

Looked up as ``--config PATH``, then ``$COCKPIT_CONFIG``, then ``~/.config/cockpit/config.toml`` (honouring
``$XDG_CONFIG_HOME``), then the built-in defaults. Every problem is one line naming the file, the line, the
table and the key: ``config.toml:12: [engine] snapshot_hz must be a number in (0, 60], got "fast"``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from cockpit.analytics.fibonacci import FIB_RATIOS
from cockpit.analytics.pipeline import AnalyticsConfig
from cockpit.keymap import BINDING_IDS, BindingError, check_bindings, parse_keys
from cockpit.text.excerpt import excerpt
from cockpit.text.safety import printable
from cockpit.venues import VENUE_IDS

TIMEFRAMES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")
TIMEFRAME_MS: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}
# Longer bars carry more information each, so fewer are needed on each side to call a pivot.
DEFAULT_SWING_LENGTH: dict[str, int] = {"1m": 10, "5m": 8, "15m": 6, "1h": 5, "4h": 4, "1d": 3}


class ConfigError(Exception):
    """A config problem, already phrased as the one line the user sees."""


def _spec(
    kind: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    choices: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {"kind": kind, "lo": lo, "hi": hi, "lo_open": lo_open, "choices": choices}


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """[analytics]: parameters of the levels."""

    rsi_period: int = field(default=14, metadata=_spec("int", 2, 500))
    fvg_min_rel_size: float = field(default=0.0005, metadata=_spec("float", 0, 0.5))
    zone_tolerance: float = field(default=0.004, metadata=_spec("float", 0, 0.5, lo_open=True))
    atr_period: int = field(default=14, metadata=_spec("int", 1, 500))
    invalidation_atr: float = field(default=1.0, metadata=_spec("float", 0, 20))
    swing_length: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_SWING_LENGTH), metadata=_spec("swing_lengths")
    )

    def for_timeframe(self, timeframe: str, swing_length: int | None = None) -> AnalyticsConfig:
        """The analytics parameters for one timeframe (an explicit swing length wins)."""
        return AnalyticsConfig(
            rsi_period=self.rsi_period,
            swing_length=swing_length or self.swing_length[timeframe],
            fib_ratios=FIB_RATIOS,
            fvg_min_rel_size=self.fvg_min_rel_size,
            zone_tolerance=self.zone_tolerance,
            atr_period=self.atr_period,
            invalidation_atr=self.invalidation_atr,
        )


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """[engine]: how often the UI gets a snapshot and which timeframe the levels use."""

    snapshot_hz: float = field(default=10.0, metadata=_spec("float", 0, 60, lo_open=True))
    levels_timeframe: str = field(default="1h", metadata=_spec("choice", choices=TIMEFRAMES))
    stale_after_cadences: float = field(default=3.0, metadata=_spec("float", 1, 100))
    # A venue's liquidation feed with none for this long while the other venues had this many is stale.
    silent_liquidations_s: float = field(default=900.0, metadata=_spec("float", 0, 86_400))
    silent_liquidations_peers: int = field(default=300, metadata=_spec("int", 0, 1_000_000))


TAPE_MINIMUMS: tuple[str, ...] = ("all", "10K", "100K", "1M")
TAPE_MIN_USD: dict[str, float] = {"all": 0.0, "10K": 10_000.0, "100K": 100_000.0, "1M": 1_000_000.0}


@dataclass(frozen=True, slots=True)
class LiquidationSettings:
    """[liquidations]: the tape and the cascade detector."""

    cascade_factor: float = field(default=3.0, metadata=_spec("float", 1, 100))
    tape_rows: int = field(default=200, metadata=_spec("int", 10, 5000))
    largest_count: int = field(default=5, metadata=_spec("int", 1, 50))
    # The tape's minimum print at start ("m" cycles it): every print, or $10K, $100K, $1M and up.
    tape_min: str = field(default="all", metadata=_spec("choice", choices=TAPE_MINIMUMS))


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """[history]: liquidations kept on disk so the windows are whole after a restart (live only)."""

    enabled: bool = field(default=True, metadata=_spec("bool"))
    store: str = field(default="", metadata=_spec("str"))  # "" = $XDG_DATA_HOME/cockpit/history.db
    retention_days: float = field(default=7.0, metadata=_spec("float", 1, 365))
    max_mb: float = field(default=200.0, metadata=_spec("float", 1, 100_000))


@dataclass(frozen=True, slots=True)
class UiSettings:
    """[ui]: what the screen starts with."""

    chart_timeframe: str = field(default="1h", metadata=_spec("choice", choices=TIMEFRAMES))
    rsi_timeframe: str = field(default="4h", metadata=_spec("choice", choices=TIMEFRAMES))
    theme: str = field(default="cockpit-dark", metadata=_spec("str"))
    chart_hz: float = field(default=2.0, metadata=_spec("float", 0, 30, lo_open=True))
    chart_fvg_min_pct: float = field(default=0.05, metadata=_spec("float", 0, 10))
    max_fps: int = field(default=0, metadata=_spec("int", 0, 120))
    colors: str = field(default="auto", metadata=_spec("choice", choices=("auto", "truecolor", "256", "16")))
    glyphs: str = field(default="auto", metadata=_spec("choice", choices=("auto", "unicode", "ascii")))


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """[demo]: the built-in simulated market."""

    seed: int = field(default=20260202, metadata=_spec("int", 0, 2**63 - 1))
    speed: float = field(default=1.0, metadata=_spec("float", 0, 10_000, lo_open=True))


@dataclass(frozen=True, slots=True)
class VenueSettings:
    """[venues.<ccxt id>]: one exchange."""

    enabled: bool = field(default=True, metadata=_spec("bool"))
    # With market_wide (the default) these are only made sure of: followed even if not among the most active.
    symbols: tuple[str, ...] = field(default=("BTC/USDT:USDT",), metadata=_spec("symbols"))
    # Liquidations of every USDT/USDC-margined linear perpetual the venue lists, not only ``symbols``
    # (sources/venues/market_wide.py says how each venue is covered).
    market_wide: bool = field(default=True, metadata=_spec("bool"))
    # Venues without an all-market feed (bybit's stream, htx's per-contract history) follow this many of
    # their perpetuals, the most active by 24 h turnover, re-ranked every hour.
    top_n: int = field(default=100, metadata=_spec("int", 1, 1000))
    # gate, htx with market_wide: also read the venue's all-market liquidation websocket (see
    # sources/venues/market_stream.py: HTX's REST polls then run only while it is down; Gate's keep going).
    stream: bool = field(default=True, metadata=_spec("bool"))
    liquidations_poll_s: float = field(default=10.0, metadata=_spec("float", 1, 3600))
    candles_poll_s: float = field(default=15.0, metadata=_spec("float", 1, 3600))
    derivatives_poll_s: float = field(default=60.0, metadata=_spec("float", 5, 86_400))
    backoff_max_s: float = field(default=60.0, metadata=_spec("float", 1, 3600))
    timeout_s: float = field(default=10.0, metadata=_spec("float", 0.1, 120))
    ws_keepalive_s: float = field(default=15.0, metadata=_spec("float", 0.5, 600))
    # Streaming venues: how many liquidations ccxt keeps between two reads (ccxt's own default is 1,000);
    # sources/venues/cache_reader.py says why this size and what it costs.
    liquidations_cache: int = field(default=10_000, metadata=_spec("int", 1_000, 1_000_000))
    rest_url: str = field(default="", metadata=_spec("str"))  # "" = the venue's own; tests point at fakes
    ws_url: str = field(default="", metadata=_spec("str"))


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """[live]: which market the cockpit follows and which venue's price and candles it shows."""

    symbol: str = field(default="BTC/USDT:USDT", metadata=_spec("str"))  # on the chart at start
    # The watchlist: first in the symbol picker (`s`) and the palette; any perpetual can be charted.
    symbols: tuple[str, ...] = field(
        default=("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"), metadata=_spec("symbols")
    )
    price_venue: str = field(default="binanceusdm", metadata=_spec("choice", choices=VENUE_IDS))
    backfill_minutes: int = field(default=10_080, metadata=_spec("int", 60, 20_000))  # a week of 1m


@dataclass(frozen=True, slots=True)
class SentimentSettings:
    """[sentiment]: the Crypto Fear & Greed Index."""

    enabled: bool = field(default=True, metadata=_spec("bool"))
    url: str = field(default="https://api.alternative.me/fng/", metadata=_spec("str"))
    poll_max_s: float = field(default=3600.0, metadata=_spec("float", 1, 86_400))
    history_days: int = field(default=31, metadata=_spec("int", 2, 3000))


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    """[alarms]: defaults of level alarms, where they are stored and how a firing is announced."""

    hysteresis_pct: float = field(default=0.05, metadata=_spec("float", 0, 10))
    cooldown_s: float = field(default=60.0, metadata=_spec("float", 0, 86_400))
    rearm: bool = field(default=True, metadata=_spec("bool"))
    store: str = field(default="", metadata=_spec("str"))  # "" = $XDG_DATA_HOME/cockpit/alarms.db
    bell: bool = field(default=True, metadata=_spec("bool"))
    osc: bool = field(default=True, metadata=_spec("bool"))
    notify_command: tuple[str, ...] = field(default=(), metadata=_spec("argv"))
    webhook: str = field(default="", metadata=_spec("url"))
    notify_timeout_s: float = field(default=5.0, metadata=_spec("float", 0.1, 120))


@dataclass(frozen=True, slots=True)
class BusSettings:
    """[bus]: a NATS broker the daemon publishes on and viewers attach through (cockpit/bus/). Secrets
    are named by file only: never on a command line, a screen or in a log."""

    url: str = field(default="", metadata=_spec("broker"))  # "" = no bus
    token_file: str = field(default="", metadata=_spec("str"))
    creds_file: str = field(default="", metadata=_spec("str"))  # a NATS .creds file (JWT + nkey seed)
    tls_ca: str = field(default="", metadata=_spec("str"))
    tls_cert: str = field(default="", metadata=_spec("str"))
    tls_key: str = field(default="", metadata=_spec("str"))
    subject_prefix: str = field(default="cockpit", metadata=_spec("subject"))
    # The shared secret alarm changes (and what the daemon publishes) are signed with (HMAC-SHA256).
    secret_file: str = field(default="", metadata=_spec("str"))


def _default_venues() -> dict[str, VenueSettings]:
    return {v: VenueSettings() for v in VENUE_IDS}


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; passed into whatever needs it, never global."""

    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    liquidations: LiquidationSettings = field(default_factory=LiquidationSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    ui: UiSettings = field(default_factory=UiSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    sentiment: SentimentSettings = field(default_factory=SentimentSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    bus: BusSettings = field(default_factory=BusSettings)
    venues: dict[str, VenueSettings] = field(default_factory=_default_venues)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key(s), e.g. {"maximize": "m"}
    source: str = field(default="<defaults>", compare=False)


SECTIONS: dict[str, type] = {
    "analytics": AnalyticsSettings,
    "engine": EngineSettings,
    "liquidations": LiquidationSettings,
    "history": HistorySettings,
    "ui": UiSettings,
    "demo": DemoSettings,
    "live": LiveSettings,
    "sentiment": SentimentSettings,
    "alarms": AlarmSettings,
    "bus": BusSettings,
}


def user_config_path() -> Path:
    """Where the user's config lives ($XDG_CONFIG_HOME/cockpit/config.toml)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cockpit" / "config.toml"


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """--config, then $COCKPIT_CONFIG, then the user's file if it exists, else None (defaults)."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("COCKPIT_CONFIG")
    if env:
        return Path(env)
    candidate = user_config_path()
    return candidate if candidate.exists() else None


# A config is a page of settings; a megabyte is far beyond any real one, and /dev/zero never ends.
MAX_CONFIG_BYTES = 1 << 20


def _read_config_text(path: Path, name: str) -> str:
    """The file's text, read at most MAX_CONFIG_BYTES; ``ConfigError`` naming the file otherwise."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_CONFIG_BYTES // 1024} KB: not a config file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{name}:{line}: byte 0x{raw[exc.start]:02x} is not valid UTF-8") from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the config the lookup order finds; ``ConfigError`` (one line) on any problem."""
    resolved = resolve_config_path(path)
    if resolved is None:
        return Config()
    name = str(resolved)
    text = _read_config_text(resolved, name)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{name}: invalid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = f":{m.group(1)}" if m else ""
        reason = str(exc)[: m.start()].strip() if m else str(exc)
        raise ConfigError(f"{name}{line}: invalid TOML: {reason}") from None
    return _parse(data, _Where(name, text))


@dataclass(frozen=True, slots=True)
class _Where:
    name: str
    text: str

    def at(self, table: str, key: str) -> str:
        """'file:line: [table] key' with the line where the key is written, when it can be found."""
        line = _line_of(self.text, table, key)
        prefix = f"{self.name}:{line}" if line else self.name
        key = key if _clean(key) else excerpt(key)
        return f"{prefix}: [{table}] {key}" if table else f"{prefix}: {key}"


def _line_of(text: str, table: str, key: str) -> int | None:
    current = ""
    header = re.compile(r"^\s*\[([^\]]+)\]")
    assign = re.compile(r'^\s*["\']?' + re.escape(key) + r'["\']?\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = m.group(1).strip()
            if not table and current == key:
                return number
            continue
        if current == table and assign.match(line):
            return number
    return None


def _parse(data: dict[str, Any], where: _Where) -> Config:
    parts: dict[str, Any] = {}
    for section, value in data.items():
        if section == "keys":
            parts["keys"] = _keys(value, where)
        elif section == "venues":
            parts["venues"] = _venues(value, where)
        elif section in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where.at('', section)} must be a table")
            parts[section] = _section(section, SECTIONS[section], value, where)
            if section == "bus":
                _check_bus(parts[section], where)
        else:
            raise ConfigError(
                f"{where.at('', section)} is not a known section ({', '.join([*SECTIONS, 'keys'])})"
            )
    return Config(**parts, source=where.name)


def _section(name: str, cls: type, table: dict[str, Any], where: _Where) -> Any:
    specs = {f.name: f.metadata for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in specs:
            raise ConfigError(f"{where.at(name, key)} is not a known key (known: {', '.join(specs)})")
        values[key] = _value(name, key, value, specs[key], where)
    return cls(**values)


def _value(table: str, key: str, value: Any, spec: Any, where: _Where) -> Any:
    at = where.at(table, key)
    kind = spec["kind"]
    texts = value if isinstance(value, list) else [value]
    # Line breaks and tabs pass (multi-line strings are valid TOML, shown as spaces); other controls do not.
    if any(isinstance(v, str) and not _clean(v.replace("\n", " ").replace("\t", " ")) for v in texts):
        # Settings are shown on the terminal (theme names, symbols, paths): control characters act on it.
        raise ConfigError(f"{at} holds a control character: {_show(value)}")
    if kind == "swing_lengths":
        return _swing_lengths(value, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{at} must be true or false, got {_show(value)}")
        return value
    if kind == "symbols":
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            raise ConfigError(f'{at} must be a list of symbols such as ["BTC/USDT:USDT"], got {_show(value)}')
        return tuple(value)
    if kind == "argv":
        strings = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not (strings and (not value or value[0])):
            raise ConfigError(
                f'{at} must be a list of strings such as ["notify-send", "cockpit"], got {_show(value)}'
            )
        return tuple(value)
    if kind in ("broker", "subject"):
        return _bus_value(at, kind, value)
    if kind == "url":
        if not isinstance(value, str) or (value and not re.match(r"https?://[^\s/]+", value)):
            raise ConfigError(f'{at} must be "" or an http(s):// URL, got {_show(value)}')
        return value
    if kind in ("str", "choice"):
        if not isinstance(value, str) or (spec["choices"] and value not in spec["choices"]):
            allowed = f"one of {', '.join(spec['choices'])}" if spec["choices"] else "a string"
            raise ConfigError(f"{at} must be {allowed}, got {_show(value)}")
        return value
    is_int = isinstance(value, int) and not isinstance(value, bool)
    ok = is_int or (kind == "float" and isinstance(value, float))
    lo, hi = spec["lo"], spec["hi"]
    in_range = ok and (value > lo if spec["lo_open"] else value >= lo) and value <= hi
    if not in_range:
        noun = "a whole number" if kind == "int" else "a number"
        bracket = "(" if spec["lo_open"] else "["
        raise ConfigError(f"{at} must be {noun} in {bracket}{lo:g}, {hi:g}], got {_show(value)}")
    return float(value) if kind == "float" else int(value)


def _bus_value(at: str, kind: str, value: Any) -> str:
    """[bus] url (no user:password@ in it: credentials come from files) and subject_prefix."""
    if kind == "broker":
        if not isinstance(value, str) or (value and not re.match(r"(?:nats|tls)://[^\s/@]+/?$", value)):
            raise ConfigError(f'{at} must be "" or nats://host:port or tls://host:port, got {_show(value)}')
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*", value):
        raise ConfigError(
            f'{at} must be NATS subject tokens such as "cockpit" or "desk.a", got {_show(value)}'
        )
    return value


def _check_bus(bus: BusSettings, where: _Where) -> None:
    """The [bus] keys that only make sense together."""
    if bus.token_file and bus.creds_file:
        raise ConfigError(f"{where.at('bus', 'creds_file')}: give token_file or creds_file, not both")
    if bool(bus.tls_cert) != bool(bus.tls_key):
        key = "tls_key" if bus.tls_cert else "tls_cert"
        raise ConfigError(f"{where.at('bus', key)}: tls_cert and tls_key go together (a client certificate)")


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) and _clean(value) else excerpt(value)


def _clean(text: str) -> bool:
    """No character that would act on a terminal (what `printable` would change)."""
    return printable(text) == text


def _venues(value: Any, where: _Where) -> dict[str, VenueSettings]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where.at('', 'venues')} must be a table of [venues.<ccxt id>] tables")
    venues = _default_venues()
    for venue, table in value.items():
        if venue not in VENUE_IDS:
            at = where.at("", f"venues.{venue}")
            raise ConfigError(f"{at} is not a supported venue (one of {', '.join(VENUE_IDS)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{where.at('', f'venues.{venue}')} must be a table")
        venues[venue] = _section(f"venues.{venue}", VenueSettings, table, where)
    return venues


def _swing_lengths(value: Any, where: _Where) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where.at('analytics', 'swing_length')} must be a table of timeframe = bars")
    lengths = dict(DEFAULT_SWING_LENGTH)
    spec = _spec("int", 1, 200)
    for tf, bars in value.items():
        if tf not in TIMEFRAMES:
            at = where.at("analytics.swing_length", tf)
            raise ConfigError(f"{at} is not a timeframe (one of {', '.join(TIMEFRAMES)})")
        lengths[tf] = _value("analytics.swing_length", tf, bars, spec, where)
    return lengths


def _keys(value: Any, where: _Where) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where.at('', 'keys')} must be a table of binding id = key")
    out: dict[str, str] = {}
    for binding, keys in value.items():
        if binding not in BINDING_IDS:
            raise ConfigError(
                f"{where.at('keys', binding)} is not a binding id (one of {', '.join(sorted(BINDING_IDS))})"
            )
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(
                f'{where.at("keys", binding)} must be a key name such as "m" or "ctrl+m", got {_show(keys)}'
            )
        try:
            parse_keys(keys)
        except BindingError as exc:
            raise ConfigError(f"{where.at('keys', binding)}: {exc}") from None
        out[binding] = keys
    try:
        check_bindings(out)
    except BindingError as exc:  # the binding the user moved onto another's key is named first
        raise ConfigError(f"{where.at('keys', exc.binding)}: {exc}") from None
    return out
