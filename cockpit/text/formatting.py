"""Number and time formatting shared by the widgets, the CLI and snapshots (no Textual)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.models import ReplayInfo


def usd(value: float | None, *, lower_bound: bool = False) -> str:
    """Compact dollars: $950, $12.3K, $144.2M, $1.05B; '≥' marks totals from sampled feeds."""
    if value is None:
        return "—"
    prefix = "≥" if lower_bound else ""
    a = abs(value)
    sign = "-" if value < 0 else ""
    if a >= 1e9:
        body = f"{a / 1e9:.2f}B"
    elif a >= 1e6:
        body = f"{a / 1e6:.1f}M"
    elif a >= 1e3:
        body = f"{a / 1e3:.1f}K"
    else:
        body = f"{a:.0f}"
    return f"{prefix}{sign}${body}"


def price(value: float | None) -> str:
    """Prices with thousands separators; decimals shrink as the price grows."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.5f}"


def pct(value: float | None, *, signed: bool = True) -> str:
    """Percent with one decimal place, signed by default; '—' when unknown."""
    if value is None:
        return "—"
    return f"{value:+.2f}%" if signed else f"{value:.1f}%"


def interval(hours: float | None) -> str:
    """A funding interval as venues name it: 8h, 4h, 30m; '' when unknown."""
    if hours is None:
        return ""
    if hours >= 1 and float(hours).is_integer():
        return f"{hours:.0f}h"
    return f"{hours * 60:.0f}m" if hours < 1 else f"{hours:g}h"


def clock(ts_ms: int) -> str:
    """HH:MM:SS in UTC."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc).strftime("%H:%M:%S")


def stamp(ts_ms: int) -> str:
    """YYYY-MM-DD HH:MM UTC."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def replay_badge(info: ReplayInfo) -> str:
    """The REPLAY badge: position / length of the recording, then the speed or "paused"."""
    state = "paused" if info.paused else f"{info.speed:g}x"
    return f"REPLAY {_hms(info.position_s)}/{_hms(info.length_s)} {state}"


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
