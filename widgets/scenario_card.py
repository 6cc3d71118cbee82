"""The two desk plans side by side: trigger, target, invalidation, distances, reward:risk, status."""

from __future__ import annotations

from cockpit.widgets.pane import Pane
from textual.content import Content
from textual.markup import escape

from cockpit import formatting as fmt
from cockpit.analytics.scenarios import Scenario
from cockpit.models import Snapshot

STATUS_STYLE = {
    "pending": "$muted",
    "triggered": "$warning",
    "target_hit": "$success",
    "invalidated": "$error",
}


def _row(name: str, level: float | None, distance: float | None, text: str) -> str:
    return f"{name:<8} {fmt.price(level):>10} {fmt.pct(distance):>8}  [$muted]{escape(text)}[/]"


def card(s: Scenario, in_play: bool) -> str:
    """One plan as lines of markup."""
    head = f"[b]{s.name.upper()}[/b] [{STATUS_STYLE[s.status]}]{s.status.replace('_', ' ')}[/]"
    if in_play:
        head = f"[reverse $primary] IN PLAY [/] {head}"
    d = s.distance_pct
    rr = f"{s.reward_risk:.1f}" if s.reward_risk is not None else "—"
    lines = [
        head,
        _row("trigger", s.trigger, d["trigger"], s.trigger_text),
        _row("target", s.target, d["target"], s.target_text),
        _row("invalid", s.invalidation, d["invalidation"], s.invalidation_text),
        f"R:R {rr}",
    ]
    if s.waypoint:
        lines.append(f"[$fvg]fill gap {fmt.price(s.waypoint[0])}–{fmt.price(s.waypoint[1])}[/]")
    return "\n".join(lines)


class ScenarioPanel(Pane):
    """Bounce and breakdown, the one in play highlighted."""

    TITLE = "5 Scenarios"

    def render_snapshot(self, s: Snapshot) -> Content:
        sc = s.analysis.scenarios if s.analysis is not None else None
        if sc is None or sc.key is None or sc.bounce is None or sc.breakdown is None:
            return Content.from_markup("[$muted]no key support yet: waiting for swings[/]")
        play = sc.in_play
        top = (
            f"key support [$support]{fmt.price(sc.key.price)}[/] ({escape(sc.key.source)}, "
            f"{s.levels_timeframe}) buffer {fmt.price(sc.key.buffer)}"
        )
        return Content.from_markup(
            "\n".join(
                [top, "", card(sc.bounce, play is sc.bounce), "", card(sc.breakdown, play is sc.breakdown)]
            )
        )
