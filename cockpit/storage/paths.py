"""Where the cockpit keeps its files: the data directory and the database files in it."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """$COCKPIT_DATA_DIR, else $XDG_DATA_HOME/cockpit, else ~/.local/share/cockpit."""
    explicit = os.environ.get("COCKPIT_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cockpit"


def resolve_store(setting: str, config_source: str, default_name: str, *, demo: bool) -> Path:
    """A database file: the config's path (relative to the config file) or ``default_name`` in the data
    dir; ``-demo`` is added to the name for the simulated market."""
    if setting:
        path = Path(setting).expanduser()
        if not path.is_absolute() and config_source and not config_source.startswith("<"):
            path = Path(config_source).parent / path
    else:
        path = data_dir() / default_name
    return path.with_name(f"{path.stem}-demo{path.suffix}") if demo else path
