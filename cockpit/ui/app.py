"""The Textual app: composes the panes, owns the keys, runs the engine in a worker, routes snapshots."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.filter import LineFilter
from textual.geometry import Size
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cockpit.alarms.model import AlarmStatus
from cockpit.analytics.liquidations import coin_of
from cockpit.config import TAPE_MIN_USD, TIMEFRAMES, Config, ConfigError
from cockpit.keymap import KEYMAP, effective_keys
from cockpit.models import Snapshot
from cockpit.text.safety import printable, printable_lines
from cockpit.themes import DEFAULT_THEME, THEMES
from cockpit.themes.files import config_dir, load_user_themes, remember_theme
from cockpit.ui.app_alarms import AlarmUi
from cockpit.ui.app_replay import replay_action
from cockpit.ui.commands import CockpitCommands
from cockpit.ui.engine_link import EngineLink
from cockpit.ui.messages import SnapshotReady
from cockpit.ui.screens.help import HelpScreen
from cockpit.ui.screens.sources import SourcesScreen
from cockpit.ui.screens.symbol_picker import SymbolPicker
from cockpit.ui.terminal import ascii_wanted
from cockpit.widgets.ascii_glyphs import AsciiGlyphs
from cockpit.widgets.bindings import bindings_for
from cockpit.widgets.liquidation_tape import LiquidationTape
from cockpit.widgets.metrics_strip import MetricsStrip
from cockpit.widgets.price_chart import PriceChart
from cockpit.widgets.scenario_card import ScenarioPanel
from cockpit.widgets.sentiment_meter import SentimentMeter
from cockpit.widgets.status_bar import StatusBar

# Below either size the panes stack in one scrolling column instead of the two-column grid.
COMPACT_WIDTH = 110
COMPACT_HEIGHT = 32
# Below either size nothing useful fits: a message asks for a larger terminal instead of a broken layout.
MIN_WIDTH = 60
MIN_HEIGHT = 16


def serve(command: str, port: int) -> bool:
    """Serve ``command`` (a cockpit) to browsers on 127.0.0.1 until interrupted; False without the extra."""
    try:
        from textual_serve.server import Server
    except ImportError:
        return False
    Server(command, host="127.0.0.1", port=port, title="cockpit").serve()
    return True


def _freeze_heap() -> None:
    """Move everything alive after start-up (Textual, the opening history) out of the collector's reach.

    Full collections otherwise walk those ~120k objects again and again: measured 35-63 ms pauses of the
    event loop during a cascade, against 3-7 ms once frozen (bench/chart_bench.py). Collect first so no
    garbage is frozen with them.
    """
    gc.collect()
    gc.freeze()


class CockpitApp(App[None]):
    """One live screen: metrics, liquidations, chart, sentiment, scenarios, status."""

    CSS_PATH = "cockpit.tcss"
    TITLE = "cockpit"
    COMMANDS: ClassVar = {CockpitCommands}
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(KEYMAP)

    # repaint=False: an App reactive that repaints redraws the whole screen on every snapshot; each pane
    # redraws only what changed instead (measured: most frames went from full-screen to partial).
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True, repaint=False)

    def __init__(self, config: Config, engine: EngineLink | None) -> None:
        """``engine`` None runs the UI alone (tests inject snapshots with ``SnapshotReady``); a
        ``DaemonLink`` makes it a viewer of a daemon's engine."""
        super().__init__()
        self.config = config
        self.engine = engine
        self.keys = effective_keys(config.keys)
        self.chart_timeframe = config.ui.chart_timeframe
        user_themes = load_user_themes(config_dir(config.source) / "themes")
        for theme in [*THEMES.values(), *user_themes]:
            self.register_theme(theme)
        self.theme_names = [*THEMES, *(t.name for t in user_themes if t.name not in THEMES)]
        self._ascii: AsciiGlyphs | None = None
        if ascii_wanted(config.ui.glyphs, os.environ):
            self._ascii = AsciiGlyphs()
        self._theme_notice: str | None = None
        self.crash: BaseException | None = None  # what ended the app, if an exception did
        self.alarm_ui = AlarmUi(self, self, engine.alarms if engine is not None else None)
        self._heap_frozen = False
        if config.ui.theme in self.theme_names:
            self.theme = config.ui.theme
        else:
            self.theme = DEFAULT_THEME
            self._theme_notice = f"unknown theme {config.ui.theme!r}; using {DEFAULT_THEME}"
        if config.keys:
            self.set_keymap(config.keys)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast as plain text: messages quote alarm notes, venue errors and file names, which must
        neither parse as markup (``[/]`` would crash the app) nor reach the terminal as control bytes."""
        text, head = printable_lines(message), printable(title)
        super().notify(text, title=head, severity=severity, timeout=timeout, markup=False)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (NO_COLOR's among them), then ours: box drawing as ASCII where asked for."""
        extra = [self._ascii] if self._ascii is not None else []
        return [*super().get_line_filters(), *extra]

    def current_price(self) -> float | None:
        """The last price the app was given (for the alarm dialog's default level)."""
        return self.snapshot.price if self.snapshot is not None else None

    def current_symbol(self) -> str:
        """The charted instrument (a new alarm's default; the chart draws only its alarms' levels)."""
        return self.snapshot.symbol if self.snapshot is not None else self.config.live.symbol

    def write_to_terminal(self, text: str) -> None:
        """Bytes for the terminal itself (bell, OSC notifications), outside the screen's content."""
        driver = self._driver
        if driver is not None:
            driver.write(text)
            driver.flush()

    def alarm_statuses(self) -> Sequence[AlarmStatus]:
        """Every alarm and its state (for the command palette)."""
        return self.alarm_ui.alarm_statuses()

    def _handle_exception(self, error: Exception) -> None:
        # Kept for the command line, which says it in one line and writes the traceback to the crash log:
        # Textual would print it, with local variables, on the trader's terminal.
        self.crash = error
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if self.crash is None:
            super()._print_error_renderables()
        else:
            self._exit_renderables.clear()

    def compose(self) -> ComposeResult:
        yield MetricsStrip(self.config.ui.rsi_timeframe, id="metrics").data_bind(CockpitApp.snapshot)
        with VerticalScroll(id="body", can_focus=False), Horizontal(id="columns"):
            with Vertical(id="left"):
                yield PriceChart(self.config.ui.chart_hz, self.config.ui.chart_fvg_min_pct, id="chart")
                yield ScenarioPanel(id="scenarios").data_bind(CockpitApp.snapshot)
            with Vertical(id="right"):
                yield LiquidationTape(
                    TAPE_MIN_USD[self.config.liquidations.tape_min], id="liquidations"
                ).data_bind(CockpitApp.snapshot)
                yield SentimentMeter(id="sentiment").data_bind(CockpitApp.snapshot)
        yield StatusBar(id="status").data_bind(CockpitApp.snapshot)
        yield Static(id="too-small")
        yield Footer(show_command_palette=False)  # our own ctrl+p binding is listed instead

    def on_mount(self) -> None:
        if self._theme_notice:
            self.notify(self._theme_notice, severity="warning")
        self._apply_layout()
        self.query_one("#chart").focus()
        if self.engine is not None:
            self.run_engine()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size)  # self.size may still be the old size here

    def _apply_layout(self, size: Size | None = None) -> None:
        width, height = size or self.size
        compact = width < COMPACT_WIDTH or height < COMPACT_HEIGHT
        self.set_class(compact, "compact")
        too_small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(too_small, "too-small")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}x{height}: enlarge it to at least {MIN_WIDTH}x{MIN_HEIGHT} "
                "for the cockpit.\n\nEverything keeps running (alarms too); q quits."
            )

    @work(exclusive=True, group="engine", exit_on_error=False)
    async def run_engine(self) -> None:
        """Consume the engine's snapshots for the life of the app; cancelled (and sources closed) on exit."""
        assert self.engine is not None
        async for snapshot in self.engine.snapshots():
            self.post_message(SnapshotReady(snapshot))

    @on(SnapshotReady)
    def apply_snapshot(self, message: SnapshotReady) -> None:
        charts = self.query(PriceChart)
        if not charts:  # the app is closing and its widgets are gone: a late snapshot has nowhere to go
            return
        with self.batch_update():
            self.snapshot = message.snapshot
            charts.first().show(message.snapshot)
            self.alarm_ui.on_snapshot(message.snapshot)
            if isinstance(self.screen, SourcesScreen):
                self.screen.show(message.snapshot)
        if not self._heap_frozen:
            self._heap_frozen = True
            self.call_after_refresh(_freeze_heap)

    @on(Worker.StateChanged)
    def engine_stopped(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "engine" and event.state == WorkerState.ERROR:
            self.notify(f"engine stopped: {event.worker.error}; restarting", severity="error", timeout=10)
            self.set_timer(3, self.run_engine)

    # -- actions ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys exist only while a recording plays (hidden from the footer otherwise)."""
        if action == "replay":
            return self.engine is not None and self.engine.replay is not None
        return True

    def action_replay(self, op: str, amount: float) -> None:
        """Pause/resume, change speed or seek the replay (space, [ ], comma, full stop)."""
        notice = replay_action(self.engine, op, amount)
        if notice is not None:
            self.notify(notice, timeout=2)

    def action_focus_pane(self, pane: str) -> None:
        """Focus a pane by id (keys 1-5); in the stacked layout it also scrolls into view."""
        widget = self.query_one(f"#{pane}", Widget)
        if self.screen.maximized is not None and self.screen.maximized is not widget:
            self.screen.minimize()
        # Widget.focus() defers to the next idle; a "z" typed right behind the digit must see the new focus
        self.screen.set_focus(widget)
        widget.scroll_visible()

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout if one is maximised."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused, container=False)

    def action_cycle_timeframe(self, step: int) -> None:
        """Switch the chart to the next (or previous) timeframe; levels stay on their own timeframe."""
        current = self.chart_timeframe
        k = TIMEFRAMES.index(current) if current in TIMEFRAMES else 0
        self.action_set_timeframe(TIMEFRAMES[(k + step) % len(TIMEFRAMES)])

    def action_set_timeframe(self, timeframe: str) -> None:
        """Show the chart in ``timeframe`` (from the palette: "chart: timeframe 4h")."""
        if timeframe not in TIMEFRAMES:
            return
        self.chart_timeframe = timeframe
        if self.engine is not None:
            self.engine.set_chart_timeframe(timeframe)
        self.notify(f"chart: {timeframe}", timeout=1.5)

    def action_toggle_overlay(self, name: str) -> None:
        """Show or hide a chart overlay (palette: "chart: toggle fib")."""
        self.query_one(PriceChart).action_toggle_overlay(name)

    def chartable(self) -> list[str]:
        """The watchlist, then every instrument the sources offer."""
        offered = self.snapshot.instruments if self.snapshot is not None else ()
        return list(dict.fromkeys([*self.config.live.symbols, *offered]))

    def action_pick_symbol(self) -> None:
        """Open the symbol picker; the chosen instrument goes on the chart."""
        current = self.snapshot.symbol if self.snapshot is not None else self.config.live.symbol
        offered = self.snapshot.instruments if self.snapshot is not None else ()
        picker = SymbolPicker(current, self.config.live.symbols, offered)
        self.push_screen(picker, lambda chosen: self.action_set_symbol(chosen) if chosen else None)

    def action_set_symbol(self, symbol: str) -> None:
        """Chart ``symbol`` (its candles are fetched if the cockpit has none yet)."""
        if self.engine is None or symbol not in self.chartable():
            self.notify(f"{symbol}: not offered by any source", severity="warning")
            return
        self.engine.follow(symbol)
        self.notify(f"chart: {symbol}", timeout=2)

    def action_tape_min_size(self) -> None:
        """Cycle the tape's minimum print: all, $10K, $100K, $1M."""
        tape = self.query_one(LiquidationTape)
        tape.tape.cycle_min()
        tape.refilter()

    def action_tape_coin(self) -> None:
        """The tape of every coin, or of the followed instrument's coin only."""
        tape = self.query_one(LiquidationTape)
        symbol = self.snapshot.symbol if self.snapshot is not None else None
        tape.tape.coin = coin_of(symbol) if tape.tape.coin is None and symbol else None
        tape.refilter()

    def action_sources(self) -> None:
        """Every source and store in full."""
        self.push_screen(SourcesScreen(self.snapshot))

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen(self.keys))

    def action_add_alarm(self) -> None:
        """Open the alarm dialog at the chart's cursor, else at the last price."""
        self.alarm_ui.add()

    def action_alarm_list(self) -> None:
        """Show every alarm and the firing history."""
        self.alarm_ui.show_list()

    def action_edit_alarm(self, alarm_id: int) -> None:
        """Palette: "alarm: edit #3 …"."""
        self.alarm_ui.edit_alarm(alarm_id)

    def action_change_alarm(self, op: str, alarm_id: int) -> None:
        """Palette: "alarm: mute #3 …", "alarm: delete …", "alarm: re-arm …"."""
        self.alarm_ui.change_alarm(op, alarm_id)

    def action_cycle_theme(self) -> None:
        """Switch to the next theme (built-in, then the user's)."""
        names = self.theme_names
        k = names.index(self.theme) if self.theme in names else -1
        self.action_set_theme(names[(k + 1) % len(names)])

    def action_set_theme(self, name: str) -> None:
        """Use a theme now and remember it in the config file (palette: "theme: cockpit-light")."""
        if name not in self.theme_names:
            self.notify(f"unknown theme {name!r}", severity="warning")
            return
        self.theme = name
        try:
            where = remember_theme(self.config.source, name)
        except (OSError, ConfigError) as exc:
            self.notify(f"theme {name} (not remembered: {exc})", severity="warning")
            return
        self.notify(f"theme {name} (saved in {where})", timeout=2)
