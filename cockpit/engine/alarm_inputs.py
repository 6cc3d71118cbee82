"""Liquidation window totals as liquidation alarms watch them: the whole market's, or one coin's.

A coin's total sums every market of that coin (BTC/USDT:USDT and BTC/USDC:USDC are one coin), so it is
``LiquidationWindows.totals_for`` over the coin's symbols: one pass over the window's events, where the
market's ``totals`` reads per-slot sums. Both are asked at most once per second of clock unless new
liquidations arrived: a total only rises with new events, so a threshold is never crossed late; it falls
as events age out, and re-arming after a firing may then wait up to a second, which nobody can notice.
That keeps a cascade (thousands of events a second, a batch every few milliseconds) from summing a day of
events per batch.
"""

from __future__ import annotations

from cockpit.alarms.model import MARKET
from cockpit.analytics.liquidations import WindowTotals
from cockpit.analytics.windows import LiquidationWindows


class LiquidationInputs:
    """Values of "liq:<window_s>:<side>:<scope>" streams (see ``cockpit.alarms.evaluate.stream_of``)."""

    def __init__(self, windows: LiquidationWindows) -> None:
        self.windows = windows
        self._seen: tuple[int, int | None, int] | None = None  # what the last answered batch saw

    def due(self, now_ms: int) -> bool:
        """Whether the totals may have changed since the last time this said True (see the module)."""
        w = self.windows
        seen = (len(w), w.latest_ts_ms, now_ms // 1000)
        if seen == self._seen:
            return False
        self._seen = seen
        return True

    def value(self, spec: str, now_ms: int) -> float:
        """The notional of one stream: ``spec`` is the part after "liq:" ("3600:long:BTC")."""
        window, side, scope = spec.split(":", 2)
        t = self.totals(scope, int(window), now_ms)
        return t.long_usd if side == "long" else t.short_usd if side == "short" else t.total_usd

    def totals(self, scope: str, window_s: int, now_ms: int) -> WindowTotals:
        """The market's totals (``scope`` MARKET) or those of one coin's markets."""
        if scope == MARKET:
            return self.windows.totals(window_s, now_ms)
        return self.windows.totals_for(self.windows.symbols_of(scope), window_s, now_ms)
