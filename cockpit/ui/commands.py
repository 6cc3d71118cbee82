"""The command palette provider: every keyboard action, titled "category: action"."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from cockpit.alarms.model import AlarmStatus
from cockpit.config import TIMEFRAMES
from cockpit.keymap import CHART_KEYMAP, KEYMAP

CHART_ACTION = "chart:"  # marks a palette entry whose action runs on the chart widget


class PaletteHost(Protocol):
    """What the palette lists beyond the key map: the app's themes and alarms."""

    @property
    def theme_names(self) -> list[str]: ...

    def alarm_statuses(self) -> Sequence[AlarmStatus]: ...

    def chartable(self) -> Sequence[str]: ...


class CockpitCommands(Provider):
    """Offers the same actions as the keys, so nothing is reachable only by a key."""

    def _commands(self) -> list[tuple[str, str, str]]:
        keyed = [(spec.palette, spec.action, spec.description) for spec in KEYMAP if spec.id != "palette"]
        timeframes = [
            (f"chart: timeframe {tf}", f"set_timeframe('{tf}')", f"Chart in {tf} candles")
            for tf in TIMEFRAMES
        ]
        # The chart's keys act on the chart (the palette runs them there, focused or not).
        chart = [(spec.palette, CHART_ACTION + spec.action, spec.description) for spec in CHART_KEYMAP]
        app = cast(PaletteHost, self.app)
        per_alarm = []
        for st in app.alarm_statuses():
            a = st.alarm
            what = f"#{a.id} {a.describe()}"
            per_alarm += [
                (f"alarm: edit {what}", f"edit_alarm({a.id})", "Open it in the alarm dialog"),
                (
                    f"alarm: {'unmute' if a.muted else 'mute'} {what}",
                    f"change_alarm('toggle-mute', {a.id})",
                    "",
                ),
                (f"alarm: delete {what}", f"change_alarm('remove', {a.id})", "Remove it (its history stays)"),
                (f"alarm: re-arm {what}", f"change_alarm('rearm', {a.id})", "Live again, arming afresh"),
            ]
        themes = [(f"theme: {t}", f"set_theme('{t}')", "Switch colour theme") for t in app.theme_names]
        symbols = [(f"symbol: {s}", f"set_symbol({s!r})", "Chart this instrument") for s in app.chartable()]
        return keyed + timeframes + chart + themes + symbols + per_alarm

    async def _run(self, action: str) -> None:
        if action.startswith(CHART_ACTION):
            chart = self.screen.query_one("#chart")
            await self.app.run_action(action.removeprefix(CHART_ACTION), chart)
        else:
            await self.app.run_action(action.removeprefix("app."))

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), help=help_text)
