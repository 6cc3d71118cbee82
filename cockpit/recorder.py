"""Recording a session: a tap on the engine writes every emitted event, headless or while the app runs."""

from __future__ import annotations

from pathlib import Path

from cockpit.engine import Engine
from cockpit.recording import Header, RecordingWriter, SourceInfo


def header_for(engine: Engine) -> Header:
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


def attach_recorder(engine: Engine, path: str | Path) -> RecordingWriter:
    """Start writing ``engine``'s events to ``path`` (the caller closes the writer); RecordingError if not."""
    writer = RecordingWriter(path, header_for(engine))
    engine.taps.append(lambda event: writer.write(engine.clock.now_ms(), event))
    return writer
