"""ctrl+t remembers the theme in the user's config: only the theme changes, and the next start reads it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cockpit.themes.files import remember_theme

from cockpit.config import ConfigError, load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"

# (config as the user wrote it, the same file after ctrl+t chose cockpit-light): every TOML spelling of
# [ui] theme, and text that only looks like it.
SHAPES = {
    "header-comment": (
        '[ui] # screen\ntheme = "cockpit-dark"   # keep this comment\nchart_hz = 1.0\n',
        '[ui] # screen\ntheme = "cockpit-light"   # keep this comment\nchart_hz = 1.0\n',
    ),
    "header-comment-no-theme": (
        "[ui] # screen\nchart_hz = 1.0\n\n[demo]\nseed = 1\n",
        '[ui] # screen\nchart_hz = 1.0\ntheme = "cockpit-light"\n\n[demo]\nseed = 1\n',
    ),
    "inline-table": (
        'ui = { chart_hz = 1.0, theme = "cockpit-dark" }\n\n[demo]\nseed = 1\n',
        'ui = { chart_hz = 1.0, theme = "cockpit-light" }\n\n[demo]\nseed = 1\n',
    ),
    "dotted-key": (
        'ui.chart_hz = 1.0\nui.theme = "cockpit-dark"  # mine\n\n[demo]\nseed = 1\n',
        'ui.chart_hz = 1.0\nui.theme = "cockpit-light"  # mine\n\n[demo]\nseed = 1\n',
    ),
    "dotted-key-no-theme": (
        "ui.chart_hz = 1.0\n\n[demo]\nseed = 1\n",
        'ui.chart_hz = 1.0\nui.theme = "cockpit-light"\n\n[demo]\nseed = 1\n',
    ),
    "quoted-key": (
        "[ui]\n'theme' = 'cockpit-dark'\n\"chart_hz\" = 1.0\n",
        '[ui]\n\'theme\' = "cockpit-light"\n"chart_hz" = 1.0\n',
    ),
    "multi-line-string": (
        '[history]\nstore = """\n[ui]\ntheme = "inside a string"\n"""\n\n[ui]\ntheme = "cockpit-dark"\n',
        '[history]\nstore = """\n[ui]\ntheme = "inside a string"\n"""\n\n[ui]\ntheme = "cockpit-light"\n',
    ),
    "crlf": ('[ui]\r\ntheme = "cockpit-dark"\r\n', '[ui]\r\ntheme = "cockpit-light"\r\n'),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_spelling_of_ui_theme_round_trips(tmp_path: Path, shape: str) -> None:
    before, after = SHAPES[shape]
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(before.encode())
    load_config(cfg)  # the user's file is valid to begin with
    remember_theme(str(cfg), "cockpit-light")
    assert cfg.read_bytes().decode() == after
    assert load_config(cfg).ui.theme == "cockpit-light"  # the next start parses it


def test_the_shipped_config_changes_only_in_its_theme(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    text = REPO_CONFIG.read_text(encoding="utf-8")
    cfg.write_text(text, encoding="utf-8")
    remember_theme(str(cfg), "cockpit-colorblind")
    line = 'theme = "cockpit-dark"      #'
    assert text.count(line) == 1
    assert cfg.read_text(encoding="utf-8") == text.replace(line, 'theme = "cockpit-colorblind"      #')
    assert load_config(cfg).ui.theme == "cockpit-colorblind"


def test_a_missing_ui_table_or_file_is_added(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("# mine\n[demo]\nseed = 1\n")
    remember_theme(str(cfg), "cockpit-light")
    assert cfg.read_text().startswith("# mine\n[demo]\nseed = 1\n")
    assert load_config(cfg).ui.theme == "cockpit-light"
    fresh = tmp_path / "sub" / "config.toml"
    remember_theme(str(fresh), "cockpit-light")
    assert load_config(fresh).ui.theme == "cockpit-light"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600  # may come to hold a webhook URL


def test_a_symlinked_config_is_written_through_the_link_and_keeps_its_mode(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "cockpit.toml"
    real.write_text('[ui]\ntheme = "cockpit-dark"\n')
    real.chmod(0o644)
    link = tmp_path / "config" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    assert remember_theme(str(link), "cockpit-light") == link
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == '[ui]\ntheme = "cockpit-light"\n'
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert sorted(p.name for p in dotfiles.iterdir()) == ["cockpit.toml"]  # no temp file left behind
    assert load_config(link).ui.theme == "cockpit-light"


@pytest.mark.parametrize("text", ["[ui\ntheme = 1\n", "ui = 3\n", "[[ui]]\ntheme = 'x'\n"])
def test_a_file_that_cannot_take_the_edit_is_left_untouched(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match="not saved"):
        remember_theme(str(cfg), "cockpit-light")
    assert cfg.read_text() == text
