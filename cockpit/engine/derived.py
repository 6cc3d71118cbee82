"""What is computed from one instrument's closed candles: every timeframe's bars, RSI per timeframe, the
levels analysis and the chart's liquidation markers. Recomputed only when a minute closed on that
instrument; kept per instrument, so that a switch back, or a second viewer of a daemon charting another
coin, finds it ready instead of evicting the first one's."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from cockpit.analytics.candles import Candles, FloatArray
from cockpit.analytics.pipeline import Analysis, analyze
from cockpit.analytics.resample import resample
from cockpit.analytics.rsi import rsi
from cockpit.analytics.windows import LiquidationWindows
from cockpit.config import TIMEFRAME_MS, TIMEFRAMES, Config
from cockpit.engine import chart_series as series
from cockpit.engine.instrument import Instrument
from cockpit.models import ChartLiquidations

EMPTY = Candles.from_arrays([], [], [], [], [])


@dataclass
class Derived:
    """One instrument's derived values, as of its candle store's ``version``."""

    version: int = -1
    analysis: Analysis | None = None
    rsi: dict[str, float | None] = field(default_factory=dict)
    closed_by_tf: dict[str, Candles] = field(default_factory=dict)
    chart_liqs: tuple[tuple[object, ...], ChartLiquidations] | None = None

    def refresh(self, inst: Instrument, config: Config) -> None:
        """Re-aggregate timeframes and rerun analytics when a minute has closed since last time."""
        store = inst.candles
        if self.version == store.version:
            return
        self.version = store.version
        base = store.candles()
        self.closed_by_tf = {tf: resample(base, TIMEFRAME_MS[tf]) for tf in TIMEFRAMES}
        self.closed_by_tf["1m"] = base
        self.rsi = {}
        for tf, c in self.closed_by_tf.items():
            values = rsi(c.close, config.analytics.rsi_period) if len(c) else np.empty(0)
            self.rsi[tf] = float(values[-1]) if len(values) and not np.isnan(values[-1]) else None
        levels_tf = config.engine.levels_timeframe
        closed = self.closed_by_tf[levels_tf]
        params = config.analytics.for_timeframe(levels_tf)
        self.analysis = analyze(closed, params) if len(closed) >= 3 else None

    def chart_candles(self, inst: Instrument, timeframe: str) -> Candles:
        """Closed bars of a timeframe plus the forming bar (from closed minutes and the live minute)."""
        closed = self.closed_by_tf.get(timeframe)
        if closed is None:
            return EMPTY
        f = inst.forming
        live = (f.ts_ms, f.open, f.high, f.low, f.close) if f is not None else None
        return series.with_forming_bar(closed, self.closed_by_tf["1m"], live, TIMEFRAME_MS[timeframe])

    def chart_rsi(self, timeframe: str, bars: int, period: int) -> FloatArray:
        """RSI of the chart's closed bars, aligned with the chart candles (NaN for the forming bar)."""
        return series.closed_rsi(self.closed_by_tf.get(timeframe), bars, period)

    def chart_liquidations(
        self, windows: LiquidationWindows, timeframe: str, candles: Candles, symbols: Collection[str]
    ) -> ChartLiquidations:
        """Liquidation notional and price per chart bar, recomputed only when events or bars changed."""
        key = (timeframe, len(candles), windows.latest_ts_ms, len(windows), tuple(symbols))
        if self.chart_liqs is None or self.chart_liqs[0] != key:
            per_bar = series.liquidations_per_bar(windows, candles, TIMEFRAME_MS[timeframe], symbols)
            self.chart_liqs = (key, per_bar)
        return self.chart_liqs[1]

    def change_24h_pct(self, price: float | None, now_ms: int) -> float | None:
        """Last price against the close of the minute 24 hours ago."""
        c = self.closed_by_tf.get("1m")
        if price is None or c is None or not len(c):
            return None
        k = int(np.searchsorted(c.ts_ms, now_ms - 86_400_000 - 60_000, side="right")) - 1
        if k < 0:
            return None
        return (price / float(c.close[k]) - 1.0) * 100.0
