"""Builds the chart's plotext figure from a snapshot and the view (window, overlays, cursor).

Kept apart from the widget so the widget holds state and keys, and this holds drawing. Geometry (rows,
label placement, ticks, marker sizes) comes from ``cockpit.widgets.chart_layout``, which is tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

import numpy as np
from cockpit.widgets import chart_layout as geo

from cockpit.keymap import CHART_OVERLAY_KEYS
from cockpit.models import Snapshot
from cockpit.text import formatting as fmt

RGB = tuple[int, int, int]
Palette = Callable[[str], RGB]  # theme variable name -> colour

OVERLAY_KEYS = CHART_OVERLAY_KEYS  # key, overlay name, shown at start (the key map holds them)
OVERLAYS: tuple[str, ...] = tuple(name for _, name, _ in OVERLAY_KEYS)
DEFAULT_OVERLAYS: frozenset[str] = frozenset(name for _, name, on in OVERLAY_KEYS if on)
MARKERS = {1: "·", 2: "•", 3: "●"}  # liquidation marker per size class
RIGHT_GUTTER = 11  # columns right of the newest candle for the last-price and cursor tags
LEVEL_MARGIN = 0.15  # levels this far (share of the candle range) outside the candles still fit the axis


@dataclass(frozen=True, slots=True)
class View:
    """What the user chose to see."""

    start: int  # first visible bar
    end: int  # one past the last visible bar
    overlays: frozenset[str] = DEFAULT_OVERLAYS
    cursor: float | None = None
    alarms: tuple[float, ...] = ()
    fvg_min_pct: float = 0.05


@dataclass(frozen=True, slots=True)
class Level:
    price: float
    name: str
    variable: str
    priority: int  # lower wins a contested label row
    labelled: bool = True


@dataclass(slots=True)
class Drawn:
    """What the last build put on screen, for the widget's cursor and tests."""

    layout: geo.Layout | None = None
    levels: list[Level] = field(default_factory=list)
    labels: list[geo.Placed] = field(default_factory=list)
    markers: int = 0  # liquidation markers drawn
    volume: bool = False


def levels(s: Snapshot, view: View) -> list[Level]:
    """Every level whose overlay is on, equal prices merged into one line with both names."""
    out: list[Level] = []
    on = view.overlays
    a = s.analysis
    if "alarms" in on:
        out += [Level(p, "alarm", "alarm", 1) for p in view.alarms]
    if a is not None:
        sc, z = a.scenarios, a.zones
        if "plans" in on:
            for plan, name, var in ((sc.bounce, "bounce", "bull"), (sc.breakdown, "breakdown", "bear")):
                if plan is not None and plan.target is not None:
                    out.append(Level(plan.target, f"{name} target", var, 2))
            trigger = sc.bounce.trigger if sc.bounce is not None else None
            if trigger is not None:
                out.append(Level(trigger, "trigger", "primary", 2))
        if "zones" in on:
            if z.resistance is not None:
                out.append(Level(z.resistance.mid, "resistance", "resistance", 3))
            if z.support is not None:
                out.append(Level(z.support.mid, "support", "support", 3))
        if "fib" in on and a.ladder is not None:
            out += [Level(p, f"fib {r:g}", "fib-level", 4) for r, p in a.ladder.levels if r not in (0.0, 1.0)]
        if "gaps" in on and s.price is not None:
            out += _gap_levels(s, view)
    return _merge(out)


def _gap_levels(s: Snapshot, view: View) -> list[Level]:
    """The open gaps nearest the price (two above, two below) that are big enough to matter: untouched
    ones strong, touched ones muted; filled gaps are never drawn."""
    assert s.analysis is not None and s.price is not None
    price = s.price
    big = [g for g in s.analysis.gaps if (g.top - g.bottom) >= price * view.fvg_min_pct / 100.0]
    above = sorted((g for g in big if g.bottom > price), key=lambda g: g.bottom)[:2]
    below = sorted((g for g in big if g.top < price), key=lambda g: -g.top)[:2]
    out = []
    for g in above + below:
        fresh = g.touched_index is None
        var = "fvg" if fresh else "muted"
        out.append(Level(g.top, "FVG" if fresh else "fvg touched", var, 5))
        out.append(Level(g.bottom, "", var, 6, labelled=False))
    return out


def _merge(levels_: list[Level]) -> list[Level]:
    """One line per price: names of levels at the same price are joined (fib 0.618 · trigger)."""
    by_price: dict[float, Level] = {}
    for lv in sorted(levels_, key=lambda x: x.priority):
        key = round(lv.price, 8)
        prev = by_price.get(key)
        if prev is None:
            by_price[key] = lv
        elif lv.labelled and lv.name:
            name = f"{prev.name} · {lv.name}" if prev.name else lv.name
            by_price[key] = Level(prev.price, name, prev.variable, prev.priority, True)
    return list(by_price.values())


@dataclass(frozen=True)
class _PriceFrame:
    """The price axis of one build: the layout, the levels inside it, the prices tagged in the gutter."""

    lay: geo.Layout
    levels: list[Level]
    pinned: list[float]  # last price and cursor: tagged right of the newest candle
    lo: float  # the padded range shown
    hi: float
    strip: int  # rows of the RSI strip (0: off)


def _price_frame(s: Snapshot, view: View, height: int) -> _PriceFrame:
    """Fit the visible candles, the levels near them and the tagged prices, with a little room."""
    highs, lows = s.candles.high[view.start : view.end], s.candles.low[view.start : view.end]
    p_lo, p_hi = float(lows.min()), float(highs.max())
    span = max(p_hi - p_lo, abs(p_hi) * 1e-4)
    lv = [x for x in levels(s, view) if p_lo - LEVEL_MARGIN * span <= x.price <= p_hi + LEVEL_MARGIN * span]
    pinned = [p for p in (s.price if "last" in view.overlays else None, view.cursor) if p is not None]
    for p in [x.price for x in lv] + pinned:
        p_lo, p_hi = min(p_lo, p), max(p_hi, p)
    pad = max((p_hi - p_lo) * 0.03, abs(p_hi) * 5e-4, 1e-6)  # a flat window still needs a span
    plot_rows = max(2, height - geo.FRAME_ROWS)
    strip = geo.strip_rows_for(plot_rows) if "rsi" in view.overlays else 0
    lay = geo.layout(p_lo - pad, p_hi + pad, plot_rows, strip)
    return _PriceFrame(lay, lv, pinned, p_lo - pad, p_hi + pad, strip)


def build(plt: Any, s: Snapshot, view: View, size: tuple[int, int], color: Palette) -> Drawn:
    """Draw the figure for the visible bars into ``plt``; returns what was placed."""
    drawn = Drawn()
    n = view.end - view.start
    if n <= 0:
        plt.title(f"loading {s.symbol} candles…" if s.loading else "waiting for candles")
        return drawn
    frame = _price_frame(s, view, size[1])
    drawn.layout, drawn.levels = frame.lay, frame.levels
    yticks, ylabels = _yticks(frame.lay, frame.lo, frame.hi)
    plot_cols = max(10, size[0] - (max(len(t) for t in ylabels) + 2))
    gutter = RIGHT_GUTTER if frame.pinned and plot_cols > 3 * RIGHT_GUTTER else 0
    bars_per_col = n / max(1, plot_cols - gutter)
    plt.xlim(-0.5, n - 0.5 + gutter * bars_per_col)
    plt.ylim(frame.lay.frame.y_lo, frame.lay.frame.y_hi)
    _series(plt, s, view, frame, color, drawn)
    drawn.labels = _labels(plt, s, view, frame, n - 0.5 + bars_per_col, color)
    plt.yticks(yticks, ylabels)
    step = max(1, n * 12 // max(12, plot_cols - gutter))  # one time label per ~12 columns
    ticks = [float(t) for t in range(0, n, step)]
    stamps = s.candles.ts_ms
    plt.xticks(ticks, [_time_label(int(stamps[view.start + int(t)]), s.chart_timeframe) for t in ticks])
    return drawn


def _series(plt: Any, s: Snapshot, view: View, frame: _PriceFrame, color: Palette, drawn: Drawn) -> None:
    """Volume, candles, liquidation markers, level lines and the RSI strip, back to front."""
    c, lo_i, hi_i = s.candles, view.start, view.end
    if "volume" in view.overlays:
        drawn.volume = _volume(plt, s, view, frame.lay, color)
    data = {
        "Open": c.open[lo_i:hi_i].tolist(),
        "Close": c.close[lo_i:hi_i].tolist(),
        "High": c.high[lo_i:hi_i].tolist(),
        "Low": c.low[lo_i:hi_i].tolist(),
    }
    # plotext accepts numeric x positions here although its stubs say date strings.
    plt.candlestick(cast(Any, list(range(hi_i - lo_i))), data, colors=[color("bull"), color("bear")])
    if "liqs" in view.overlays:
        drawn.markers = _liquidations(plt, s, view, color)
    for x in frame.levels:
        plt.hline(x.price, color(x.variable))
    if frame.strip:
        _rsi_strip(plt, s, view, frame.lay, color)


def _labels(
    plt: Any, s: Snapshot, view: View, frame: _PriceFrame, right_x: float, color: Palette
) -> list[geo.Placed]:
    """Level names on the left, the last price and the cursor in the gutter at ``right_x``."""
    labels = [
        geo.Label(x.price, f"{x.name} {fmt.price(x.price)}", x.priority, "left", x.variable)
        for x in frame.levels
        if x.labelled
    ]
    if "last" in view.overlays and s.price is not None:
        plt.hline(s.price, color("primary"))
        # The line marks where the price is; its exact value is in the metrics strip, so this label does
        # not change with every tick (a tick within one row then redraws nothing: bench/RESULTS.md).
        labels.append(geo.Label(s.price, "◂ last", 0, "right", "primary"))
    if view.cursor is not None:
        plt.hline(view.cursor, color("cursor"))
        text = f"▸{fmt.price(view.cursor)}"  # the distance from last is in the pane's subtitle
        labels.append(geo.Label(view.cursor, text, -1, "right", "cursor"))
    placed = geo.place_labels(labels, frame.lay.frame, 0, frame.lay.price_bottom_row)
    for p in placed:
        plt.text(
            p.label.text,
            x=0 if p.label.side == "left" else right_x,
            y=frame.lay.frame.y_at(p.row),
            color=color(p.label.variable),
            background=color("surface"),
            alignment="left",
        )
    return placed


def _yticks(lay: geo.Layout, lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Round prices over the candle rows; 70 and 30 on the RSI strip."""
    ticks = geo.nice_ticks(lo, hi, lay.frame, 0, lay.price_bottom_row)
    labels = [f"{t:,.0f}" if abs(t) >= 1000 else fmt.price(t) for t in ticks]
    if lay.strip_rows:
        for g in geo.RSI_GUIDES:
            ticks.append(lay.rsi_y(g))
            labels.append(f"{g:.0f}")
    return ticks, labels


def _rsi_strip(plt: Any, s: Snapshot, view: View, lay: geo.Layout, color: Palette) -> None:
    """RSI of the visible closed bars under the candles, same x positions, with 30/70 guides."""
    plt.hline(lay.separator_y, color("muted"))
    for g in geo.RSI_GUIDES:
        plt.hline(lay.rsi_y(g), color("muted"))
    values = np.asarray(s.chart_rsi[view.start : view.end])
    ok = np.flatnonzero(np.isfinite(values))
    if not len(ok):
        return
    xs = ok.tolist()
    plt.plot(xs, [lay.rsi_y(float(v)) for v in values[ok]], color=color("rsi"))
    last = float(values[ok[-1]])
    top_row = lay.price_rows + 1
    plt.text(
        f"RSI {last:.1f}",
        x=0,
        y=lay.frame.y_at(top_row),
        color=color("rsi"),
        background=color("surface"),
        alignment="left",
    )


def _liquidations(plt: Any, s: Snapshot, view: View, color: Palette) -> int:
    """Markers at each bar's liquidation price, sized by notional against the largest on screen."""
    cl = s.chart_liquidations
    if cl is None or len(cl.long_usd) < view.end:
        return 0
    sl = slice(view.start, view.end)
    sides = (("bear", cl.long_usd[sl], cl.long_price[sl]), ("bull", cl.short_usd[sl], cl.short_price[sl]))
    notional = np.concatenate([u for _, u, _ in sides])
    size = np.asarray(geo.marker_sizes(notional.tolist()), dtype=np.int64).reshape(2, -1)
    drawn = 0
    for (var, _, px), sz in zip(sides, size, strict=True):
        for cls, glyph in MARKERS.items():
            idx = np.flatnonzero(sz == cls)
            if len(idx):
                plt.scatter(idx.tolist(), px[idx].tolist(), marker=glyph, color=color(var))
                drawn += len(idx)
    return drawn


def _volume(plt: Any, s: Snapshot, view: View, lay: geo.Layout, color: Palette) -> bool:
    """Volume bars rising from the bottom of the candle area, up to a fifth of its height."""
    vol = np.asarray(s.candles.volume[view.start : view.end], dtype=float)
    top = float(vol.max()) if len(vol) else 0.0
    if top <= 0:
        return False
    base = lay.frame.y_at(lay.price_bottom_row)
    height = (lay.price_rows * 0.2) * lay.frame.step
    ys = (base + vol / top * height).tolist()
    xs = list(range(len(vol)))
    data = {"Open": [base] * len(xs), "Close": ys, "High": ys, "Low": [base] * len(xs)}
    muted = color("muted")
    plt.candlestick(cast(Any, xs), data, colors=[muted, muted])
    return True


def _time_label(ts_ms: int, timeframe: str) -> str:
    dt = datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc)
    return dt.strftime("%m-%d") if timeframe in ("4h", "1d") else dt.strftime("%d %H:%M")
