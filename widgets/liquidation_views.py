"""What the liquidations pane shows besides the totals: the tape's filters and the market by coin.

The filters are the viewer's own (each viewer keeps its own view): a minimum notional and all coins or
the followed one. The tape a filter shows is collected from every snapshot's new prints since the app
started, one list per minimum, so a switch to "$1M and up" shows the last big prints at once instead of
the few that happen to be among the latest 200 of every size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from textual.markup import escape

from cockpit.analytics.liquidations import CoinTotals, LiquidationEvent, coin_of
from cockpit.models import LiquidationSummary
from cockpit.text import formatting as fmt

MIN_NOTIONAL_STEPS: tuple[float, ...] = (0.0, 10_000.0, 100_000.0, 1_000_000.0)
KEPT_PER_STEP = 200


def step_label(min_usd: float) -> str:
    return "all sizes" if min_usd <= 0 else f"≥ {fmt.usd(min_usd)}"


class TapeFilter:
    """The tape's filter and, per minimum notional, the newest prints at or above it."""

    def __init__(self, min_usd: float = 0.0) -> None:
        self.min_usd = min_usd if min_usd in MIN_NOTIONAL_STEPS else 0.0
        self.coin: str | None = None  # None: every coin
        self._kept = {step: deque[LiquidationEvent](maxlen=KEPT_PER_STEP) for step in MIN_NOTIONAL_STEPS}

    def feed(self, new: Iterable[LiquidationEvent]) -> None:
        for e in new:
            for step, kept in self._kept.items():
                if e.notional_usd >= step:
                    kept.append(e)

    def reset(self, events: Iterable[LiquidationEvent]) -> None:
        """Start again from ``events`` (oldest first)."""
        for kept in self._kept.values():
            kept.clear()
        self.feed(events)

    def cycle_min(self) -> float:
        """The next minimum (all, $10K, $100K, $1M, all...)."""
        k = MIN_NOTIONAL_STEPS.index(self.min_usd)
        self.min_usd = MIN_NOTIONAL_STEPS[(k + 1) % len(MIN_NOTIONAL_STEPS)]
        return self.min_usd

    def rows(self, room: int) -> list[LiquidationEvent]:
        """Up to ``room`` prints passing the filter, newest first."""
        out: list[LiquidationEvent] = []
        for e in reversed(self._kept[self.min_usd]):
            if self.coin is None or coin_of(e.symbol) == self.coin:
                out.append(e)
                if len(out) >= room:
                    break
        return out

    def label(self) -> str:
        coin = "all coins" if self.coin is None else escape(self.coin)
        return f"{coin}, {step_label(self.min_usd)}"


def _share(part: float, whole: float) -> str:
    return f"{part / whole * 100:.0f}%" if whole > 0 else "—"


def coin_rows(liq: LiquidationSummary, count: int, wide: bool) -> list[str]:
    """The top coins by 24 h total: compact (1h long/short, 24h total and share) or, ``wide``, both
    windows in full (long, short, total, share of the market)."""
    day = liq.by_coin.get("24h", ())[:count]
    if not day:
        return []
    hour = {c.coin: c for c in liq.by_coin.get("1h", ())}
    market = {name: w.total_usd for name, w in liq.windows.items()}
    if wide:
        head = f"[b]{'coin':9}{'1h long':>9}{'short':>9}{'total':>9}{'share':>7}"
        lines = [head + f"{'24h long':>10}{'short':>9}{'total':>9}{'share':>7}[/b]"]
    else:
        lines = [f"[b]{'coin':9}{'1h long':>9}{'short':>8}{'24h':>9}{'share':>7}[/b]"]
    for c in day:
        h = hour.get(c.coin, CoinTotals(c.coin, 0.0, 0.0, 0))
        name = escape(c.coin[:8]).ljust(9)
        one = f"[$bear]{fmt.usd(h.long_usd):>9}[/][$bull]{fmt.usd(h.short_usd):>{9 if wide else 8}}[/]"
        if wide:
            one += f"{fmt.usd(h.total_usd):>9}{_share(h.total_usd, market.get('1h', 0.0)):>7}"
            day_cells = f"[$bear]{fmt.usd(c.long_usd):>10}[/][$bull]{fmt.usd(c.short_usd):>9}[/]"
            lines.append(
                f"{name}{one}{day_cells}{fmt.usd(c.total_usd):>9}{_share(c.total_usd, market['24h']):>7}"
            )
        else:
            lines.append(f"{name}{one}{fmt.usd(c.total_usd):>9}{_share(c.total_usd, market['24h']):>7}")
    return lines


def followed_line(liq: LiquidationSummary) -> str | None:
    """The followed coin's own hour against the market's, and its own cascade verdict."""
    own = liq.followed.get("1h")
    if own is None or not liq.followed_coin:
        return None
    market = liq.windows["1h"].total_usd
    flag = " [b reverse $bear] CASCADE [/]" if liq.followed_cascade else ""
    return (
        f"[$muted]{escape(liq.followed_coin)}: {fmt.usd(own.total_usd)} in 1h, "
        f"{_share(own.total_usd, market)} of the market[/]{flag}"
    )
