"""Pilot tests: every binding, snapshot rendering, layouts at 80x24 and 120x40."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import pytest
from cockpit.widgets.price_chart import PriceChart
from textual.command import CommandPalette
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input

from cockpit.config import Config
from cockpit.keymap import EVERY_KEY, KEYMAP, PANES
from cockpit.models import Snapshot
from cockpit.sources.demo.market import DEFAULT_SEED
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.screens.help import HelpScreen
from cockpit.wiring import demo_snapshot

PANE_IDS = [p for p, _ in PANES]


@cache
def opening() -> Snapshot:
    """The simulated market's opening moment (deterministic)."""
    return demo_snapshot(Config(), DEFAULT_SEED)


async def _ready(app: CockpitApp, pilot: object) -> None:
    app.post_message(SnapshotReady(opening()))
    await pilot.pause()  # type: ignore[attr-defined]
    app.query_one(PriceChart).replot(opening())
    await pilot.pause()  # type: ignore[attr-defined]


def test_every_pane_key_focuses_its_pane() -> None:
    async def run() -> list[str | None]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            seen = []
            for n in range(1, 6):
                await pilot.press(str(n))
                seen.append(app.focused.id if app.focused else None)
            return seen

    assert asyncio.run(run()) == PANE_IDS


def test_tab_and_shift_tab_cycle_through_panes() -> None:
    async def run() -> tuple[list[str | None], list[str | None]]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            await pilot.press("1")
            forward = []
            for _ in range(5):
                await pilot.press("tab")
                forward.append(app.focused.id if app.focused else None)
            backward = []
            for _ in range(5):
                await pilot.press("shift+tab")
                backward.append(app.focused.id if app.focused else None)
            return forward, backward

    forward, backward = asyncio.run(run())
    # Tab follows the screen's reading order and wraps around; shift+tab walks it back.
    assert forward == ["chart", "scenarios", "liquidations", "sentiment", "metrics"]
    assert backward == ["sentiment", "liquidations", "scenarios", "chart", "metrics"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_z_maximises_and_restores_the_focused_pane(size: tuple[int, int]) -> None:
    async def run() -> tuple[object, tuple[int, int], object]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=size) as pilot:
            await _ready(app, pilot)
            await pilot.press("2")
            await pilot.press("z")
            maximised = app.screen.maximized
            region = app.query_one("#liquidations", Widget).region.size
            await pilot.press("z")
            return maximised, (region.width, region.height), app.screen.maximized

    maximised, (w, h), restored = asyncio.run(run())
    assert maximised is not None and getattr(maximised, "id", None) == "liquidations"
    assert w >= size[0] - 2 and h >= size[1] - 4  # fills the screen bar the footer
    assert restored is None


def test_question_mark_lists_every_key_and_closes() -> None:
    async def run() -> tuple[bool, str, bool]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            await pilot.press("question_mark")
            shown = isinstance(app.screen, HelpScreen)
            grid = app.screen.query_one("#help-keys")
            # Visible, not just present: the list must get real room on screen.
            shown = shown and grid.region.height >= len(KEYMAP) and grid.region.width >= 60
            text = " ".join(str(w.render()) for w in app.screen.query("Static"))
            await pilot.press("escape")
            return shown, text, isinstance(app.screen, HelpScreen)

    shown, text, still = asyncio.run(run())
    assert shown and not still
    for spec in EVERY_KEY:  # the chart's keys too
        assert spec.id in text and spec.palette in text
    # Key names that are markup characters show as typed: "[" slower, "]" faster (issue 16, item 13).
    assert "[ replay: half speed" in text and "] replay: double speed" in text


def test_a_chart_key_rebound_in_config_works_and_the_old_one_does_not() -> None:
    async def run() -> tuple[int, int, int]:
        app = CockpitApp(Config(keys={"chart-zoom-in": "i", "chart-pan-back": "j"}), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            await pilot.press("3")
            start = chart.cell
            await pilot.press("plus")  # the default key no longer zooms
            after_plus = chart.cell
            await pilot.press("i")
            return start, after_plus, chart.cell

    start, after_plus, after_i = asyncio.run(run())
    assert after_plus == start and after_i > start  # zoomed in: wider cells


def test_the_palette_runs_chart_actions_on_the_chart() -> None:
    async def run() -> tuple[int, int, str | None]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            await pilot.press("2")  # the liquidations pane has the focus, not the chart
            start = chart.cell
            await pilot.press("ctrl+p")
            for ch in "fewer, wider":
                await pilot.press({" ": "space", ",": "comma"}.get(ch, ch))
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            return start, chart.cell, app.focused.id if app.focused else None

    start, after, focused = asyncio.run(run())
    assert after > start and focused == "liquidations"


HelpRow = tuple[str, Region, str, Region, str, Region]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help_rows_show_each_key_as_typed_and_keep_columns_apart(size: tuple[int, int]) -> None:
    # Issue 16 item 13: "[" went into markup unescaped; the "A" row's description ran into its id.
    async def run() -> list[HelpRow]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=size) as pilot:
            await _ready(app, pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            cells = list(app.screen.query("#help-keys > Static"))
            rows = []
            for key, does, bid in zip(cells[0::3], cells[1::3], cells[2::3], strict=True):
                parts = [(str(w.render()), w.virtual_region) for w in (key, does, bid)]
                rows.append((parts[0][0], parts[0][1], parts[1][0], parts[1][1], parts[2][0], parts[2][1]))
            return rows

    rows = asyncio.run(run())
    assert [r[4] for r in rows] == [spec.id for spec in KEYMAP]
    shown = {bid: key for key, _, _, _, bid, _ in rows}
    assert shown["replay-slower"] == "[" and shown["replay-faster"] == "]" and shown["help"] == "?"
    for key, key_at, does, does_at, bid, bid_at in rows:
        assert does == next(s.palette for s in KEYMAP if s.id == bid)
        assert key_at.right < does_at.x and does_at.right < bid_at.x, (key, does, bid)
        assert bid_at.right <= size[0] - 2, bid  # the id is whole, inside the box


def test_ctrl_p_opens_the_palette_with_the_same_actions() -> None:
    async def run() -> tuple[bool, str | None]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            await pilot.press("ctrl+p")
            opened = isinstance(app.screen, CommandPalette)
            for ch in "focus scenarios":
                await pilot.press(ch if ch != " " else "space")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            return opened, app.focused.id if app.focused else None

    opened, focused = asyncio.run(run())
    assert opened and focused == "scenarios"


def test_q_quits_cleanly() -> None:
    async def run() -> bool:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(app, pilot)
            await pilot.press("q")
            await pilot.pause()
            return app.is_running

    assert asyncio.run(run()) is False


def test_keymap_override_from_config() -> None:
    async def run() -> tuple[object, object]:
        app = CockpitApp(Config(keys={"maximize": "m"}), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            await pilot.press("3")
            await pilot.press("z")
            after_z = app.screen.maximized
            await pilot.press("m")
            return after_z, app.screen.maximized

    after_z, after_m = asyncio.run(run())
    assert after_z is None and getattr(after_m, "id", None) == "chart"


def test_snapshot_fills_every_pane_and_shows_simulated() -> None:
    async def run() -> dict[str, str]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            text = {w.id or "": str(w.render()) for w in app.query("Pane, StatusBar")}
            text["scenarios"] = " ".join(str(w.render()) for w in app.query("#scenarios Static"))
            return text

    text = asyncio.run(run())
    snap = opening()
    assert "SIMULATED" in text["status"]
    assert f"{snap.price:,.1f}" in text["metrics"]
    assert "F&G" in text["metrics"] and str(snap.sentiment.latest.value) in text["metrics"]  # type: ignore[union-attr]
    assert "BOUNCE" in text["scenarios"] and "BREAKDOWN" in text["scenarios"]
    assert "1h" in text["liquidations"] and "24h" in text["liquidations"]
    assert "Extreme Fear" in text["sentiment"]


def _in(top: Widget, w: Widget) -> Region:
    """The widget's region in ``top``'s scrollable (virtual) space, wherever it is scrolled."""
    x = y = 0
    node: Widget = w
    while node is not top:
        x, y = x + node.virtual_region.x, y + node.virtual_region.y
        node = node.parent  # type: ignore[assignment]
    return Region(x, y, w.outer_size.width, w.outer_size.height)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
def test_panes_do_not_overlap(size: tuple[int, int]) -> None:
    async def run() -> list[tuple[str, Region]]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=size) as pilot:
            await _ready(app, pilot)
            body = app.query_one("#body")
            return [(w.id or "", _in(body, w)) for w in body.query("Pane, PriceChart")] + [
                ("status", app.query_one("#status").region)
            ]

    regions = asyncio.run(run())
    panes = regions[:-1]
    for i, (a, ra) in enumerate(panes):
        for b, rb in panes[i + 1 :]:
            assert not ra.overlaps(rb), f"{a} overlaps {b} at {size}"


def test_chart_survives_a_flat_market() -> None:
    # Every price equal: plotext would divide by a zero span without the padding.
    import dataclasses

    import numpy as np

    from cockpit.analytics import Candles

    snap = opening()
    n = 50
    level = np.full(n, 71_481.9)
    flat = Candles.from_arrays(np.arange(n) * 3_600_000, level, level, level, level, np.ones(n)).frozen()

    async def run() -> str:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            chart = app.query_one(PriceChart)
            chart.replot(dataclasses.replace(snap, candles=flat, analysis=None))
            await pilot.pause()
            return str(chart.render())

    assert "chart unavailable" not in asyncio.run(run())


def test_live_without_data_says_so_and_points_to_demo() -> None:
    import dataclasses

    from cockpit.models import SourceStatus

    snap = opening()
    as_of = snap.as_of_ms
    dead = tuple(
        SourceStatus(name, "error", None, "NetworkError: connection refused", False, as_of + 12_000, sampled)
        for name, sampled in (("binanceusdm", True), ("bybit", False), ("alternative.me", False))
    )
    # A sampling venue's prints are in every window: each total is a lower bound.
    sampled = dataclasses.replace(snap.liquidations.coverage[0], source="binanceusdm", sampled=True)
    liq = dataclasses.replace(
        snap.liquidations, coverage=(sampled,), lower_bound=dict.fromkeys(("1h", "4h", "24h"), True)
    )
    live = dataclasses.replace(
        snap, simulated=False, source="live", sources=dead, lower_bound=True, liquidations=liq
    )

    async def run() -> tuple[str, str]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(160, 40)) as pilot:
            app.post_message(SnapshotReady(live))
            await pilot.pause()
            return str(app.query_one("#status").render()), str(app.query_one("#liquidations").render())

    status, liquidations = asyncio.run(run())
    assert "SIMULATED" not in status
    assert "no live data" in status and "cockpit --demo" in status
    # Each source's error and countdown are on the sources screen (S); the line counts them.
    assert "3 error" in status
    assert "≥" in liquidations and "lower bound" in liquidations


def test_timeframe_keys_and_palette_switch_the_chart_through_the_engine() -> None:
    from cockpit.sources.clock import ManualClock
    from cockpit.sources.demo.market import OPENING_MS
    from cockpit.wiring import demo_engine

    async def wait_for_tf(app: CockpitApp, pilot: Any, tf: str) -> str | None:
        for _ in range(60):
            await pilot.pause(0.05)
            if app.snapshot is not None and app.snapshot.chart_timeframe == tf:
                break
        return app.snapshot.chart_timeframe if app.snapshot else None

    async def run() -> list[tuple[str | None, int]]:
        config = Config()
        app = CockpitApp(config, demo_engine(config, DEFAULT_SEED, ManualClock(OPENING_MS)))
        seen = []
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_tf(app, pilot, "1h")
            for key, tf in (("t", "4h"), ("t", "1d"), ("T", "4h"), ("T", "1h"), ("T", "15m")):
                await pilot.press(key)
                got = await wait_for_tf(app, pilot, tf)
                seen.append((got, len(app.snapshot.candles) if app.snapshot else 0))
            await pilot.press("ctrl+p")
            for ch in "timeframe 5m":
                await pilot.press(ch if ch != " " else "space")
            await pilot.pause(0.3)
            await pilot.press("enter")
            got = await wait_for_tf(app, pilot, "5m")
            seen.append((got, len(app.snapshot.candles) if app.snapshot else 0))
        return seen

    seen = asyncio.run(run())
    assert [tf for tf, _ in seen] == ["4h", "1d", "4h", "1h", "15m", "5m"]
    counts = dict(seen)
    # A week and a half of minutes: more bars the finer the timeframe (forming bar included).
    assert counts["1d"] < counts["4h"] < counts["1h"] < counts["15m"] < counts["5m"]


def test_chart_pans_and_zooms_within_its_columns() -> None:
    async def run() -> dict[str, tuple[int, int]]:
        app = CockpitApp(Config(), None)
        out: dict[str, tuple[int, int]] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            bars = len(opening().candles)
            await pilot.press("3")
            out["start"] = chart.visible_window(bars)
            for key in ("left", "left"):
                await pilot.press(key)
            out["back"] = chart.visible_window(bars)
            await pilot.press("right")
            out["forward"] = chart.visible_window(bars)
            await pilot.press("home")
            out["oldest"] = chart.visible_window(bars)
            await pilot.press("end")
            out["latest"] = chart.visible_window(bars)
            await pilot.press("plus")
            out["zoom_in"] = chart.visible_window(bars)
            await pilot.press("minus")
            out["zoom_out"] = chart.visible_window(bars)
            out["columns"] = (chart.size.width - 11, bars)
        return out

    w = asyncio.run(run())
    columns, bars = w["columns"]
    start, end = w["start"]
    assert end == bars and end - start <= columns  # latest bars, never more candles than columns
    assert w["back"][1] < end and w["forward"][1] > w["back"][1]
    assert w["oldest"][0] == 0 and w["latest"] == w["start"]
    assert w["zoom_in"][1] - w["zoom_in"][0] < end - start and w["zoom_out"] == w["start"]


def _drawn(chart: PriceChart) -> dict[str, object]:
    """What the chart's last build put on screen, by overlay."""
    d = chart.drawn
    names = [lv.name for lv in d.levels]
    lay = d.layout
    return {
        "fib": any(n.startswith("fib") for n in names),
        "gaps": any("FVG" in n or "fvg" in n for n in names),
        "zones": any("resistance" in n or "support" in n for n in names),
        "plans": any("target" in n or "trigger" in n for n in names),
        "alarms": any("alarm" in n for n in names),
        "liqs": d.markers > 0,
        "last": any(p.label.side == "right" and p.label.priority == 0 for p in d.labels),
        "rsi": lay is not None and lay.strip_rows > 0,
        "volume": d.volume,
    }


OVERLAY_KEY = {"fib": "f", "gaps": "g", "zones": "l", "plans": "p", "alarms": "b", "liqs": "k"}
OVERLAY_KEY |= {"last": "x", "rsi": "r", "volume": "v"}


def test_each_overlay_key_toggles_exactly_its_layer() -> None:
    async def run() -> dict[str, tuple[dict[str, object], dict[str, object]]]:
        app = CockpitApp(Config(), None)
        out = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            chart.set_alarm_levels((75_500.0,))
            await pilot.press("3")
            for name, key in OVERLAY_KEY.items():
                before = _drawn(chart)
                await pilot.press(key)
                after = _drawn(chart)
                await pilot.press(key)
                assert _drawn(chart) == before  # toggled back
                out[name] = (before, after)
        return out

    o = asyncio.run(run())
    for name, (before, after) in o.items():
        assert before[name] != after[name], name  # the key switches its own layer
        assert {k: v for k, v in before.items() if k != name} == {k: v for k, v in after.items() if k != name}
    assert all(o[name][0][name] for name in OVERLAY_KEY if name != "volume")  # on at start
    assert not o["volume"][0]["volume"]  # volume is opt-in


def test_palette_toggles_an_overlay() -> None:
    async def run() -> tuple[bool, bool]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            before = bool(_drawn(chart)["gaps"])
            await pilot.press("ctrl+p")
            for ch in "toggle gaps":
                await pilot.press(ch if ch != " " else "space")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            return before, bool(_drawn(chart)["gaps"])

    assert asyncio.run(run()) == (True, False)


def test_price_cursor_moves_by_rows_snaps_to_levels_and_prefills_the_alarm_dialog() -> None:
    async def run() -> dict[str, Any]:
        app = CockpitApp(Config(), None)
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            await pilot.press("3")
            replots = chart.replots
            await pilot.press("up")
            out["first"] = chart.cursor
            out["redrawn"] = chart.replots > replots
            await pilot.press("up", "up")
            out["two_up"] = chart.cursor
            out["step"] = chart.drawn.layout.frame.step if chart.drawn.layout else None
            out["subtitle"] = str(chart.border_subtitle)
            await pilot.press("shift+up")
            out["snapped_up"] = chart.cursor
            await pilot.press("shift+down", "shift+down")
            out["snapped_down"] = chart.cursor
            out["levels"] = [lv.price for lv in chart.drawn.levels]
            out["cursor_label"] = [p for p in chart.drawn.labels if p.label.text.startswith("▸")]
            await pilot.press("a")
            await pilot.pause()
            dialog = app.screen
            out["dialog"] = type(dialog).__name__
            out["prefill"] = dialog.query_one("#alarm-main", Input).value
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            out["alarm_drawn"] = [lv.price for lv in chart.drawn.levels if "alarm" in lv.name]
            await pilot.press("escape")
            out["hidden"] = chart.cursor
        return out

    o = asyncio.run(run())
    last = opening().price
    assert o["first"] == last and o["redrawn"]  # the first press puts the cursor on the last price
    assert o["two_up"] == pytest.approx(last + 2 * o["step"])
    assert "cursor" in o["subtitle"] and "% from last" in o["subtitle"]
    above = [p for p in o["levels"] if p > o["two_up"] + 1e-6]
    assert o["snapped_up"] == pytest.approx(min(above))  # the nearest level above the cursor
    assert o["snapped_down"] < o["snapped_up"] and o["snapped_down"] in o["levels"] + [last]
    assert len(o["cursor_label"]) == 1  # the cursor's price tag is on screen
    assert o["dialog"] == "AlarmDialog" and float(o["prefill"]) == pytest.approx(o["snapped_down"], abs=0.01)
    assert o["alarm_drawn"] == [pytest.approx(o["snapped_down"], abs=0.01)]
    assert o["hidden"] is None


def test_chart_replots_on_theme_change_with_the_new_colours_and_not_on_hover() -> None:
    async def run() -> dict[str, Any]:
        app = CockpitApp(Config(), None)
        out: dict[str, Any] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await _ready(app, pilot)
            chart = app.query_one(PriceChart)
            seen: list[str] = []
            rgb = chart._rgb
            chart._rgb = lambda variable: (seen.append(variable), rgb(variable))[1]  # type: ignore[method-assign]
            before = chart.replots
            for x in range(10):
                await pilot.hover("#chart", offset=(10 + x * 3, 5))
            out["hover_replots"] = chart.replots - before
            dark_bull = rgb("bull")
            app.theme = "cockpit-light"
            await pilot.pause()
            out["theme_replots"] = chart.replots - before
            out["light_bull"] = rgb("bull")
            out["dark_bull"] = dark_bull
            out["variables"] = set(seen)
        return out

    o = asyncio.run(run())
    assert o["hover_replots"] == 0  # moving the mouse never rebuilds the figure
    assert o["theme_replots"] == 1 and o["light_bull"] != o["dark_bull"]
    from cockpit.themes import COCKPIT_VARIABLES

    textual_base = {"primary", "surface", "foreground"}
    assert o["variables"] and o["variables"] <= set(COCKPIT_VARIABLES) | textual_base


def test_no_colour_literals_outside_themes() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"#[0-9A-Fa-f]{6}\b|\brgb\(|\bColor\(\d")
    offenders = [
        f"{p.relative_to(root)}:{n}"
        for d in ("cockpit", "widgets")
        for p in (root / d).rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    offenders += [str(p) for p in (root / "cockpit").glob("*.tcss") if literal.search(p.read_text())]
    assert offenders == []


def test_funding_and_open_interest_say_whose_and_per_what() -> None:
    import dataclasses

    live = dataclasses.replace(
        opening(),
        funding_rate=0.0001,
        funding_interval_h=4.0,
        funding_venue="Binance",
        open_interest_usd=5.7e9,
        open_interest_venue="Bybit",
    )

    async def run() -> str:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(160, 40)) as pilot:
            app.post_message(SnapshotReady(live))
            await pilot.pause()
            return str(app.query_one("#metrics").render())

    text = asyncio.run(run())
    assert "Funding +0.0100% 4h · Binance" in text  # the venue's own interval, not a fixed 8h
    assert "OI $5.70B · Bybit" in text


def test_status_bar_names_the_feed_that_makes_a_venue_stale() -> None:
    import dataclasses

    from cockpit.models import FeedStatus, SourceStatus

    snap = opening()
    t = snap.as_of_ms
    bybit = SourceStatus(
        "bybit",
        "stale",
        t,
        feeds=(
            FeedStatus("liquidations", "stale", t, None, note="no liquidation for 16 min"),
            FeedStatus("ticker", "ok", t, t),
        ),
    )
    okx = SourceStatus("okx", "ok", t, feeds=(FeedStatus("liquidations", "ok", t, t),))
    live = dataclasses.replace(snap, simulated=False, source="live", sources=(bybit, okx))

    async def run() -> str:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(160, 40)) as pilot:
            app.post_message(SnapshotReady(live))
            await pilot.pause()
            return str(app.query_one("#status").render())

    status = asyncio.run(run())
    assert "bybit stale: liquidations" in status and "ticker" not in status
    assert "3 ok · 1 stale" in status  # okx among the ok


def test_a_snapshot_arriving_while_the_app_closes_is_dropped() -> None:
    """Seen once in a full run: the engine's last snapshot reached an app whose panes were already gone."""

    async def run() -> None:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(app, pilot)
            await app.query_one("#body").remove()  # what closing does to the panes
            app.post_message(SnapshotReady(opening()))
            await pilot.pause()

    asyncio.run(run())  # no NoMatches from a pane that is no longer there
