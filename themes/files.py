"""User themes from TOML files, and remembering the chosen theme in the config file.

A theme file (``<config dir>/themes/NAME.toml``) starts from a built-in theme and overrides colours::

    name = "solarized"
    base = "cockpit-dark"        # optional; colours not given come from it
    dark = true                  # optional
    [colors]                     # primary secondary accent warning error success foreground background
    primary = "#RRGGBB"          # surface panel
    [variables]                  # the cockpit's own: bull bear fib-level fvg support resistance ...
    bull = "#RRGGBB"

Any problem is a ``ConfigError`` naming the file and key, so start-up stops with one line.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from cockpit.themes import COCKPIT_VARIABLES, THEMES
from textual.color import Color, ColorParseError
from textual.theme import Theme

from cockpit.config import ConfigError, user_config_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASE_COLORS: tuple[str, ...] = ("primary", "secondary", "accent", "warning", "error", "success")
BASE_COLORS += ("foreground", "background", "surface", "panel")


def config_dir(config_source: str) -> Path:
    """The folder of the config file in use (the user's config folder when running on defaults)."""
    if config_source and not config_source.startswith("<"):
        return Path(config_source).parent
    return user_config_path().parent


def load_user_themes(directory: Path) -> list[Theme]:
    """Every ``*.toml`` in ``directory`` as a Theme (none if the folder does not exist)."""
    if not directory.is_dir():
        return []
    return [_load(path) for path in sorted(directory.glob("*.toml"))]


def _load(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    allowed = {"name", "base", "dark", "colors", "variables"}
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{path}: unknown key {key!r} (expected one of {', '.join(sorted(allowed))})")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", name):
        raise ConfigError(f"{path}: name must be lowercase letters, digits, - or _, got {name!r}")
    base_name = data.get("base", "cockpit-dark")
    base = THEMES.get(base_name) if isinstance(base_name, str) else None
    if base is None:
        raise ConfigError(f"{path}: base must be one of {', '.join(THEMES)}, got {base_name!r}")
    dark = data.get("dark", base.dark)
    if not isinstance(dark, bool):
        raise ConfigError(f"{path}: dark must be true or false, got {dark!r}")
    colors = _colors(path, data.get("colors", {}), "colors", BASE_COLORS)
    variables = _colors(path, data.get("variables", {}), "variables", COCKPIT_VARIABLES)
    merged: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(Theme)}
    merged.update(colors)
    merged["variables"] = {**base.variables, **variables}
    merged.update(name=name, dark=dark)
    return Theme(**merged)


def _colors(path: Path, table: object, section: str, known: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{section}] must be a table")
    out = {}
    for key, value in table.items():
        if key not in known:
            expected = ", ".join(known)
            raise ConfigError(f"{path}: [{section}] unknown colour {key!r} (expected one of {expected})")
        try:
            Color.parse(value)
        except (ColorParseError, TypeError, ValueError):
            raise ConfigError(f"{path}: [{section}] {key} is not a colour: {value!r}") from None
        out[key] = value
    return out


def remember_theme(config_source: str, theme: str) -> Path:
    """Write ``[ui] theme`` into the config file in use (created if running on defaults), keeping every
    other line as it was; atomic (temp file + rename), so a crash never leaves half a config."""
    path = Path(config_source) if config_source and not config_source.startswith("<") else user_config_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line = f'theme = "{theme}"'
    lines = text.splitlines()
    section = None
    ui_at = None
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if stripped.startswith("["):
            section = stripped.strip("[] ")
            if section == "ui":
                ui_at = i
            continue
        if section == "ui" and re.match(r"theme\s*=", stripped):
            comment = raw[raw.index("#") :] if "#" in raw.split("=", 1)[1] else ""
            lines[i] = f"{line}{'  ' + comment if comment else ''}"
            break
    else:
        if ui_at is None:
            lines += ([""] if lines else []) + ["[ui]", line]
        else:
            lines.insert(ui_at + 1, line)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path
