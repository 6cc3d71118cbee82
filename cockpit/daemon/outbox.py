"""The one rule every path from the daemon to a screen keeps: a snapshot that replaces one not yet shown
takes over its news, so a slow or briefly cut-off viewer skips frames, never prints or firings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Protocol

from cockpit.engine.engine import View
from cockpit.engine.market_state import News
from cockpit.models import Snapshot

NEWS_KEPT = 5_000  # liquidations a skipped frame hands on at most (the tape shows far fewer)


def carry_news(old: Snapshot | None, snap: Snapshot) -> Snapshot:
    """``snap`` with the liquidations and firings of ``old`` (unsent) before its own."""
    if old is None or not (old.new_liquidations or old.fired_alarms):
        return snap
    liqs = (old.new_liquidations + snap.new_liquidations)[-NEWS_KEPT:]
    return replace(snap, new_liquidations=liqs, fired_alarms=old.fired_alarms + snap.fired_alarms)


class Outlet(Protocol):
    """Somewhere else the daemon's moments go (the NATS bus): the views it wants drawn, and each
    moment's news and frames handed over without waiting (the outlet sends on its own task)."""

    def views(self) -> Collection[View]: ...

    def publish(self, news: News, frames: dict[View, Snapshot]) -> None: ...
