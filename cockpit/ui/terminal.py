"""Fitting the terminal the cockpit runs in: frame rate (lower over SSH), colour depth, ASCII glyphs.

Decided from config and environment once at start, before Textual is imported (it reads its frame rate
and colour system from the environment on import), so nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Mapping

LOCAL_FPS = 30
SSH_FPS = 10  # every frame crosses the network: a 120x40 cockpit needs no more than this


def over_ssh(env: Mapping[str, str]) -> bool:
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))


def frame_rate(setting: int, env: Mapping[str, str]) -> int:
    """Frames per second at most: the config's ``[ui] max_fps``, or (0) 10 over SSH and 30 locally."""
    if setting > 0:
        return setting
    return SSH_FPS if over_ssh(env) else LOCAL_FPS


RICH_COLOR_SYSTEM = {"truecolor": "truecolor", "256": "256", "16": "standard", "none": "standard"}


def ascii_wanted(setting: str, env: Mapping[str, str]) -> bool:
    """``[ui] glyphs``: "ascii", "unicode", or "auto" (ASCII when the locale is not UTF-8)."""
    if setting != "auto":
        return setting == "ascii"
    locale = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    return bool(locale) and "utf" not in locale.lower().replace("-", "")
