"""Terminal fitness: resizing down to 40x12 and back, the too-small message, themes (switching, user
files, remembered), colour depth downgrades keeping bull and bear apart, ASCII glyphs, frame rate."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cockpit.themes import THEMES
from cockpit.themes.files import load_user_themes, remember_theme
from cockpit.widgets.ascii_glyphs import AsciiGlyphs, to_ascii
from cockpit.widgets.price_chart import PriceChart
from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.widgets import Static

from cockpit.config import Config, ConfigError, UiSettings, load_config
from cockpit.sources.demo.market import DEFAULT_SEED
from cockpit.ui.app import CockpitApp
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.terminal import ascii_wanted, frame_rate
from cockpit.wiring import demo_snapshot


def test_resize_from_200x60_to_40x12_and_back_without_error() -> None:
    sizes = [(200, 60), (120, 40), (80, 24), (60, 16), (59, 16), (40, 12), (80, 24), (200, 60)]

    async def run() -> list[tuple[tuple[int, int], bool, bool]]:
        app = CockpitApp(Config(), None)
        seen = []
        async with app.run_test(size=sizes[0]) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), DEFAULT_SEED)))
            await pilot.pause()
            for size in sizes:
                await pilot.resize_terminal(*size)
                await pilot.pause()
                app.query_one(PriceChart).replot(demo_snapshot(Config(), DEFAULT_SEED))
                await pilot.pause()
                message = app.query_one("#too-small", Static)
                seen.append((size, message.display, app.query_one("#body").display))
        return seen

    for size, message, body in asyncio.run(run()):
        small = size[0] < 60 or size[1] < 16
        assert (message, body) == (small, not small), size


def test_ctrl_t_cycles_themes_and_remembers_the_choice(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('# my settings\n[ui]\ntheme = "cockpit-dark"   # keep this comment\nchart_hz = 1.0\n')

    async def run() -> list[str]:
        app = CockpitApp(load_config(cfg), None)
        seen = []
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(4):
                await pilot.press("ctrl+t")
                await pilot.pause()
                seen.append(app.theme)
        return seen

    seen = asyncio.run(run())
    assert seen == ["cockpit-light", "cockpit-high-contrast", "cockpit-colorblind", "cockpit-dark"]
    text = cfg.read_text()
    assert 'theme = "cockpit-dark"   # keep this comment' in text and "chart_hz = 1.0" in text
    assert text.startswith("# my settings") and load_config(cfg).ui.theme == "cockpit-dark"
    remember_theme(str(cfg), "cockpit-light")
    assert load_config(cfg).ui.theme == "cockpit-light"


def test_user_theme_file_is_registered_and_bad_files_name_the_key(tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "mine.toml").write_text(
        'name = "mine"\nbase = "cockpit-light"\n[variables]\nbull = "#0000ff"\nbear = "#ff8800"\n'
    )
    (tmp_path / "config.toml").write_text('[ui]\ntheme = "mine"\n')
    config = load_config(tmp_path / "config.toml")

    async def run() -> tuple[str, str, list[str]]:
        app = CockpitApp(config, None)
        async with app.run_test(size=(120, 40)):
            return app.theme, app.theme_variables["bull"], app.theme_names

    theme, bull, names = asyncio.run(run())
    assert theme == "mine" and bull.lower() == "#0000ff" and names[-1] == "mine"
    (themes / "broken.toml").write_text('name = "broken"\n[variables]\nbul = "#00ff00"\n')
    with pytest.raises(ConfigError, match=r"broken.toml: \[variables\] unknown colour 'bul'"):
        load_user_themes(themes)
    (themes / "broken.toml").write_text('name = "broken"\n[colors]\nprimary = "greenish"\n')
    with pytest.raises(ConfigError, match=r"broken.toml: \[colors\] primary is not a colour: 'greenish'"):
        load_user_themes(themes)


def test_unknown_theme_falls_back_with_a_notice() -> None:
    async def run() -> tuple[str, list[str]]:
        app = CockpitApp(Config(ui=UiSettings(theme="nope")), None)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            return app.theme, [n.message for n in app._notifications]

    theme, notes = asyncio.run(run())
    assert theme == "cockpit-dark" and any("unknown theme 'nope'" in n for n in notes)


@pytest.mark.parametrize("name", list(THEMES))
@pytest.mark.parametrize("system", [ColorSystem.EIGHT_BIT, ColorSystem.STANDARD], ids=["256", "16"])
def test_themes_keep_bull_bear_and_alarms_apart_when_colours_are_downgraded(name: str, system: Any) -> None:
    t = THEMES[name]

    def down(value: str) -> int | None:
        return RichColor.parse(value).downgrade(system).number

    bull, bear, alarm, bg = (
        down(t.variables["bull"]),
        down(t.variables["bear"]),
        down(t.variables["alarm"]),
        down(t.background or "#000000"),
    )
    assert len({bull, bear, bg}) == 3 and alarm != bg


def test_frame_rate_and_glyph_mode_from_the_environment() -> None:
    assert frame_rate(0, {"SSH_CONNECTION": "1 2 3 4"}) == 10 and frame_rate(0, {}) == 30
    assert frame_rate(24, {"SSH_CONNECTION": "x"}) == 24
    assert ascii_wanted("auto", {"LANG": "C"}) and not ascii_wanted("auto", {"LANG": "en_US.UTF-8"})
    assert ascii_wanted("ascii", {}) and not ascii_wanted("unicode", {"LANG": "C"})


def _screen_lines(glyphs: str) -> list[str]:
    async def run() -> list[str]:
        app = CockpitApp(Config(ui=UiSettings(glyphs=glyphs)), None)
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), DEFAULT_SEED)))
            await pilot.pause()
            app.query_one(PriceChart).replot(demo_snapshot(Config(), DEFAULT_SEED))
            await pilot.pause()
            # The compositor's final strips, after the app's line filters: what the terminal receives.
            return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]

    return asyncio.run(run())


def test_ascii_mode_leaves_only_one_cell_ascii_on_the_whole_screen() -> None:
    unicode, ascii_ = _screen_lines("unicode"), _screen_lines("ascii")
    assert any(not line.isascii() for line in unicode)  # box drawing, blocks, braille, arrows...
    assert all(line.isascii() for line in ascii_)
    assert [len(x) for x in ascii_] == [len(x) for x in unicode]  # one cell for one cell: nothing shifts
    assert to_ascii("│") == "|" and to_ascii("─") == "-" and to_ascii("╭") == "+" and to_ascii("█") == "#"
    assert AsciiGlyphs().apply([], None) == []  # type: ignore[arg-type]


def test_no_color_makes_the_screen_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    async def run() -> set[tuple[int, int, int]]:
        app = CockpitApp(Config(), None)
        async with app.run_test(size=(120, 40)) as pilot:
            app.post_message(SnapshotReady(demo_snapshot(Config(), DEFAULT_SEED)))
            await pilot.pause()
            colours = set()
            for strip in app.screen._compositor.render_strips():
                for seg in strip:
                    for c in (seg.style.color, seg.style.bgcolor) if seg.style else ():
                        if c is not None and c.triplet is not None:
                            colours.add((c.triplet.red, c.triplet.green, c.triplet.blue))
            return colours

    colours = asyncio.run(run())
    assert colours and all(r == g == b for r, g, b in colours)  # greys only: no hue survives NO_COLOR
