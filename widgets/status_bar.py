"""The status bar, one line at any width: the SIMULATED or REPLAY badge, how many sources are in each state
(coloured by the worst), the worst one's reason when there is room, and the market clock. Every source in
full is on the sources screen (`S`)."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.quiet_update import RowStatic, update_quietly
from textual.content import Content
from textual.reactive import reactive

from cockpit.models import HealthSummary, Snapshot
from cockpit.text import formatting as fmt

STATE_STYLE = {"ok": "$success", "stale": "$stale", "error": "$error", "starting": "$muted"}
SEP = "  "


def _counts(h: HealthSummary) -> Content:
    text = " · ".join(f"{n} {state}" for state, n in h.counts.items())
    return Content.assemble(("● ", STATE_STYLE[h.worst]), (text, STATE_STYLE[h.worst]))


def _reason(h: HealthSummary, room: int) -> Content:
    """The worst problem in at most ``room`` cells (nothing if it does not fit in a useful length)."""
    if h.no_live_data:
        text = "no live data: check the network, or run `cockpit --demo`"
    elif h.problems:
        p = h.problems[0]
        text = f"{p.name} {p.state}" + (f": {p.reason}" if p.reason else "")
    else:
        return Content("")
    if room < 16:
        return Content("")
    shown = text if len(text) <= room else text[: room - 1] + "…"
    return Content.styled(shown, STATE_STYLE[h.problems[0].state] if h.problems else "$error")


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
        width = self.content_size.width or max(20, self.app.size.width - 2)
        self._shown = update_quietly(self, self.line(s, width), self._shown)

    def line(self, s: Snapshot, width: int) -> Content:
        """Badge, counts, reason and clock fitted to ``width`` cells: the reason gives way first."""
        head: list[Content] = []
        if s.replay is not None:
            head.append(markup(f"[b reverse $replay] {fmt.replay_badge(s.replay)} [/]"))
        if s.simulated:
            head.append(markup("[b reverse $simulated] SIMULATED [/]"))
        if s.link == "lost":
            head.append(markup("[b reverse $error] ENGINE LOST: reattaching [/]"))
        elif s.link is not None:
            head.append(markup("[b reverse $accent] DAEMON [/]"))
        h = s.health
        if h.counts:
            head.append(_counts(h))
        clock = Content.styled(f"{fmt.stamp(s.as_of_ms)[:-4]}:{fmt.clock(s.as_of_ms)[-2:]} UTC", "bold")
        left = Content(SEP).join(head)
        room = width - left.cell_length - clock.cell_length - 2 * len(SEP)
        reason = _reason(h, room)
        gap = width - left.cell_length - reason.cell_length - clock.cell_length - (len(SEP) if reason else 0)
        parts = [left, Content(SEP), reason] if reason else [left]
        line = Content.assemble(*parts, " " * max(1, gap), clock)
        return line if line.cell_length <= width else line[:width]
