"""The metrics strip: the numbers a trader reads first, on one or two lines."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.pane import Pane
from cockpit.widgets.quiet_update import relayout
from textual.content import Content
from textual.geometry import Region, Size
from textual.markup import escape

from cockpit.models import Snapshot
from cockpit.text import formatting as fmt


def _whose(interval: str, venue: str | None) -> str:
    """' 8h · Binance' (muted): what a number is per and whose it is, as far as either is known."""
    text = (interval + (f" · {escape(venue)}" if venue else "")).strip()
    return f" [$muted]{text}[/]" if text else ""


class MetricsStrip(Pane):
    """Price and 24h change, liquidations 1h/24h with long share, Fear & Greed, key support, RSI."""

    TITLE = "1 Metrics"
    DEFAULT_CSS = """
    MetricsStrip { height: auto; min-height: 3; }
    """

    def __init__(self, rsi_timeframe: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rsi_timeframe = rsi_timeframe
        self._cells: list[Content] = []

    def render_snapshot(self, s: Snapshot) -> Content:
        change = s.change_24h_pct
        tone = "$bull" if (change or 0) >= 0 else "$bear"
        parts = [
            f"[b]{s.symbol.split(':')[0]}[/b] [b]{fmt.price(s.price)}[/b] [{tone}]{fmt.pct(change)}[/] 24h",
        ]
        for name in ("1h", "24h"):
            w = s.liquidations.windows[name]
            share = f"{w.long_share * 100:.0f}% long" if w.long_share is not None else "no data"
            parts.append(f"Liq {name} [b]{fmt.usd(w.total_usd)}[/b] [$muted]{share}[/]")
        if s.sentiment is not None:
            latest = s.sentiment.latest
            parts.append(f"F&G [b]{latest.value}[/b] {escape(latest.label)}")
        else:
            parts.append("F&G [$muted]—[/]")
        key = s.analysis.scenarios.key if s.analysis is not None else None
        where = f" [$muted]{key.source}[/]" if key else ""
        parts.append(f"Support [$support]{fmt.price(key.price) if key else '—'}[/]{where}")
        rsi = s.rsi_by_timeframe.get(self.rsi_timeframe)
        value = f"[b]{rsi:.1f}[/b]" if rsi is not None else "—"
        parts.append(f"RSI {self.rsi_timeframe} {value}")
        if s.funding_rate is not None:
            tone = "$bear" if s.funding_rate < 0 else "$bull"
            # The rate is per the venue's interval (Binance 8h, some markets 4h or 1h): never assume one.
            per = _whose(fmt.interval(s.funding_interval_h), s.funding_venue)
            parts.append(f"Funding [{tone}]{s.funding_rate * 100:+.4f}%[/]{per}")
        if s.open_interest_usd is not None:
            parts.append(f"OI [b]{fmt.usd(s.open_interest_usd)}[/b]{_whose('', s.open_interest_venue)}")
        return Content("\n").join(markup(p) for p in parts)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        cells = list(self.render_snapshot(snapshot).split("\n"))
        if cells == self._cells:
            return
        width = self.content_size.width
        before = self._wrap(width).split("\n") if width else []
        self._cells = cells
        after = self._wrap(width).split("\n") if width else []
        if not width or len(after) != len(before):
            relayout(self)  # wrapped to a different number of lines: the height changes
            return
        # Repaint only the lines that changed (usually the price line): each repainted line is sent to
        # the terminal, which is what an SSH session pays for.
        changed = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        if changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def render(self) -> Content:
        return self._wrap(self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Auto height must follow the wrapping at the width the layout offers, not the last render's.
        return max(1, len(self._wrap(width).split("\n")))

    def _wrap(self, width: int) -> Content:
        """Fill lines with whole cells, so a number is never split from its label on a narrow screen."""
        width = max(20, width)
        sep = markup("  [$muted]│[/]  ")
        lines: list[Content] = []
        line: Content | None = None
        for cell in self._cells:
            if line is None:
                line = cell
            elif line.cell_length + sep.cell_length + cell.cell_length <= width:
                line = line + sep + cell
            else:
                lines.append(line)
                line = cell
        if line is not None:
            lines.append(line)
        return Content("\n").join(lines)
