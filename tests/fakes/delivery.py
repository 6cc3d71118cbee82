"""What a fake venue tells a listener about pushed messages (``FakeVenue.listener``), so a long run can tell
an event the client lost from one that was never sent to it."""

from __future__ import annotations

from typing import Any, Protocol

# Why a pushed message never reached a client (see ``Deliveries.dropped``).
NOT_CONNECTED = "not connected"  # no live connection was subscribed to its topic
CUT = "cut by fault"  # its batch was in flight when a ws_close / ws_truncated_frame fault killed the link
TRUNCATED = "truncated"  # ws_truncated_json: the first message went out cut in half, the rest not at all


class Deliveries(Protocol):
    """What a fake tells a listener about the messages pushed through it (``FakeVenue.listener``)."""

    def delivered(self, venue: str, topic: str, message: Any) -> None:
        """`message` was written whole, as one text frame, to a live connection subscribed to `topic`."""

    def dropped(self, venue: str, topic: str, messages: list[Any], reason: str) -> None:
        """`messages` were pushed but not written whole to any subscriber (`reason`: NOT_CONNECTED, ...)."""

    def served(self, venue: str, rows: list[Any]) -> None:
        """`rows` went out in a 200 JSON answer of the REST liquidations endpoint."""
