"""Liquidations: cascade flag, totals by window and side, largest prints, and the live tape."""

from __future__ import annotations

from typing import Any

from cockpit.widgets.liquidation_views import TapeFilter, coin_rows, followed_line
from cockpit.widgets.markup import markup
from cockpit.widgets.pane import Pane
from textual.content import Content
from textual.markup import escape

from cockpit.analytics.cascade import MIN_BASELINE_H
from cockpit.analytics.liquidations import LiquidationEvent, coin_of
from cockpit.models import LiquidationSummary, Snapshot
from cockpit.text import formatting as fmt


def _side(e: LiquidationEvent) -> str:
    # A liquidated long is forced selling (bearish pressure); colour by the position that was wiped out.
    return "[$bear]LONG [/]" if e.side == "long" else "[$bull]SHORT[/]"


FULL_ROW = 46  # cells of a tape row with its price
PRICE_CELLS = 10


def tape_line(e: LiquidationEvent, width: int = FULL_ROW) -> str:
    """One tape row in ``width`` cells: time, venue, coin, side, notional, and the price when it fits (the
    side-by-side layout's pane is narrower than a whole row: a row that wrapped put its price on a line of
    its own, read as another print); the venue's name gives way before that."""
    price = width >= FULL_ROW
    venue_width = max(3, min(8, width - (FULL_ROW - 8 - (0 if price else PRICE_CELLS))))
    venue = escape(e.venue[:venue_width]).ljust(venue_width)
    coin = escape(_coin(e.symbol)).ljust(5)
    notional = fmt.usd(e.notional_usd)
    row = f"[$muted]{fmt.clock(e.ts_ms)}[/] {venue} {coin} {_side(e)}{notional:>7}"
    return f"{row} {_price(e.price):>9}" if price else row


def _coin(symbol: str) -> str:
    """A symbol's coin in five cells: "ETH", and "1000PEPE" as "kPEPE" (the thousand-unit contract)."""
    base = coin_of(symbol)
    return ("k" + base[4:] if base.startswith("1000") else base)[:5]


def _price(value: float) -> str:
    """Nine cells at most: 75,203 and 2,311.4 as for BTC and ETH, 0.1234 and 0.000012 for the rest."""
    if value >= 10_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.1f}"
    return f"{value:.6g}" if value >= 1e-4 else f"{value:.2e}"


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
    """What the totals add up: which coins on which venues."""
    coins = len(liq.by_coin.get("24h", ()))
    what = f"{coins} coins" if coins > 1 else escape(", ".join(liq.scope) or "—")
    venues = sorted({v for c in liq.coverage for v in c.venues})
    where = escape(", ".join(venues)) if len(venues) <= 2 else f"{len(venues)} venues"
    return f"[$muted]market totals: {what} on {where}[/]"


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

    def __init__(self, min_usd: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tape = TapeFilter(min_usd)
        self._newest: LiquidationEvent | None = None

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self._collect(snapshot)
        super().watch_snapshot(snapshot)

    def _collect(self, s: Snapshot) -> None:
        """Feed the filter what is new. A snapshot names the prints since the one before; history and a
        venue's backfill reach only the engine's recent tape, so when its newest print is not explained by
        the new ones (the opening, a replay seek) the filter starts again from that tape."""
        recent, new = s.recent_liquidations, s.new_liquidations
        newest = recent[-1] if recent else None
        if newest is not None and newest != self._newest and (not new or new[-1] != newest):
            self.tape.reset(recent)
        else:
            self.tape.feed(new)
        self._newest = newest

    def on_resize(self) -> None:
        """Rows fit the pane's width (the price shows only when a whole row fits): drawn again for it."""
        if self.snapshot is not None:
            super().watch_snapshot(self.snapshot)

    def refilter(self) -> None:
        """Show the tape again after a filter changed (a key: at once, not at the next snapshot)."""
        self.border_subtitle = self.tape.label()
        if self.snapshot is not None:
            super().watch_snapshot(self.snapshot)

    def render_snapshot(self, s: Snapshot) -> Content:
        liq = s.liquidations
        lines = [_headline(liq), _scope(liq)]
        mine = followed_line(liq)
        if mine is not None:
            lines.append(mine)
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
        lines += self._coins(liq, len(lines))
        if liq.largest:
            lines.append("[b]largest 24h[/b]")
            lines += [tape_line(e, self._row_width()) for e in liq.largest]
        lines.append(f"[b]tape[/b] [$muted](newest first: {self.tape.label()})[/]")
        room = max(3, self.size.height - len(lines) - 1) if self.size.height else 20
        lines += [tape_line(e, self._row_width()) for e in self.tape.rows(room)]
        return markup("\n".join(lines))

    def _row_width(self) -> int:
        return self.content_size.width or FULL_ROW

    def _coins(self, liq: LiquidationSummary, used: int) -> list[str]:
        """The top coins: a full table when the pane is wide (maximised), else as many rows as leave the
        tape and the largest prints at least ten rows; none in a short pane."""
        wide = self.content_size.width >= 90
        spare = (self.size.height or 40) - used - len(liq.largest) - 14
        count = 15 if wide else min(8, spare)
        return coin_rows(liq, count, wide) if count >= 3 else []
