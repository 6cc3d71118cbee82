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

import contextlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import MutableMapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import tomlkit
from cockpit.themes import COCKPIT_VARIABLES, THEMES
from textual.color import Color, ColorParseError
from textual.theme import Theme
from tomlkit.exceptions import TOMLKitError

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
    """Write ``[ui] theme`` into the config file in use (created if running on defaults); returns the path.

    Edited with tomlkit, which keeps every other byte (comments, spacing, quoting, multi-line strings) and
    knows every way TOML can spell the key (``[ui]``, ``ui = {...}``, ``ui.theme = ...``, ``"theme"``):
    editing lines by hand wrote a second ``[ui]`` for some of them, and the next start refused the file.
    A symlinked config is written where the link points (the link stays) and keeps its mode. The edit is
    atomic (temp file + rename), so a crash never leaves half a config. ``ConfigError`` when the file is not
    TOML the edit can be made in (it is then left untouched), ``OSError`` when it cannot be written.
    """
    path = Path(config_source) if config_source and not config_source.startswith("<") else user_config_path()
    target = Path(os.path.realpath(path))
    try:  # bytes, not read_text: universal newlines would turn a CRLF file into LF
        text = target.read_bytes().decode("utf-8") if target.exists() else ""
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8, theme {theme!r} not saved: {exc}") from None
    _write_atomic(target, _with_theme(path, text, theme))
    return path


def _with_theme(path: Path, text: str, theme: str) -> str:
    """``text`` with ``ui.theme`` set, checked by parsing the result the way the next start will."""
    try:
        doc = tomlkit.parse(text)
        ui = doc.get("ui")
        if ui is None:
            ui = tomlkit.table()
            doc.append("ui", ui)
        if not isinstance(ui, MutableMapping):
            raise ConfigError(f"{path}: [ui] is not a table; theme {theme!r} not saved")
        ui["theme"] = theme
        out = tomlkit.dumps(doc)
        saved = tomllib.loads(out).get("ui", {}).get("theme")
    except (TOMLKitError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML, theme {theme!r} not saved: {exc}") from None
    if saved != theme:  # never write a file the next start would read differently
        raise ConfigError(f"{path}: could not set [ui] theme; theme {theme!r} not saved")
    return out


def _write_atomic(target: Path, text: str) -> None:
    """Replace ``target``'s contents by renaming a temp file over it, with the mode it had.

    A new file is private (0600, mkstemp's mode): a config may hold a webhook URL or a command line.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
