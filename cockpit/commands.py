"""The command palette provider: every keyboard action, titled "category: action"."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from cockpit.config import TIMEFRAMES
from cockpit.keymap import KEYMAP
from cockpit.widgets.chart_figure import OVERLAYS

if TYPE_CHECKING:
    from cockpit.app import CockpitApp


class CockpitCommands(Provider):
    """Offers the same actions as the keys, so nothing is reachable only by a key."""

    def _commands(self) -> list[tuple[str, str, str]]:
        keyed = [(spec.palette, spec.action, spec.description) for spec in KEYMAP if spec.id != "palette"]
        timeframes = [
            (f"chart: timeframe {tf}", f"set_timeframe('{tf}')", f"Chart in {tf} candles")
            for tf in TIMEFRAMES
        ]
        overlays = [
            (f"chart: toggle {o}", f"toggle_overlay('{o}')", f"Show or hide {o} on the chart")
            for o in OVERLAYS
        ]
        return keyed + timeframes + overlays

    async def _run(self, action: str) -> None:
        app: CockpitApp = self.app  # type: ignore[assignment]
        await app.run_action(action.removeprefix("app."))

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), help=help_text)
