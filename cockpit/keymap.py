"""Every key binding as data: id, default keys, action, description, palette title. No Textual here.

The app builds its bindings from this table, the help screen and the command palette list it, and
``[keys]`` in config.toml overrides keys by id (validated against these ids).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One binding."""

    id: str
    keys: str
    action: str
    description: str
    palette: str  # "category: action" title in the command palette
    group: str | None = None  # keys shown together in the footer under this description


PANES: tuple[tuple[str, str], ...] = (
    ("metrics", "Metrics"),
    ("liquidations", "Liquidations"),
    ("chart", "Chart"),
    ("sentiment", "Fear & Greed"),
    ("scenarios", "Scenarios"),
)

KEYMAP: tuple[KeySpec, ...] = (
    *(
        KeySpec(
            f"focus-{pane}",
            str(n),
            f"focus_pane('{pane}')",
            title,
            f"pane: focus {title.lower()}",
            "Pane",
        )
        for n, (pane, title) in enumerate(PANES, start=1)
    ),
    KeySpec("next-pane", "tab", "app.focus_next", "Next pane", "pane: focus next", "Cycle"),
    KeySpec(
        "previous-pane", "shift+tab", "app.focus_previous", "Previous pane", "pane: focus previous", "Cycle"
    ),
    KeySpec("timeframe-next", "t", "cycle_timeframe(1)", "Timeframe", "chart: next timeframe", "TF"),
    KeySpec(
        "timeframe-previous",
        "T",
        "cycle_timeframe(-1)",
        "Timeframe back",
        "chart: previous timeframe",
        "TF",
    ),
    KeySpec("alarm-add", "a", "add_alarm", "Alarm", "alarm: add at the chart cursor or last price", "Alarm"),
    KeySpec(
        "alarm-list", "A", "alarm_list", "Alarms", "alarm: list, edit, mute, delete, re-arm, history", "Alarm"
    ),
    *(
        KeySpec(f"replay-{name}", keys, f"replay({op!r}, {amount})", desc, f"replay: {title}", "Replay")
        for name, keys, op, amount, desc, title in (
            ("pause", "space", "pause", 0, "Pause", "pause or resume"),
            ("slower", "left_square_bracket", "speed", 0.5, "Slower", "half speed"),
            ("faster", "right_square_bracket", "speed", 2, "Faster", "double speed"),
            ("back", "comma", "seek", -60, "Back 1m", "back one minute"),
            ("forward", "full_stop", "seek", 60, "Ahead 1m", "ahead one minute"),
        )
    ),
    KeySpec("theme-next", "ctrl+t", "cycle_theme", "Theme", "view: next colour theme (remembered)"),
    KeySpec("maximize", "z", "toggle_maximize", "Max", "view: maximise or restore the focused pane"),
    KeySpec("help", "question_mark", "help", "Keys", "help: list every key"),
    KeySpec("palette", "ctrl+p", "command_palette", "Palette", "help: command palette"),
    KeySpec("quit", "q", "quit", "Quit", "app: quit"),
)

BINDING_IDS: frozenset[str] = frozenset(k.id for k in KEYMAP)


def effective_keys(overrides: dict[str, str]) -> dict[str, str]:
    """Binding id -> keys after the user's overrides."""
    return {k.id: overrides.get(k.id, k.keys) for k in KEYMAP}
