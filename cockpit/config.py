"""config.toml -> frozen dataclasses, validated strictly: unknown keys and bad values name file, line, key."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from cockpit.analytics.fibonacci import FIB_RATIOS
from cockpit.analytics.pipeline import AnalyticsConfig

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


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """The [analytics] table."""

    rsi_period: int = 14
    fvg_min_rel_size: float = 0.0005
    zone_tolerance: float = 0.004
    atr_period: int = 14
    invalidation_atr: float = 1.0
    swing_length: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SWING_LENGTH))

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
class Config:
    """The whole configuration; passed into whatever needs it, never global."""

    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    source: str = "<defaults>"


def default_config_path() -> Path:
    """Where the user's config lives ($XDG_CONFIG_HOME/cockpit/config.toml)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cockpit" / "config.toml"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load an explicit file, else the user's file if it exists, else the defaults."""
    if path is None:
        candidate = default_config_path()
        if not candidate.exists():
            return Config()
        path = candidate
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None
    return _parse(data, _Where(name, text))


@dataclass(frozen=True, slots=True)
class _Where:
    name: str
    text: str

    def at(self, table: str, key: str) -> str:
        """'file: line N, key table.key' with the line where the key is written, when it can be found."""
        line = _line_of(self.text, table, key)
        where = f"line {line}, " if line else ""
        dotted = f"{table}.{key}" if table else key
        return f"{self.name}: {where}key '{dotted}'"


def _line_of(text: str, table: str, key: str) -> int | None:
    current = ""
    header = re.compile(r"^\s*\[([^\]]+)\]")
    assign = re.compile(r'^\s*"?' + re.escape(key) + r'"?\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = m.group(1).strip()
            continue
        if current == table and assign.match(line):
            return number
    return None


def _parse(data: dict[str, Any], where: _Where) -> Config:
    known = {"analytics"}
    for key in data:
        if key not in known:
            raise ConfigError(f"{where.at('', key)}: unknown section or key")
    return Config(analytics=_analytics(data.get("analytics", {}), where), source=where.name)


def _analytics(table: dict[str, Any], where: _Where) -> AnalyticsSettings:
    d = AnalyticsSettings()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "swing_length":
            values[key] = _swing_lengths(value, where)
        elif key in ("rsi_period", "atr_period"):
            values[key] = _number(value, where.at("analytics", key), int, minimum=1)
        elif key in ("fvg_min_rel_size", "zone_tolerance", "invalidation_atr"):
            values[key] = float(_number(value, where.at("analytics", key), float, minimum=0.0))
        else:
            raise ConfigError(f"{where.at('analytics', key)}: unknown key")
    if values.get("zone_tolerance", d.zone_tolerance) <= 0:
        raise ConfigError(f"{where.at('analytics', 'zone_tolerance')}: must be > 0")
    return AnalyticsSettings(**{**_fields(d), **values})


def _fields(s: AnalyticsSettings) -> dict[str, Any]:
    return {name: getattr(s, name) for name in AnalyticsSettings.__slots__}


def _swing_lengths(value: Any, where: _Where) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where.at('analytics', 'swing_length')}: must be a table of timeframe = bars")
    lengths = dict(DEFAULT_SWING_LENGTH)
    for tf, bars in value.items():
        if tf not in TIMEFRAMES:
            at = where.at("analytics.swing_length", tf)
            raise ConfigError(f"{at}: unknown timeframe (one of {', '.join(TIMEFRAMES)})")
        lengths[tf] = int(_number(bars, where.at("analytics.swing_length", tf), int, minimum=1))
    return lengths


def _number(value: Any, at: str, kind: type, minimum: float) -> float:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        ok = ok or isinstance(value, float)
    if not ok:
        raise ConfigError(f"{at}: expected {'an integer' if kind is int else 'a number'}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{at}: must be >= {minimum:g}, got {value!r}")
    return float(value) if kind is float else int(value)
