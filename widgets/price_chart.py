"""The price chart: candles for the visible window with the Fibonacci ladder, zones and scenario levels."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from textual.color import Color
from textual_plotext import PlotextPlot

from cockpit import formatting as fmt
from cockpit.models import Snapshot

Y_AXIS_COLUMNS = 11  # plotext's price labels and frame take about this many columns


class PriceChart(PlotextPlot, can_focus=True):
    """Candles plus labelled levels. Replots only when the data changed, at most ``max_hz`` times a second."""

    DEFAULT_CSS = """
    PriceChart { border: round $panel-lighten-2; border-title-color: $foreground-muted; height: 1fr; }
    PriceChart:focus { border: round $primary; border-title-color: $primary; }
    """
    # Hover would otherwise rebuild the whole figure on every mouse move (measured: 5 renders per 10 moves).
    auto_links = False

    def __init__(self, max_hz: float = 2.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_hz = max_hz
        self._snapshot: Snapshot | None = None
        self._drawn_key: tuple[object, ...] | None = None
        self._scheduled = False
        self.replots = 0

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "3 Chart"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._force_replot())

    def show(self, snapshot: Snapshot) -> None:
        """Take a new snapshot; the figure is rebuilt later, on the throttle, if anything drawn changed."""
        self._snapshot = snapshot
        if not self._scheduled:
            self._scheduled = True
            self.set_timer(1.0 / self.max_hz, self._replot_if_changed)

    def _force_replot(self) -> None:
        self._drawn_key = None
        self._replot_if_changed()

    def on_resize(self) -> None:
        self._force_replot()

    def _key(self, s: Snapshot) -> tuple[object, ...]:
        c = s.candles
        last = (int(c.ts_ms[-1]), float(c.high[-1]), float(c.low[-1]), float(c.close[-1])) if len(c) else None
        return (s.chart_timeframe, len(c), last, id(s.analysis), self.size, self.app.theme)

    def _replot_if_changed(self) -> None:
        self._scheduled = False
        s = self._snapshot
        if s is None:
            return
        key = self._key(s)
        if key == self._drawn_key:
            return
        self._drawn_key = key
        self.replot(s)

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        value = self.app.theme_variables.get(variable) or self.app.theme_variables.get("foreground", "white")
        return Color.parse(value).rgb

    def replot(self, s: Snapshot) -> None:
        """Build the figure for a snapshot (called on the throttle)."""
        self.replots += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        c = s.candles
        width = max(10, self.size.width - Y_AXIS_COLUMNS)
        n = min(len(c), width)
        title = f"{s.symbol.split(':')[0]} {s.chart_timeframe}"
        self.border_title = f"3 Chart · {title}"
        if n == 0:
            plt.title("waiting for candles")
            self.refresh()
            return
        lo_i = len(c) - n
        xs = list(range(n))
        data = {
            "Open": c.open[lo_i:].tolist(),
            "Close": c.close[lo_i:].tolist(),
            "High": c.high[lo_i:].tolist(),
            "Low": c.low[lo_i:].tolist(),
        }
        # plotext accepts numeric x positions here although its stubs say date strings.
        plt.candlestick(cast(Any, xs), data, colors=[self._rgb("bull"), self._rgb("bear")])
        y_lo, y_hi = float(c.low[lo_i:].min()), float(c.high[lo_i:].max())
        span = max(y_hi - y_lo, abs(y_hi) * 1e-4)
        levels = self._levels(s)
        shown = [(p, label, var) for p, label, var in levels if y_lo - 0.15 * span <= p <= y_hi + 0.15 * span]
        for p, _, _ in shown:
            y_lo, y_hi = min(y_lo, p), max(y_hi, p)
        for p, label, var in shown:
            plt.hline(p, self._rgb(var))
            plt.text(
                f"{label} {fmt.price(p)}",
                x=0,
                y=p,
                color=self._rgb(var),
                background=self._rgb("surface"),
                alignment="left",
            )
        # A flat window (one price everywhere) still needs a non-empty axis: plotext divides by the span.
        pad = max((y_hi - y_lo) * 0.03, abs(y_hi) * 5e-4, 1e-6)
        plt.ylim(y_lo - pad, y_hi + pad)
        ticks = [float(t) for t in range(0, n, max(1, n // 5))]
        plt.xticks(ticks, [self._time_label(int(c.ts_ms[lo_i + int(t)]), s.chart_timeframe) for t in ticks])
        self.refresh()

    def render(self) -> Any:
        try:
            return super().render()
        except Exception as exc:  # a plotting failure must cost the chart, never the app
            return f"chart unavailable: {type(exc).__name__}: {exc}"

    @staticmethod
    def _time_label(ts_ms: int, timeframe: str) -> str:
        dt = datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc)
        return dt.strftime("%m-%d") if timeframe in ("4h", "1d") else dt.strftime("%d %H:%M")

    @staticmethod
    def _levels(s: Snapshot) -> list[tuple[float, str, str]]:
        a = s.analysis
        if a is None:
            return []
        out: list[tuple[float, str, str]] = []
        if a.ladder is not None:
            out += [(p, f"fib {r:g}", "fib-level") for r, p in a.ladder.levels if r not in (0.0, 1.0)]
        z = a.zones
        if z.resistance is not None:
            out.append((z.resistance.mid, "resistance", "resistance"))
        if z.support is not None:
            out.append((z.support.mid, "support", "support"))
        sc = a.scenarios
        if sc.breakdown is not None and sc.breakdown.target is not None:
            out.append((sc.breakdown.target, "liquidity", "liquidity"))
        if sc.bounce is not None and sc.bounce.target is not None:
            out.append((sc.bounce.target, "bounce target", "bull"))
        return out
