"""The sources screen (`S`): every source and store, its state, what it feeds, how fresh its data is, how
often it delivers, its last error in full and when it retries. Live: it follows every snapshot."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.models import Snapshot, SourceStatus

STATE_STYLE = {"ok": "$success", "stale": "$stale", "error": "$error", "starting": "$muted"}


def _age(now_ms: int, then_ms: int | None) -> str:
    if then_ms is None:
        return "no data yet"
    seconds = max(0, (now_ms - then_ms) // 1000)
    return f"data {seconds} s ago" if seconds < 120 else f"data {seconds // 60} min ago"


def source_lines(src: SourceStatus, now_ms: int) -> list[Content]:
    """A source as it is listed: a heading line, then its feeds, error and retry, indented."""
    tags = [t for t, on in (("simulated", src.simulated), ("sample", src.sampled)) if on]
    head = Content.assemble(
        ("● ", STATE_STYLE[src.state]),
        (src.name, "bold"),
        f" {src.state}",
        f" · {_age(now_ms, src.last_ok_ms)} · {src.per_minute}/min",
        (f" · {', '.join(tags)}" if tags else ""),
    )
    lines = [head]
    if src.coverage_note:
        lines.append(Content(f"  covers: {src.coverage_note}"))
    feeds = [f for f in src.feeds if f.name != "data"]
    if feeds:
        shown = " · ".join(f"{f.name} {f.state}" + (f" ({f.note})" if f.note else "") for f in feeds)
        lines.append(Content(f"  feeds: {shown}"))
    if src.error:
        lines.append(Content.styled(f"  error: {src.error}", "$error"))
        if src.retry_at_ms is not None:
            lines.append(Content(f"  retry in {max(0, (src.retry_at_ms - now_ms) // 1000)} s"))
    if src.rejected:
        lines.append(Content(f"  {src.rejected} implausible events dropped; first: {src.rejected_first}"))
    return lines


def sources_content(s: Snapshot) -> Content:
    """Every source, then every store, as plain text (errors quote venues: never markup)."""
    lines: list[Content] = [Content.styled("Sources", "bold"), Content("")]
    for src in s.sources:
        lines += [*source_lines(src, s.as_of_ms), Content("")]
    lines.append(Content.styled("Stores", "bold"))
    for name, error in s.health.stores:
        state = "error" if error else "ok"
        lines.append(Content.assemble(("● ", STATE_STYLE[state]), (name, "bold"), f" {state}"))
        if error:
            lines.append(Content.styled(f"  error: {error}", "$error"))
    lines += [Content(""), Content.styled("escape closes", "$foreground-muted")]
    return Content("\n").join(lines)


class SourcesScreen(ModalScreen[None]):
    """Every source in full; the app hands it each new snapshot (``show``)."""

    DEFAULT_CSS = """
    SourcesScreen { align: center middle; }
    SourcesScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 2;
    }
    SourcesScreen Static { width: 100%; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,S,q", "dismiss", "Close", id="sources.close"),
    ]

    def __init__(self, snapshot: Snapshot | None) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._content(), id="sources-list")

    def _content(self) -> Content:
        return sources_content(self.snapshot) if self.snapshot is not None else Content("waiting for data…")

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.is_mounted:
            self.query_one("#sources-list", Static).update(self._content())
