"""Connecting to the broker: credentials from the files ``[bus]`` names (never a command line or the
screen), TLS when asked, and reconnection for ever (a broker restart is routine, not an end).

nats-py reconnects a connection it once had; the first connection is ours to retry (``connect_retrying``)
so a daemon or a viewer started before the broker waits for it instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cockpit.bus.signing import BusError, private_file
from cockpit.config import BusSettings

if TYPE_CHECKING:
    from nats.aio.client import Client

log = logging.getLogger("cockpit.bus")

RECONNECT_WAIT_S = 0.5  # between two attempts after a lost connection (nats-py's default is 2 s)
CONNECT_TIMEOUT_S = 2.0
PING_S = 5  # a broker that stops answering is noticed within PING_S * (MAX_PINGS + 1)
MAX_PINGS = 2
BUS_EXTRA = "the bus needs nats-py: pip install 'cockpit[bus]' (or from a checkout: pip install '.[bus]')"

Callback = Callable[[], Awaitable[None]]


def check_url(url: str) -> str:
    """``url`` if it is nats:// or tls:// with a host and no credentials in it; else ``BusError``."""
    parts = urlsplit(url)
    if parts.scheme not in ("nats", "tls") or not parts.hostname:
        raise BusError(f"{url!r} is not a nats://host:port or tls://host:port address")
    if parts.username or parts.password:
        raise BusError("credentials in a bus address are refused: name a [bus] token_file or creds_file")
    return url


def tls_context(settings: BusSettings, url: str) -> ssl.SSLContext | None:
    """A client TLS context for tls:// or when a CA or a client certificate is configured."""
    if not (url.startswith("tls://") or settings.tls_ca or settings.tls_cert):
        return None
    ctx = ssl.create_default_context(cafile=settings.tls_ca or None)
    if settings.tls_cert:
        key = private_file(settings.tls_key, "tls_key")
        ctx.load_cert_chain(settings.tls_cert, str(key))
    return ctx


def options(settings: BusSettings, url: str, name: str) -> dict[str, Any]:
    """nats.connect's keyword arguments for this desk (files are read here: ``BusError`` in one line)."""
    opts: dict[str, Any] = {
        "servers": [check_url(url)],
        "name": name,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": RECONNECT_WAIT_S,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "ping_interval": PING_S,
        "max_outstanding_pings": MAX_PINGS,
    }
    if settings.token_file:
        opts["token"] = private_file(settings.token_file, "token_file").read_text().strip()
    if settings.creds_file:
        opts["user_credentials"] = str(private_file(settings.creds_file, "creds_file"))
    try:
        ctx = tls_context(settings, url)
    except (OSError, ssl.SSLError) as exc:
        raise BusError(f"[bus] TLS files: {getattr(exc, 'strerror', None) or exc}") from None
    if ctx is not None:
        opts["tls"] = ctx
    return opts


def nats_module() -> Any:
    """nats-py, or ``BusError`` saying how to install it."""
    try:
        import nats
    except ImportError:
        raise BusError(BUS_EXTRA) from None
    return nats


async def connect_retrying(
    opts: dict[str, Any],
    *,
    on_reconnect: Callback | None = None,
    on_disconnect: Callback | None = None,
) -> Client:
    """A connection; with ``max_reconnect_attempts`` -1 nats-py tries until the broker answers (cancel to
    give up). Each distinct error is logged once until the connection is back, not every half second."""
    nats = nats_module()
    said: set[str] = set()

    async def error(exc: Exception) -> None:  # nats-py's own errors, one line each (never a secret)
        line = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if line not in said:
            said.add(line)
            log.warning("bus %s: %s", opts["servers"][0], line)

    async def reconnected() -> None:
        said.clear()
        log.info("bus: connected again to %s", opts["servers"][0])
        if on_reconnect is not None:
            await on_reconnect()

    async def disconnected() -> None:
        if on_disconnect is not None:
            await on_disconnect()

    while True:
        try:
            client: Client = await nats.connect(
                **opts, error_cb=error, reconnected_cb=reconnected, disconnected_cb=disconnected
            )
            return client
        except (OSError, asyncio.TimeoutError, nats.errors.Error) as exc:  # refused auth, a bad TLS peer
            await error(exc)
            await asyncio.sleep(RECONNECT_WAIT_S * 4)
