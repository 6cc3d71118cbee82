"""Recording a session: a tap on the engine writes every emitted event, headless or while the app runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from cockpit.models import MarketEvent
from cockpit.recording.format import Header, RecordingWriter, SourceInfo
from cockpit.sources.base import Source
from cockpit.sources.clock import Clock


class _Described(Protocol):
    @property
    def source_kind(self) -> str: ...

    @property
    def symbol(self) -> str: ...


class Tappable(Protocol):
    """What the recorder needs of an engine: its sources, clock and state's names, and its taps."""

    @property
    def sources(self) -> Sequence[Source]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def state(self) -> _Described: ...

    @property
    def taps(self) -> list[Callable[[MarketEvent], None]]: ...


def header_for(engine: Tappable) -> Header:
    """The header describing what ``engine`` runs, starting at its clock's present."""
    sources = tuple(
        SourceInfo(
            s.name,
            float(s.cadence_s),
            bool(s.simulated),
            bool(getattr(s, "sampled", False)),
            tuple(getattr(s, "venues", ())),
            tuple(getattr(s, "symbols", ())),
        )
        for s in engine.sources
    )
    # The sources that deliver liquidations are the venues (the simulated market is its own venue).
    venues = tuple(s.name for s in sources if s.venues)
    return Header(engine.state.source_kind, engine.state.symbol, engine.clock.now_ms(), sources, venues)


def attach_recorder(engine: Tappable, path: str | Path) -> RecordingWriter:
    """Start writing ``engine``'s events to ``path`` (the caller closes the writer); RecordingError if not."""
    writer = RecordingWriter(path, header_for(engine))
    engine.taps.append(lambda event: writer.write(engine.clock.now_ms(), event))
    return writer
