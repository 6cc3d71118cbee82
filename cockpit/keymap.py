"""Every key binding as data: id, default keys, action, description, palette title. No Textual here.

The app builds its bindings from this table, the help screen and the command palette list it, and
``[keys]`` in config.toml overrides keys by id (validated against these ids).
"""

from __future__ import annotations

import re
import unicodedata
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
    show: bool = True  # in the footer (every binding is in `?` and the palette either way)
    scope: str = "app"  # "app": anywhere; "chart": while the chart has the focus


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
    KeySpec(
        "tape-min-size",
        "m",
        "tape_min_size",
        "Min size",
        "liquidations: tape minimum (all, $10K, $100K, $1M)",
        "Tape",
    ),
    KeySpec(
        "tape-coin", "c", "tape_coin", "Coin", "liquidations: tape of all coins or the followed one", "Tape"
    ),
    KeySpec(
        "symbol-pick", "s", "pick_symbol", "Symbol", "chart: pick the instrument (type to filter)", "Symbol"
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
    KeySpec("sources", "S", "sources", "Sources", "view: every source and store, its state and errors"),
    KeySpec("help", "question_mark", "help", "Keys", "help: list every key"),
    KeySpec("palette", "ctrl+p", "command_palette", "Palette", "help: command palette"),
    KeySpec("quit", "q", "quit", "Quit", "app: quit"),
)

# Chart overlays: key, name, shown at start. Everything a trader needs is on; volume is opt-in.
CHART_OVERLAY_KEYS: tuple[tuple[str, str, bool], ...] = (
    ("f", "fib", True),
    ("g", "gaps", True),
    ("l", "zones", True),
    ("p", "plans", True),
    ("b", "alarms", True),
    ("k", "liqs", True),
    ("x", "last", True),
    ("r", "rsi", True),
    ("v", "volume", False),
)


def _chart(id_: str, keys: str, action: str, description: str, palette: str, group: str | None) -> KeySpec:
    return KeySpec(f"chart-{id_}", keys, action, description, f"chart: {palette}", group, scope="chart")


CHART_KEYMAP: tuple[KeySpec, ...] = (
    _chart("pan-back", "left", "pan(1)", "Older", "pan back in time", "Pan"),
    _chart("pan-forward", "right", "pan(-1)", "Newer", "pan toward now", "Pan"),
    _chart("oldest", "home", "pan_to('start')", "Oldest", "oldest candles", "Pan"),
    _chart("latest", "end", "pan_to('end')", "Latest", "back to the latest", "Pan"),
    _chart("zoom-in", "plus,equals_sign", "zoom(1)", "Zoom in", "fewer, wider candles", "Zoom"),
    _chart("zoom-out", "minus", "zoom(-1)", "Zoom out", "more candles", "Zoom"),
    _chart("cursor-up", "up", "cursor(1)", "Cursor up", "price cursor up", "Cursor"),
    _chart("cursor-down", "down", "cursor(-1)", "Cursor down", "price cursor down", "Cursor"),
    _chart("cursor-snap-up", "shift+up", "snap(1)", "Snap up", "cursor to the next level above", "Cursor"),
    _chart(
        "cursor-snap-down", "shift+down", "snap(-1)", "Snap down", "cursor to the next level below", "Cursor"
    ),
    KeySpec(
        "chart-cursor-hide",
        "escape",
        "clear_cursor",
        "Hide cursor",
        "chart: hide the price cursor",
        show=False,
        scope="chart",
    ),
    *(
        _chart(f"overlay-{name}", key, f"toggle_overlay('{name}')", name, f"toggle {name}", "Layers")
        for key, name, _ in CHART_OVERLAY_KEYS
    ),
)

EVERY_KEY: tuple[KeySpec, ...] = KEYMAP + CHART_KEYMAP
BINDING_IDS: frozenset[str] = frozenset(k.id for k in EVERY_KEY)


def effective_keys(overrides: dict[str, str]) -> dict[str, str]:
    """Binding id -> keys after the user's overrides, for every binding (the chart's included)."""
    return {k.id: overrides.get(k.id, k.keys) for k in EVERY_KEY}


# Key names as the terminal layer reports them (Textual's): named keys, f-keys, and any character
# either as itself or by its Unicode name in lower case with underscores ("comma", "question_mark").
NAMED_KEYS = frozenset(
    {
        *("escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end"),
        *("pageup", "pagedown", "up", "down", "left", "right"),
    }
)
MODIFIERS = ("ctrl", "alt", "meta", "shift", "super", "hyper")
# The names Textual gives some characters instead of their Unicode names.
_FRIENDLY = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


class BindingError(ValueError):
    """A key string that names no key, or two bindings on one key; ``binding`` is the one at fault."""

    def __init__(self, message: str, binding: str = "") -> None:
        super().__init__(message)
        self.binding = binding


def _char_name(ch: str) -> str:
    name = unicodedata.name(ch, "").lower().replace("-", "_").replace(" ", "_")
    return _FRIENDLY.get(name, name)


# The names of the characters a key can type by name ("comma", "minus", "question_mark", "pound_sign").
_NAMED_CHARACTERS = frozenset(_char_name(chr(c)) for c in range(0x21, 0x180) if not chr(c).isalnum()) - {""}


def _base_key(text: str) -> str | None:
    """The canonical name of one key without modifiers, or None when it names no key."""
    if len(text) == 1:
        if not text.isprintable() or text.isspace():
            return None
        return text if text.isalnum() else _char_name(text)
    if text in NAMED_KEYS or re.fullmatch(r"f([1-9]|1[0-9]|2[0-4])", text):
        return text
    return text if text in _NAMED_CHARACTERS else None


def parse_keys(keys: str) -> tuple[str, ...]:
    """The canonical keys of a binding string ("a", "ctrl+t", "?", "comma,full_stop"); ``BindingError``."""
    out: list[str] = []
    for one in keys.split(","):
        *mods, base = one.strip().split("+") if one.strip() != "+" else ["+"]
        name = _base_key(base)
        if name is None or any(m not in MODIFIERS for m in mods) or len(set(mods)) < len(mods):
            raise BindingError(
                f"{one.strip()!r} is not a key (such as a, A, ctrl+t, f5, comma, question_mark)"
            )
        out.append("+".join([*sorted(mods, key=MODIFIERS.index), name]))
    return tuple(out)


def check_bindings(overrides: dict[str, str]) -> None:
    """``BindingError`` for an override that names no key or a key two bindings would share."""
    owner: dict[str, str] = {}
    for binding, keys in effective_keys(overrides).items():
        for key in parse_keys(keys):
            other = owner.setdefault(key, binding)
            if other != binding:
                moved = binding if binding in overrides else other
                kept = other if moved == binding else binding
                raise BindingError(f"{key} is already bound to {kept}", moved)
