"""Snapshot tests of the whole screen at the minimum (80x24) and design (120x40) sizes, seeded data."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from cockpit.widgets.price_chart import PriceChart

from cockpit.config import Config
from cockpit.models import Snapshot
from cockpit.sources.demo.market import DEFAULT_SEED
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.wiring import demo_snapshot


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both change how Textual draws, so a developer's shell must not leak into the baselines.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)


@cache
def opening() -> Snapshot:
    return demo_snapshot(Config(), DEFAULT_SEED)


async def _inject(pilot: Any) -> None:
    app = pilot.app
    app.post_message(SnapshotReady(opening()))
    await pilot.pause()
    app.query_one(PriceChart).replot(opening())  # draw now instead of on the throttle timer
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["min-80x24", "design-120x40"])
def test_opening_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(CockpitApp(Config(), None), terminal_size=size, run_before=_inject)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(
        CockpitApp(Config(), None), press=["question_mark"], terminal_size=(120, 40), run_before=_inject
    )


def test_maximised_liquidations_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(
        CockpitApp(Config(), None), press=["2", "z"], terminal_size=(80, 24), run_before=_inject
    )


@pytest.mark.parametrize("theme", ["cockpit-light", "cockpit-high-contrast", "cockpit-colorblind"])
def test_each_theme_at_120x40(snap_compare: Any, theme: str) -> None:
    # cockpit-dark is the default, covered by test_opening_screen.
    from cockpit.config import UiSettings

    config = Config(ui=UiSettings(theme=theme))
    assert snap_compare(CockpitApp(config, None), terminal_size=(120, 40), run_before=_inject)


def test_too_small_terminal_shows_the_enlarge_message(snap_compare: Any) -> None:
    assert snap_compare(CockpitApp(Config(), None), terminal_size=(40, 12), run_before=_inject)


def test_ascii_glyphs_at_120x40(snap_compare: Any) -> None:
    from cockpit.config import UiSettings

    config = Config(ui=UiSettings(glyphs="ascii"))
    assert snap_compare(CockpitApp(config, None), terminal_size=(120, 40), run_before=_inject)


def test_sources_screen_on_the_simulated_market(snap_compare: Any) -> None:
    assert snap_compare(CockpitApp(Config(), None), press=["S"], terminal_size=(120, 40), run_before=_inject)


def test_sources_screen_live_with_errors(snap_compare: Any) -> None:
    from tests.app.test_sources import live_mix

    async def inject(pilot: Any) -> None:
        pilot.app.post_message(SnapshotReady(live_mix(opening())))
        await pilot.pause()

    assert snap_compare(CockpitApp(Config(), None), press=["S"], terminal_size=(120, 40), run_before=inject)
