"""config.toml -> the frozen settings (``settings``), validated strictly.

Looked up as ``--config PATH``, then ``$COCKPIT_CONFIG``, then ``~/.config/cockpit/config.toml`` (honouring
``$XDG_CONFIG_HOME``), then the built-in defaults. Every problem is one line naming the file, the line, the
table and the key: ``config.toml:12: [engine] snapshot_hz must be a number in (0, 60], got "fast"``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from cockpit.config.settings import (
    DEFAULT_SWING_LENGTH,
    SECTIONS,
    TIMEFRAMES,
    BusSettings,
    Config,
    ConfigError,
    VenueSettings,
    default_venues,
    spec,
)
from cockpit.keymap import BINDING_IDS, BindingError, check_bindings, parse_keys
from cockpit.text.excerpt import excerpt
from cockpit.text.safety import printable
from cockpit.venues import VENUE_IDS


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
    venues = default_venues()
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
    bars_spec = spec("int", 1, 200)
    for tf, bars in value.items():
        if tf not in TIMEFRAMES:
            at = where.at("analytics.swing_length", tf)
            raise ConfigError(f"{at} is not a timeframe (one of {', '.join(TIMEFRAMES)})")
        lengths[tf] = _value("analytics.swing_length", tf, bars, bars_spec, where)
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
