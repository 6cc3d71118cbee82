"""The Fear & Greed meter: a 0-100 gauge in five bands, the value and label, and a 30-day history."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.pane import Pane
from textual.content import Content
from textual.markup import escape

from cockpit.analytics.sentiment import FEAR_GREED_BANDS
from cockpit.models import Snapshot

BAND_STYLE = ("$bear", "$warning", "$muted", "$success", "$bull")
BLOCKS = "▁▂▃▄▅▆▇█"


def gauge(value: int, width: int) -> str:
    """A bar of ``width`` cells coloured by band, with ▼ over the value's cell."""
    width = max(10, width)
    cells = []
    for k in range(width):
        v = k * 100 / (width - 1)
        band = next(i for i, (lo, hi, _) in enumerate(FEAR_GREED_BANDS) if v <= hi + 0.999)
        cells.append(f"[{BAND_STYLE[band]}]━[/]")
    marker = round(value * (width - 1) / 100)
    return " " * marker + "▼" + "\n" + "".join(cells)


def sparkline(values: list[int]) -> str:
    """Block characters for 0-100 values."""
    return "".join(BLOCKS[min(7, max(0, v * 8 // 101))] for v in values)


class SentimentMeter(Pane):
    """Crypto Fear & Greed Index, with attribution to its publisher."""

    TITLE = "4 Fear & Greed"

    def render_snapshot(self, s: Snapshot) -> Content:
        if s.sentiment is None:
            return markup("[$muted]waiting for the index…[/]")
        latest = s.sentiment.latest
        band = next(i for i, (lo, hi, _) in enumerate(FEAR_GREED_BANDS) if lo <= latest.value <= hi)
        width = max(10, (self.size.width or 40) - 2)
        history = [r.value for r in s.sentiment.history[-30:]]
        lines = [
            f"[b {BAND_STYLE[band]}]{latest.value}[/] [b]{escape(latest.label)}[/b]",
            gauge(latest.value, width),
            "[$muted]0 fear" + " " * max(1, width - 13) + "greed 100[/]",
            f"30d [{BAND_STYLE[band]}]{sparkline(history)}[/] [$muted]{min(history)}–{max(history)}[/]",
            "[$muted]source: simulated[/]"
            if s.simulated
            else "[$muted]Crypto Fear & Greed Index · data: alternative.me[/]",
        ]
        return markup("\n".join(lines))
