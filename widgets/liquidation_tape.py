"""Liquidations: cascade flag, totals by window and side, largest prints, and the live tape."""

from __future__ import annotations

from cockpit.widgets.markup import markup
from cockpit.widgets.pane import Pane
from textual.content import Content
from textual.markup import escape

from cockpit.analytics.cascade import MIN_BASELINE_H
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.models import LiquidationSummary, Snapshot
from cockpit.text import formatting as fmt


def _side(e: LiquidationEvent) -> str:
    # A liquidated long is forced selling (bearish pressure); colour by the position that was wiped out.
    return "[$bear]LONG [/]" if e.side == "long" else "[$bull]SHORT[/]"


def _coin(symbol: str) -> str:
    """A symbol's base in five cells: "ETH", and "1000PEPE" as "kPEPE" (the thousand-unit contract)."""
    base = symbol.split("/")[0]
    return ("k" + base[4:] if base.startswith("1000") else base)[:5]


def _tape_price(price: float) -> str:
    """A print's price in seven cells whatever the coin: 75,350 / 101.40 / 0.00451."""
    if price >= 1000:
        return f"{price:,.0f}"
    return f"{price:.2f}" if price >= 1 else f"{price:.4g}"


def tape_line(e: LiquidationEvent, venue_width: int = 11, *, coins: bool = False) -> str:
    """One tape row, 40 cells wide at most: time, venue (or, when the totals span several coins, the coin
    and the venue's last word), side, notional, price."""
    if coins:
        venue = f"{_coin(e.symbol):<5} {escape(e.venue.split()[-1][:5]):<5}"
    else:
        venue = escape(e.venue[:venue_width]).ljust(venue_width)
    notional = fmt.usd(e.notional_usd)
    return f"[$muted]{fmt.clock(e.ts_ms)}[/] {venue} {_side(e)}{notional:>8} {_tape_price(e.price):>7}"


def _headline(liq: LiquidationSummary) -> str:
    """The cascade verdict, or why there is none yet (too little of the day watched to judge)."""
    if not liq.judged:
        since = fmt.clock(liq.collecting_since_ms)[:5] if liq.collecting_since_ms is not None else "now"
        watched = max((c.windows["24h"].covered_s for c in liq.coverage), default=0.0) / 3600
        return (
            f"[$muted]collecting since {since} UTC: cascades judged after {MIN_BASELINE_H:.0f}h "
            f"watched ({watched:.1f}h so far)[/]"
        )
    w = liq.windows["1h"]
    if liq.cascade:
        day = liq.windows["24h"].total_usd
        share = w.total_usd / day * 100 if day else 0.0
        amount = fmt.usd(w.total_usd, lower_bound=liq.lower_bound.get("1h", False))
        return (
            f"[b reverse $bear] CASCADE [/] {amount} in 1h = {liq.cascade_ratio:.1f}x "
            f"the hourly average, {share:.0f}% of the day"
        )
    return f"[$muted]no cascade: last hour {liq.cascade_ratio:.1f}x the day's hourly average[/]"


def _scope(liq: LiquidationSummary) -> str:
    """What the totals add up: which instruments on which venues (a count when they are a market)."""
    symbols = ", ".join(liq.scope) or "—"
    if len(liq.scope) > 2:
        symbols = f"{len(liq.scope)} perpetuals"
    venues = sorted({v for c in liq.coverage for v in c.venues})
    where = escape(", ".join(venues)) if len(venues) <= 2 else f"{len(venues)} venues"
    return f"[$muted]totals: {escape(symbols)} on {where}[/]"


def _holes(liq: LiquidationSummary) -> list[str]:
    """A line per source with a hole in the day: '* bybit: no data 09:12-10:40' (the two newest holes)."""
    lines = []
    for c in liq.coverage:
        gaps = c.windows["24h"].gaps if "24h" in c.windows else ()
        if gaps:
            spans = ", ".join(f"{fmt.clock(a)[:5]}-{fmt.clock(b)[:5]}" for a, b in gaps[-2:])
            lines.append(f"[$muted]* {escape(c.source)}: no data {spans} UTC[/]")
    return lines


class LiquidationTape(Pane):
    """The liquidations pane; totals carry '≥' because venues publish samples, not every event."""

    TITLE = "2 Liquidations"

    def render_snapshot(self, s: Snapshot) -> Content:
        liq = s.liquidations
        lines = [_headline(liq), _scope(liq)]
        lines.append(f"[b]{'':6}{'long':>10}{'short':>10}{'total':>10}[/b]")
        for name in ("1h", "4h", "24h"):
            w = liq.windows[name]
            lb = liq.lower_bound.get(name, False)
            long_, short, total = (fmt.usd(v, lower_bound=lb) for v in (w.long_usd, w.short_usd, w.total_usd))
            mark = "*" if liq.partial(name) else " "
            lines.append(f"{name:5}{mark}[$bear]{long_:>10}[/][$bull]{short:>10}[/]{total:>10}")
        lines += _holes(liq)
        venues = liq.windows["24h"].by_venue
        sampled = sorted({v for c in liq.coverage if c.sampled for v in c.venues})
        if len(venues) > 1 or sampled:
            # Per-venue coverage: who contributed to the day, and whose feed is only a sample.
            cells = [
                f"{escape(v)} {'≥' if v in sampled else ''}{fmt.usd(lo + sh)}"
                for v, (lo, sh) in sorted(venues.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
            ]
            lines.append("[$muted]24h by venue: " + " · ".join(cells) + "[/]")
        if any(liq.lower_bound.values()):
            names = escape(" and ".join(sampled))
            lines.append(f"[$muted]≥ lower bound: {names} publish samples of their liquidations[/]")
        if liq.largest:
            lines.append("[b]largest 24h[/b]")
            lines += [tape_line(e, coins=len(liq.scope) > 1) for e in liq.largest]
        lines.append("[b]tape[/b] [$muted](newest first)[/]")
        room = max(3, self.size.height - len(lines) - 1) if self.size.height else 20
        coins = len(liq.scope) > 1
        lines += [tape_line(e, coins=coins) for e in reversed(s.recent_liquidations[-room:])]
        return markup("\n".join(lines))
