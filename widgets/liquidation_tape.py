"""Liquidations: cascade flag, totals by window and side, largest prints, and the live tape."""

from __future__ import annotations

from cockpit.widgets.pane import Pane
from textual.content import Content
from textual.markup import escape

from cockpit import formatting as fmt
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import Snapshot


def _side(e: LiquidationEvent) -> str:
    # A liquidated long is forced selling (bearish pressure); colour by the position that was wiped out.
    return "[$bear]LONG [/]" if e.side == "long" else "[$bull]SHORT[/]"


def tape_line(e: LiquidationEvent, venue_width: int = 11) -> str:
    """One tape row, 40 cells wide at most: time, venue, side, notional, price."""
    venue = escape(e.venue[:venue_width]).ljust(venue_width)
    notional = fmt.usd(e.notional_usd)
    return f"[$muted]{fmt.clock(e.ts_ms)}[/] {venue} {_side(e)}{notional:>8} {e.price:>7,.0f}"


# Display name of a venue's events -> the ccxt id its source is registered under.
_SOURCE_OF = {"Binance": "binanceusdm", "Bybit": "bybit", "OKX": "okx", "Gate": "gate", "HTX": "htx"}


def _is_sampled(venue: str, sampled_sources: set[str]) -> bool:
    return _SOURCE_OF.get(venue, venue) in sampled_sources


class LiquidationTape(Pane):
    """The liquidations pane; totals carry '≥' because venues publish samples, not every event."""

    TITLE = "2 Liquidations"

    def render_snapshot(self, s: Snapshot) -> Content:
        liq = s.liquidations
        lines: list[str] = []
        if liq.cascade:
            w = liq.windows["1h"]
            day = liq.windows["24h"].total_usd
            share = w.total_usd / day * 100 if day else 0.0
            lines.append(
                f"[b reverse $bear] CASCADE [/] {fmt.usd(w.total_usd)} in 1h = {liq.cascade_ratio:.1f}x "
                f"the hourly average, {share:.0f}% of the day"
            )
        else:
            lines.append(f"[$muted]no cascade: last hour {liq.cascade_ratio:.1f}x the 24h hourly average[/]")
        lb = s.lower_bound
        lines.append(f"[b]{'':6}{'long':>10}{'short':>10}{'total':>10}[/b]")
        for name in ("1h", "4h", "24h"):
            w = liq.windows[name]
            long_, short, total = (fmt.usd(v, lower_bound=lb) for v in (w.long_usd, w.short_usd, w.total_usd))
            partial = s.coverage_start_ms is not None and s.as_of_ms - w.window_s * 1000 < s.coverage_start_ms
            mark = "*" if partial else " "
            lines.append(f"{name:5}{mark}[$bear]{long_:>10}[/][$bull]{short:>10}[/]{total:>10}")
        if s.coverage_start_ms is not None and s.as_of_ms - 86_400_000 < s.coverage_start_ms:
            lines.append(
                f"[$muted]* partial window: collecting since {fmt.clock(s.coverage_start_ms)} UTC[/]"
            )
        venues = liq.windows["24h"].by_venue
        if len(venues) > 1 or lb:
            # Per-venue coverage: who contributed to the day, and whose feed is only a sample.
            sampled_names = {x.name for x in s.sources if x.sampled}
            cells = [
                f"{escape(v)} {'≥' if _is_sampled(v, sampled_names) else ''}{fmt.usd(lo + sh)}"
                for v, (lo, sh) in sorted(venues.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
            ]
            lines.append("[$muted]24h by venue: " + " · ".join(cells) + "[/]")
        if lb:
            lines.append("[$muted]≥ lower bound: Binance and OKX publish samples of their liquidations[/]")
        if liq.largest:
            lines.append("[b]largest 24h[/b]")
            lines += [tape_line(e) for e in liq.largest]
        lines.append("[b]tape[/b] [$muted](newest first)[/]")
        room = max(3, self.size.height - len(lines) - 1) if self.size.height else 20
        lines += [tape_line(e) for e in reversed(s.recent_liquidations[-room:])]
        return Content.from_markup("\n".join(lines))
