"""Who may change the desk's alarms: whoever holds the shared secret in ``[bus] secret_file``.

A request is the codec's pickle of ``("ask", op, args, sent_ms, nonce)`` with a header ``Cockpit-Mac``:
HMAC-SHA256, under the secret, of a label, the subject and the payload. The daemon checks the MAC before
it decodes anything (an unsigned payload is never unpickled), then the time (at most ``MAX_SKEW_S`` off
its own clock) and the nonce (never seen in that time): a request copied off the wire cannot be sent
again. The reply is signed over the request's nonce, so a viewer knows the daemon answered, not another
client of the broker. The daemon signs what it publishes too (snapshots, liquidations); a viewer that
has the secret refuses what is not signed by it. Without a secret the daemon refuses every request.

The broker's own authentication (a token or a creds file, TLS) decides who reaches the desk at all; the
secret decides who may change it. Files holding either must be the user's alone (mode 0600 or stricter).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import time
from pathlib import Path
from typing import Any

from cockpit.daemon import codec

MAC_HEADER = "Cockpit-Mac"
MAX_SKEW_S = 60.0
MIN_SECRET_BYTES = 16
LABEL = b"cockpit-bus-1\0"


class BusError(Exception):
    """A bus problem in one line (a missing file, a secret too short, nats-py not installed)."""


class Refused(Exception):
    """A request the daemon will not carry out; its text is the reply the requester sees."""


def private_file(path: str, what: str) -> Path:
    """``path`` expanded, checked to exist and to be readable by its owner alone (``BusError``)."""
    p = Path(path).expanduser()
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise BusError(f"[bus] {what} {p}: {exc.strerror or exc}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise BusError(f"[bus] {what} {p} is readable by others: chmod 600 it")
    return p


def read_secret(path: str, what: str = "secret_file") -> bytes:
    """A secret file's content, without its trailing white space; at least ``MIN_SECRET_BYTES``."""
    raw = private_file(path, what).read_bytes().strip()
    if len(raw) < MIN_SECRET_BYTES:
        raise BusError(f"[bus] {what} holds fewer than {MIN_SECRET_BYTES} bytes: too short to be a secret")
    return raw


class Signer:
    """Signs and checks with the shared secret (None: signs nothing, and every check fails)."""

    def __init__(self, secret: bytes | None) -> None:
        self.secret = secret
        self._seen: dict[str, float] = {}  # nonce -> when it stops mattering (monotonic)

    def mac(self, context: str, payload: bytes) -> str:
        assert self.secret is not None
        return hmac.new(self.secret, LABEL + context.encode() + b"\0" + payload, hashlib.sha256).hexdigest()

    def headers(self, context: str, payload: bytes) -> dict[str, str]:
        """The MAC header for ``payload`` sent in ``context`` (a subject), or none without a secret."""
        return {MAC_HEADER: self.mac(context, payload)} if self.secret is not None else {}

    def valid(self, context: str, payload: bytes, headers: dict[str, str] | None) -> bool:
        given = (headers or {}).get(MAC_HEADER, "")
        return self.secret is not None and hmac.compare_digest(given, self.mac(context, payload))

    def request(self, op: str, args: object) -> tuple[bytes, str]:
        """A request's payload and its nonce (the reply is signed over it)."""
        nonce = secrets.token_hex(16)
        body = codec.encode(("ask", op, args, int(time.time() * 1000), nonce))[codec.HEADER.size :]
        return body, nonce

    def open(self, subject: str, payload: bytes, headers: dict[str, str] | None) -> tuple[Any, Any, str]:
        """(op, args, nonce) of a request that is signed, fresh and new; ``Refused`` otherwise."""
        if self.secret is None:
            raise Refused("alarm changes over the bus are off: the daemon has no [bus] secret_file")
        if not (headers or {}).get(MAC_HEADER):
            raise Refused("refused: the request is not signed (set [bus] secret_file)")
        if not self.valid(subject, payload, headers):
            raise Refused("refused: the request's signature is wrong (a different [bus] secret_file?)")
        try:
            message = codec.decode(payload)
        except codec.ProtocolError as exc:
            raise Refused(f"refused: {exc}") from None
        if not (isinstance(message, tuple) and len(message) == 5 and message[0] == "ask"):
            raise Refused("refused: not a request")
        _, op, args, sent_ms, nonce = message
        if not isinstance(sent_ms, int) or abs(time.time() * 1000 - sent_ms) > MAX_SKEW_S * 1000:
            raise Refused(f"refused: the request's time is more than {MAX_SKEW_S:.0f} s off the daemon's")
        now = time.monotonic()
        self._seen = {n: t for n, t in self._seen.items() if t > now}
        if not isinstance(nonce, str) or nonce in self._seen:
            raise Refused("refused: the request was sent before (a replay)")
        self._seen[nonce] = now + 2 * MAX_SKEW_S
        return op, args, nonce


def new_secret_file(path: Path) -> None:
    """Write a fresh random secret to ``path``, mode 0600 (tests and the README's set-up step)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
