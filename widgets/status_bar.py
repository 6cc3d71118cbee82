"""The status bar: SIMULATED badge, every source's state, and the market clock."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.quiet_update import RowStatic, update_quietly
from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive

from cockpit.models import DATA, Snapshot, SourceStatus
from cockpit.text import formatting as fmt

STATE_STYLE = {"ok": "$success", "stale": "$stale", "error": "$error", "starting": "$muted"}


def _which(src: SourceStatus) -> str:
    """': liquidations' — the feeds that make a venue stale (or keep it starting while others run); an
    error's message already names its loop."""
    if src.state not in ("stale", "starting") or [f.name for f in src.feeds] in ([], [DATA]):
        return ""  # a source that delivers one undivided feed (the simulator, the index)
    names = [f.name for f in src.feeds if f.state == src.state]
    if src.state == "starting" and len(names) == len(src.feeds):
        return ""  # nothing has started yet: naming every feed says nothing
    return ": " + escape(", ".join(names))


class StatusBar(RowStatic):
    """One line at the bottom; the SIMULATED badge is never hidden while data is not live."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)
    _shown: Content | str | None = None

    def watch_snapshot(self, s: Snapshot | None) -> None:
        if s is None:
            return
        parts = []
        if s.replay is not None:
            parts.append(f"[b reverse $replay] {fmt.replay_badge(s.replay)} [/]")
        if s.simulated:
            parts.append("[b reverse $simulated] SIMULATED [/]")
        for src in s.sources:
            text = f"[{STATE_STYLE[src.state]}]●[/] {escape(src.name)} {src.state}{_which(src)}"
            if src.error:
                text += f" [$error]{escape(src.error[:60])}[/]"
                if src.retry_at_ms is not None:
                    text += f" [$muted]retry in {max(0, (src.retry_at_ms - s.as_of_ms) // 1000)}s[/]"
            parts.append(text)
        if not s.simulated and s.sources and all(x.state == "error" for x in s.sources):
            parts.append("[b $error]no live data[/] [$muted]— check the network, or run `cockpit --demo`[/]")
        if s.record_error:
            parts.append(f"[$error]recording stopped: {escape(s.record_error[:60])}[/]")
        if s.history_error:
            parts.append(f"[$error]history: {escape(s.history_error[:60])}[/]")
        if s.alarm_error:
            parts.append(f"[$error]alarm store: {escape(s.alarm_error[:60])}[/]")
        parts.append(f"[b]{fmt.stamp(s.as_of_ms)[:-4]}:{fmt.clock(s.as_of_ms)[-2:]} UTC[/b]")
        self._shown = update_quietly(self, markup("  ".join(parts)), self._shown)
