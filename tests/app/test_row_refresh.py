"""Panes repaint only the rows that changed (issue 17: cost at rest in a real terminal). That is safe only
if the rows the update compares are the rows Textual draws: Content.wrap at the pane's width must give the
lines the widget renders, at every size, for every pane that updates row by row."""

from __future__ import annotations

import asyncio

from cockpit.widgets.pane import Pane
from cockpit.widgets.quiet_update import RowStatic, _changed_rows
from textual.content import Content
from textual.geometry import Region

from cockpit.config import Config
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.wiring import demo_snapshot


def test_the_compared_rows_are_the_rows_textual_draws() -> None:
    async def run(size: tuple[int, int]) -> list[tuple[str, int]]:
        app = CockpitApp(Config(), None)
        checked = []
        async with app.run_test(size=size) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), 20260202, 3000)))
            await pilot.pause()
            await pilot.pause()
            for w in app.query(RowStatic):
                shown = getattr(w, "_shown", None)  # what update_quietly last showed
                if not isinstance(shown, Content) or not w.content_size.width:
                    continue
                width, height = w.content_size
                ours = [line.plain.rstrip() for line in shown.wrap(width)]
                o = w.content_offset
                drawn = [
                    "".join(s.text for s in strip).rstrip()
                    for strip in w.render_lines(Region(o.x, o.y, width, height))
                ]
                n = min(len(ours), len(drawn))
                assert n and ours[:n] == drawn[:n], (w.id, size)
                checked.append((w.id or type(w).__name__, n))
        return checked

    for size in ((80, 24), (120, 40), (200, 50)):
        checked = asyncio.run(run(size))
        assert {"liquidations", "sentiment", "status"} <= {name for name, _ in checked}


def test_only_the_changed_row_is_repainted() -> None:
    async def run() -> tuple[object, object, object, list[str]]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), 20260202, 3000)))
            await pilot.pause()
            tape = app.query_one("#liquidations", Pane)
            old = tape._shown
            assert isinstance(old, Content)
            lines = old.split("\n")
            one_changed = Content("\n").join([*lines[:3], Content("a new third line"), *lines[4:]])
            more_rows = Content("\n").join([*lines, Content("one more line")])
            return (
                _changed_rows(tape, old, one_changed),
                _changed_rows(tape, old, more_rows),
                _changed_rows(tape, old, old),
                [line.plain for line in one_changed.wrap(tape.content_size.width)],
            )

    one, more, same, rows = asyncio.run(run())
    assert isinstance(one, tuple) and len(one) == 1 and rows[one[0].y] == "a new third line"
    assert more is None  # the pane grows: a whole repaint (and a layout where needed)
    assert same == ()
