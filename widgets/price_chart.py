"""The price chart: candles for the visible window with the Fibonacci ladder, zones and scenario levels."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.color import Color
from textual_plotext import PlotextPlot

from cockpit import formatting as fmt
from cockpit.models import Snapshot

Y_AXIS_COLUMNS = 11  # plotext's price labels and frame take about this many columns
OVERLAY_KEYS: tuple[tuple[str, str], ...] = (
    ("f", "fib"),
    ("g", "gaps"),
    ("l", "zones"),
    ("p", "plans"),
    ("x", "last"),
)
OVERLAYS: tuple[str, ...] = tuple(name for _, name in OVERLAY_KEYS)
LAYERS = Binding.Group("Layers", compact=True)


class PriceChart(PlotextPlot, can_focus=True):
    """Candles plus labelled levels. Replots only when the data changed, at most ``max_hz`` times a second."""

    DEFAULT_CSS = """
    PriceChart { border: round $panel-lighten-2; border-title-color: $foreground-muted; height: 1fr; }
    PriceChart:focus { border: round $primary; border-title-color: $primary; }
    """
    # Hover would otherwise rebuild the whole figure on every mouse move (measured: 5 renders per 10 moves).
    auto_links = False
    _PAN = Binding.Group("Pan", compact=True)
    _ZOOM = Binding.Group("Zoom", compact=True)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left", "pan(1)", "Older", id="chart-pan-back", tooltip="chart: pan back in time", group=_PAN
        ),
        Binding(
            "right", "pan(-1)", "Newer", id="chart-pan-forward", tooltip="chart: pan toward now", group=_PAN
        ),
        Binding(
            "home",
            "pan_to('start')",
            "Oldest",
            id="chart-oldest",
            tooltip="chart: oldest candles",
            group=_PAN,
        ),
        Binding(
            "end",
            "pan_to('end')",
            "Latest",
            id="chart-latest",
            tooltip="chart: back to the latest",
            group=_PAN,
        ),
        Binding(
            "plus,equals_sign",
            "zoom(1)",
            "Zoom in",
            id="chart-zoom-in",
            tooltip="chart: fewer, wider candles",
            group=_ZOOM,
        ),
        Binding(
            "minus", "zoom(-1)", "Zoom out", id="chart-zoom-out", tooltip="chart: more candles", group=_ZOOM
        ),
    ]
    BINDINGS += [
        Binding(
            key,
            f"toggle_overlay('{name}')",
            name,
            id=f"chart-overlay-{name}",
            tooltip=f"chart: toggle {name}",
            group=LAYERS,
        )
        for key, name in OVERLAY_KEYS
    ]
    MAX_CELL = 6  # columns per candle at the closest zoom

    def __init__(self, max_hz: float = 2.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_hz = max_hz
        self._snapshot: Snapshot | None = None
        self._drawn_key: tuple[object, ...] | None = None
        self._scheduled = False
        self.replots = 0
        self.pan_bars = 0  # bars between the right edge and the latest bar (panning back in time)
        self.cell = 1  # columns per candle: 1 shows as many candles as fit, larger zooms in
        self._bars = 0  # bars in the last snapshot, to clamp panning
        self.overlays: set[str] = set(OVERLAYS)

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

    def visible_window(self, bars: int) -> tuple[int, int]:
        """[start, end) of the bars on screen: never more candles than columns, panned and zoomed."""
        if self.pan_bars and bars > self._bars > 0:
            self.pan_bars += bars - self._bars  # panned back: new bars must not slide the view
        self._bars = bars
        width = max(10, self.size.width - Y_AXIS_COLUMNS)
        visible = min(bars, max(10, width // self.cell))
        self.pan_bars = max(0, min(self.pan_bars, bars - visible))
        end = bars - self.pan_bars
        return end - visible, end

    def action_pan(self, direction: int) -> None:
        """Move a quarter of the visible window back (1) or forward (-1) in time."""
        width = max(10, self.size.width - Y_AXIS_COLUMNS)
        step = max(1, width // self.cell // 4)
        self.pan_bars = max(0, self.pan_bars + direction * step)
        self._force_replot()

    def action_pan_to(self, where: str) -> None:
        """Jump to the oldest bars or back to the latest."""
        self.pan_bars = self._bars if where == "start" else 0
        self._force_replot()

    def action_zoom(self, direction: int) -> None:
        """Zoom in (1: fewer, wider candles) or out (-1: more candles, up to one per column)."""
        self.cell = max(1, min(self.MAX_CELL, self.cell + direction))
        self._force_replot()

    def _force_replot(self) -> None:
        self._drawn_key = None
        self._replot_if_changed()

    def on_resize(self) -> None:
        self._force_replot()

    def _key(self, s: Snapshot) -> tuple[object, ...]:
        c = s.candles
        last = (int(c.ts_ms[-1]), float(c.high[-1]), float(c.low[-1]), float(c.close[-1])) if len(c) else None
        return (
            s.chart_timeframe,
            len(c),
            last,
            id(s.analysis),
            self.size,
            self.app.theme,
            self.pan_bars,
            self.cell,
        )

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
        lo_i, hi_i = self.visible_window(len(c))
        n = hi_i - lo_i
        title = f"{s.symbol.split(':')[0]} {s.chart_timeframe}"
        if self.pan_bars:
            title += f" · ◀ {self.pan_bars} bars back (end: latest)"
        self.border_title = f"3 Chart · {title}"
        if n == 0:
            plt.title("waiting for candles")
            self.refresh()
            return
        xs = list(range(n))
        data = {
            "Open": c.open[lo_i:hi_i].tolist(),
            "Close": c.close[lo_i:hi_i].tolist(),
            "High": c.high[lo_i:hi_i].tolist(),
            "Low": c.low[lo_i:hi_i].tolist(),
        }
        # plotext accepts numeric x positions here although its stubs say date strings.
        plt.candlestick(cast(Any, xs), data, colors=[self._rgb("bull"), self._rgb("bear")])
        y_lo, y_hi = float(c.low[lo_i:hi_i].min()), float(c.high[lo_i:hi_i].max())
        span = max(y_hi - y_lo, abs(y_hi) * 1e-4)
        levels = self._levels(s)
        shown = [(p, label, var) for p, label, var in levels if y_lo - 0.15 * span <= p <= y_hi + 0.15 * span]
        for p, _, _ in shown:
            y_lo, y_hi = min(y_lo, p), max(y_hi, p)
        for p, label, var in shown:
            plt.hline(p, self._rgb(var))
            if not label:
                continue  # the lower edge of a gap: the line is enough
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
        labels = [self._time_label(int(c.ts_ms[lo_i + int(t)]), s.chart_timeframe) for t in ticks]
        plt.xticks(ticks, labels)
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

    def _levels(self, s: Snapshot) -> list[tuple[float, str, str]]:
        """(price, label, theme variable) of every level whose overlay is on."""
        a = s.analysis
        out: list[tuple[float, str, str]] = []
        if "last" in self.overlays and s.price is not None:
            out.append((s.price, "last", "primary"))
        if a is None:
            return out
        if "fib" in self.overlays and a.ladder is not None:
            out += [(p, f"fib {r:g}", "fib-level") for r, p in a.ladder.levels if r not in (0.0, 1.0)]
        z = a.zones
        if "zones" in self.overlays:
            if z.resistance is not None:
                out.append((z.resistance.mid, "resistance", "resistance"))
            if z.support is not None:
                out.append((z.support.mid, "support", "support"))
        sc = a.scenarios
        if "plans" in self.overlays:
            if sc.breakdown is not None and sc.breakdown.target is not None:
                out.append((sc.breakdown.target, "liquidity", "liquidity"))
            if sc.bounce is not None and sc.bounce.target is not None:
                out.append((sc.bounce.target, "bounce target", "bull"))
        if "gaps" in self.overlays and s.price is not None:
            # Only the gaps nearest the price (two above, two below): every open gap at once is noise.
            # Untouched gaps at full strength, touched ones muted; filled gaps are never drawn.
            above = sorted((g for g in a.gaps if g.bottom > s.price), key=lambda g: g.bottom)[:2]
            below = sorted((g for g in a.gaps if g.top < s.price), key=lambda g: -g.top)[:2]
            for g in above + below:
                fresh = g.touched_index is None
                var = "fvg" if fresh else "muted"
                out.append((g.top, "FVG" if fresh else "fvg", var))
                out.append((g.bottom, "", var))
        return out

    def action_toggle_overlay(self, name: str) -> None:
        """Show or hide one overlay (fib, gaps, zones, plans, last)."""
        if name in OVERLAYS:
            self.overlays ^= {name}
            self._force_replot()
