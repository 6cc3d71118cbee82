"""The daemon's wire format: length-prefixed frames, a JSON greeting, then pickled messages that only
the project's own data classes (and numpy arrays) may appear in.

Why pickle, restricted: a snapshot is a tree of frozen dataclasses holding numpy arrays; pickling it is a
few milliseconds and keeps the arrays binary, where a hand-written JSON mapping would have to be kept in
step with every field. Unpickling runs no code but the constructors allowed by ``ALLOWED`` (the
classes of ``cockpit.models``, the analytics results, the alarm records and numpy's array rebuilders),
so a frame from a broken or hostile peer is an error that drops that peer, never code run in ours. The
greeting is JSON so that two versions whose classes differ can still tell each other which they are.
"""

from __future__ import annotations

import asyncio
import io
import json
import pickle
import struct
from typing import Any

from cockpit import __version__

PROTOCOL = 1  # raised whenever a message or a class that crosses the wire changes shape
MAX_FRAME = 64 * 1024 * 1024  # a snapshot is well under 1 MB; anything near this is not ours
HEADER = struct.Struct(">I")

# module -> the names that module may provide to an unpickler.
ALLOWED: dict[str, frozenset[str] | None] = {
    "cockpit.models": None,  # None: every class the module defines
    "cockpit.alarms.model": None,
    "cockpit.config.settings": None,
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "numpy.dtypes": None,
    "builtins": frozenset({"frozenset", "set", "complex", "slice", "range"}),
    "collections": frozenset({"OrderedDict"}),
}


class ProtocolError(Exception):
    """A frame that is not ours: too long, not decodable, or a class outside ``ALLOWED``."""


class VersionMismatch(ProtocolError):
    """The peer speaks another protocol version (the message names both; ``protocol`` and ``version`` are
    the peer's, as it greeted)."""

    def __init__(self, message: str, protocol: object = None, version: object = None) -> None:
        super().__init__(message)
        self.protocol, self.version = protocol, version


ANALYTICS = "cockpit.analytics."  # pure data and numpy: every class of its modules may cross


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = None if module.startswith(ANALYTICS) else ALLOWED.get(module, frozenset())
        if name.startswith("__") or (allowed is not None and name not in allowed):
            raise ProtocolError(f"refused a {module}.{name} in a frame")
        found = super().find_class(module, name)
        if allowed is None and not isinstance(found, type):  # whole modules: classes only, no functions
            raise ProtocolError(f"refused {module}.{name} (not a class)")
        return found


def encode(message: object) -> bytes:
    """One frame: 4-byte big-endian length, then the pickled message."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    """The message of one frame's body; ``ProtocolError`` for anything that is not ours."""
    try:
        return _Restricted(io.BytesIO(body)).load()
    except ProtocolError:
        raise
    except Exception as exc:  # any unpickling failure: truncated, garbage, a class that moved
        raise ProtocolError(f"undecodable frame ({type(exc).__name__})") from None


def frame_length(header: bytes) -> int:
    """The body length a header announces; ``ProtocolError`` past ``MAX_FRAME``."""
    (n,) = HEADER.unpack(header)
    if n > MAX_FRAME:
        raise ProtocolError(f"frame of {n} bytes announced (at most {MAX_FRAME})")
    return int(n)


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One frame's body from a stream (``IncompleteReadError`` at its end)."""
    n = frame_length(await reader.readexactly(HEADER.size))
    return await reader.readexactly(n)


def greeting(role: str, **extra: object) -> bytes:
    """The first frame either side sends: JSON naming the protocol and the program's version."""
    body = json.dumps({"cockpit": role, "protocol": PROTOCOL, "version": __version__, **extra}).encode()
    return HEADER.pack(len(body)) + body


def read_greeting(body: bytes, expect: str) -> dict[str, Any]:
    """The peer's greeting, checked: ``VersionMismatch`` names both versions in one line."""
    try:
        hello = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("the peer did not greet as a cockpit") from None
    if not isinstance(hello, dict) or hello.get("cockpit") != expect:
        raise ProtocolError(f"the peer is not a cockpit {expect}")
    if hello.get("protocol") != PROTOCOL:
        theirs, version = hello.get("protocol"), hello.get("version")
        raise VersionMismatch(
            f"the {expect} speaks protocol {theirs} (cockpit {version}); "
            f"this cockpit speaks protocol {PROTOCOL} (cockpit {__version__}): run the same version",
            theirs,
            version,
        )
    return hello


def refusal(peer: VersionMismatch, role: str = "daemon") -> bytes:
    """The frame that tells a peer of another protocol why it is dropped: JSON like the greeting (a peer
    of any version can read it), one line naming both versions."""
    note = (
        f"this cockpit {role} speaks protocol {PROTOCOL} (cockpit {__version__}); you speak protocol "
        f"{str(peer.protocol)[:20]} (cockpit {str(peer.version)[:40]}): run the same version"
    )
    body = json.dumps({"cockpit": role, "protocol": PROTOCOL, "version": __version__, "error": note}).encode()
    return HEADER.pack(len(body)) + body
