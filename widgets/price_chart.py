"""The price chart: candles for the visible window with the Fibonacci ladder, zones and scenario levels."""

from __future__ import annotations

from typing import Any, ClassVar

from cockpit.widgets import chart_figure as fig
from cockpit.widgets.bindings import bindings_for
from cockpit.widgets.chart_figure import DEFAULT_OVERLAYS, OVERLAYS
from cockpit.widgets.chart_layout import marker_sizes
from rich.text import Text
from textual.binding import BindingType
from textual.color import Color
from textual.geometry import Region
from textual_plotext import PlotextPlot

from cockpit.keymap import CHART_KEYMAP
from cockpit.models import Snapshot
from cockpit.text import formatting as fmt

Y_AXIS_COLUMNS = 9  # y tick labels ("75,200") and the frame


class PriceChart(PlotextPlot, can_focus=True):
    """Candles plus labelled levels. Replots only when the data changed, at most ``max_hz`` times a second."""

    DEFAULT_CSS = """
    PriceChart { border: round $panel-lighten-2; border-title-color: $foreground-muted; height: 1fr; }
    PriceChart:focus { border: round $primary; border-title-color: $primary; }
    """
    # Hover would otherwise rebuild the whole figure on every mouse move (measured: 5 renders per 10 moves).
    auto_links = False
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(CHART_KEYMAP)
    MAX_CELL = 6  # columns per candle at the closest zoom

    def __init__(self, max_hz: float = 2.0, fvg_min_pct: float = 0.05, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_hz = max_hz
        self.fvg_min_pct = fvg_min_pct
        self._snapshot: Snapshot | None = None
        self._drawn_key: tuple[object, ...] | None = None
        self._scheduled = False
        self.replots = 0
        self.pan_bars = 0  # bars between the right edge and the latest bar (panning back in time)
        self.cell = 1  # columns per candle: 1 shows as many candles as fit, larger zooms in
        self._bars = 0  # bars in the last snapshot, to clamp panning
        self.overlays: set[str] = set(DEFAULT_OVERLAYS)
        self.cursor: float | None = None  # price under the cursor; None hides it
        self.alarm_levels: tuple[float, ...] = ()
        self.drawn = fig.Drawn()
        self._frame: Any = None  # the last rendered figure (rich Text), reused until the next replot
        self._frame_size: Any = None

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

    def set_alarm_levels(self, levels: tuple[float, ...]) -> None:
        """Alarm prices to draw (from the alarm store); replots if they changed."""
        if levels != self.alarm_levels:
            self.alarm_levels = levels
            self._force_replot()

    def _plot_columns(self) -> int:
        gutter = fig.RIGHT_GUTTER if ("last" in self.overlays or self.cursor is not None) else 0
        return max(10, self.size.width - Y_AXIS_COLUMNS - gutter)

    def visible_window(self, bars: int) -> tuple[int, int]:
        """[start, end) of the bars on screen: never more candles than columns, panned and zoomed."""
        if self.pan_bars and bars > self._bars > 0:
            self.pan_bars += bars - self._bars  # panned back: new bars must not slide the view
        self._bars = bars
        visible = min(bars, max(10, self._plot_columns() // self.cell))
        self.pan_bars = max(0, min(self.pan_bars, bars - visible))
        end = bars - self.pan_bars
        return end - visible, end

    def action_pan(self, direction: int) -> None:
        """Move a quarter of the visible window back (1) or forward (-1) in time."""
        step = max(1, self._plot_columns() // self.cell // 4)
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

    def action_cursor(self, rows: int) -> None:
        """Move the price cursor one row up (1) or down (-1); the first press puts it on the last price."""
        lay = self.drawn.layout
        if self.cursor is None:
            self.cursor = self._snapshot.price if self._snapshot is not None else None
        elif lay is not None:
            self.cursor += rows * lay.frame.step
        self._force_replot()

    def action_snap(self, direction: int) -> None:
        """Move the cursor to the nearest drawn level above (1) or below (-1) it."""
        s = self._snapshot
        start = self.cursor if self.cursor is not None else (s.price if s is not None else None)
        if start is None:
            return
        prices = [lv.price for lv in self.drawn.levels] + list(self.alarm_levels)
        if s is not None and s.price is not None:
            prices.append(s.price)
        eps = abs(start) * 1e-9
        ahead = [p for p in prices if (p - start) * direction > eps]
        if ahead:
            self.cursor = min(ahead, key=lambda p: abs(p - start))
            self._force_replot()

    def action_clear_cursor(self) -> None:
        """Hide the price cursor."""
        if self.cursor is not None:
            self.cursor = None
            self._force_replot()

    def cursor_info(self) -> tuple[float, float | None] | None:
        """(cursor price, distance from last in %) while the cursor is shown."""
        if self.cursor is None:
            return None
        price = self._snapshot.price if self._snapshot is not None else None
        return self.cursor, ((self.cursor / price - 1) * 100 if price else None)

    def _force_replot(self) -> None:
        """Redraw now (a key, a resize, a theme): the user is waiting, so no throttle."""
        self._drawn_key = None
        self._draw_if_changed()

    def on_resize(self) -> None:
        self._force_replot()

    def _on_screen(self, price: float | None) -> object:
        """Where ``price`` lands on the drawn chart, in half rows (candles are drawn in half blocks): a move
        that stays within one half row changes nothing a trader can see in the plot, so it is no reason to
        rebuild it (the exact last price is in the metrics strip). Before the first build: the price."""
        lay = self.drawn.layout
        if price is None or lay is None or lay.frame.step <= 0:
            return price
        frame = lay.frame
        return round(2 * (price - frame.y_lo) / frame.step)

    def _key(self, s: Snapshot) -> tuple[object, ...]:
        c = s.candles
        last = None
        if len(c):
            drawn_bar = (float(c.high[-1]), float(c.low[-1]), float(c.open[-1]), float(c.close[-1]))
            last = (int(c.ts_ms[-1]), *(self._on_screen(v) for v in drawn_bar))
        return (
            s.chart_timeframe,
            len(c),
            last,
            self._on_screen(s.price) if "last" in self.overlays else None,
            id(s.analysis),
            self._markers_on_screen(s) if "liqs" in self.overlays else None,
            self.size,
            self.app.theme,
            self.pan_bars,
            self.cell,
        )

    def _markers_on_screen(self, s: Snapshot) -> object:
        """The liquidation markers as drawn: each visible bar's size class and half row per side. A new
        print that leaves every marker's glyph and place alone (most of them, on a quiet tape) is no reason to
        rebuild the chart; its notional is in the liquidations pane."""
        liqs = s.chart_liquidations
        if liqs is None:
            return None
        lo, hi = self.visible_window(len(s.candles))
        notional = [*liqs.long_usd[lo:hi].tolist(), *liqs.short_usd[lo:hi].tolist()]
        prices = [*liqs.long_price[lo:hi].tolist(), *liqs.short_price[lo:hi].tolist()]
        return tuple(
            (size, self._on_screen(price)) if size else 0
            for size, price in zip(marker_sizes(notional), prices, strict=True)
        )

    def _replot_if_changed(self) -> None:
        """The throttle timer fired: draw the newest snapshot if it differs from what is on screen."""
        self._scheduled = False
        self._draw_if_changed()

    def _draw_if_changed(self) -> None:
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
        """Build the figure for a snapshot (called on the throttle, and at once on a key)."""
        self._snapshot = s
        self.replots += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        lo_i, hi_i = self.visible_window(len(s.candles))
        view = fig.View(
            lo_i, hi_i, frozenset(self.overlays), self.cursor, self.alarm_levels, self.fvg_min_pct
        )
        self.drawn = fig.build(plt, s, view, (self.size.width, self.size.height), self._rgb)
        self._show_title(s)
        self._show_frame()

    def _show_title(self, s: Snapshot) -> None:
        """The border: instrument and timeframe; the cursor's distance underneath. (Not the last price: a
        new border title repaints the whole pane, and the exact price is in the metrics strip.)"""
        title = f"{s.symbol.split(':')[0]} {s.chart_timeframe}"
        if self.pan_bars:
            title += f" · ◀ {self.pan_bars} bars back (end: latest)"
        info = self.cursor_info()
        subtitle = ""
        if info is not None:
            price, dist = info
            subtitle = f"cursor {fmt.price(price)} {fmt.pct(dist)} from last · a: alarm here"
        if (self.border_title, self.border_subtitle) != (f"3 Chart · {title}", subtitle):
            self.border_title, self.border_subtitle = f"3 Chart · {title}", subtitle

    def _show_frame(self) -> None:
        """Render the figure once and repaint only the rows that changed.

        A repainted widget is sent to the terminal whole; between two seconds at rest usually only the
        last-price row and the forming candle differ, so sending just those rows cut the chart's share of
        an SSH session's traffic (measured in tests/e2e/test_ssh.py, bench/RESULTS.md)."""
        old = self._frame
        try:
            frame: Any = super().render()
        except Exception as exc:  # a plotting failure must cost the chart, never the app
            frame = f"chart unavailable: {type(exc).__name__}: {exc}"
        self._frame, self._frame_size = frame, self.size
        if (
            not isinstance(old, Text)
            or not isinstance(frame, Text)
            or old.plain.count("\n") != frame.plain.count("\n")
        ):
            self.refresh()
            return
        width = self.size.width
        rows = [i for i, (a, b) in enumerate(zip(old.split("\n"), frame.split("\n"), strict=False)) if a != b]
        if rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    def render(self) -> Any:
        if self._frame is not None and self._frame_size == self.size:
            return self._frame
        try:
            return super().render()
        except Exception as exc:  # a plotting failure must cost the chart, never the app
            return f"chart unavailable: {type(exc).__name__}: {exc}"

    def action_toggle_overlay(self, name: str) -> None:
        """Show or hide one overlay (fib, gaps, zones, plans, alarms, liqs, last, rsi, volume)."""
        if name in OVERLAYS:
            self.overlays ^= {name}
            self._force_replot()
