"""The two desk plans side by side: trigger, target, invalidation, distances, reward:risk, status."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.quiet_update import RowStatic, update_quietly
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive
from textual.widgets import Static

from cockpit.analytics.scenarios import Scenario
from cockpit.models import Snapshot
from cockpit.text import formatting as fmt

STATUS_STYLE = {
    "pending": "$muted",
    "triggered": "$warning",
    "target_hit": "$success",
    "invalidated": "$error",
}


def _row(name: str, level: float | None, distance: float | None) -> str:
    return f"{name:<8}{fmt.price(level):>10} {fmt.pct(distance):>8}"


def card(s: Scenario, in_play: bool) -> str:
    """One plan as lines of markup, about 30 cells wide so two fit side by side."""
    head = f"[b]{s.name.upper()}[/b] [{STATUS_STYLE[s.status]}]{s.status.replace('_', ' ')}[/]"
    if in_play:
        head = f"[reverse $primary] IN PLAY [/] {head}"
    d = s.distance_pct
    rr = f"{s.reward_risk:.1f}" if s.reward_risk is not None else "—"
    lines = [
        head,
        f"[$muted]{escape(s.trigger_text)} → {escape(s.target_text)}[/]",
        _row("trigger", s.trigger, d["trigger"]),
        _row("target", s.target, d["target"]),
        _row("invalid", s.invalidation, d["invalidation"]),
        f"R:R [b]{rr}[/b] [$muted]invalid on {escape(s.invalidation_text)}[/]",
    ]
    if s.waypoint:
        lines.append(f"[$fvg]fill gap {fmt.price(s.waypoint[0])}–{fmt.price(s.waypoint[1])}[/]")
    return "\n".join(lines)


class ScenarioCard(RowStatic):
    """One plan's card inside the scenarios pane."""

    DEFAULT_CSS = """
    ScenarioCard { width: 1fr; height: auto; padding: 0 1 0 0; }
    ScenarioCard.in-play { background: $boost; }
    """


class ScenarioPanel(Vertical, can_focus=True):
    """Bounce and breakdown side by side (stacked when narrow), the one in play highlighted."""

    DEFAULT_CSS = """
    ScenarioPanel {
        border: round $panel-lighten-2; border-title-color: $foreground-muted; padding: 0 1; height: 1fr;
    }
    ScenarioPanel:focus { border: round $primary; border-title-color: $primary; }
    ScenarioPanel > #scenario-key { height: auto; }
    ScenarioPanel > Horizontal { height: auto; }
    ScenarioPanel.narrow > Horizontal { layout: vertical; }
    """
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: dict[str, Content | str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="scenario-key")
        with Horizontal():
            yield ScenarioCard(id="bounce")
            yield ScenarioCard(id="breakdown")

    def on_mount(self) -> None:
        self.border_title = "5 Scenarios"

    def on_resize(self) -> None:
        self.set_class(self.size.width < 64, "narrow")

    def _show(self, widget: Static, content: Content | str) -> None:
        self._shown[widget.id or ""] = update_quietly(widget, content, self._shown.get(widget.id or ""))

    def watch_snapshot(self, s: Snapshot | None) -> None:
        if s is None:
            return
        key_line = self.query_one("#scenario-key", Static)
        cards = {
            "bounce": self.query_one("#bounce", ScenarioCard),
            "breakdown": self.query_one("#breakdown", ScenarioCard),
        }
        sc = s.analysis.scenarios if s.analysis is not None else None
        if sc is None or sc.key is None or sc.bounce is None or sc.breakdown is None:
            self._show(key_line, markup("[$muted]no key support yet: waiting for swings[/]"))
            for c in cards.values():
                self._show(c, "")
            return
        self._show(
            key_line,
            markup(
                f"key support [$support]{fmt.price(sc.key.price)}[/] [$muted]({escape(sc.key.source)}, "
                f"{s.levels_timeframe}, buffer {fmt.price(sc.key.buffer)})[/]"
            ),
        )
        play = sc.in_play
        for plan in (sc.bounce, sc.breakdown):
            c = cards[plan.name]
            self._show(c, markup(card(plan, play is plan)))
            c.set_class(play is plan, "in-play")
