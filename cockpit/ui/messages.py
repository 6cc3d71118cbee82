"""Messages that cross from the engine worker to the app."""

from __future__ import annotations

from textual.message import Message

from cockpit.models import Snapshot


class SnapshotReady(Message):
    """A new snapshot from the engine."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
