"""The subjects the bus uses under ``[bus] subject_prefix`` (default "cockpit"), and the liquidation
events' JSON.

  <prefix>.liq.<COIN>               a liquidation, JSON, one message each (JetStream keeps 24 h of them)
  <prefix>.snap.<symbol>.<tf>       a viewer's snapshot: the codec's pickle, zlib-compressed
  <prefix>.views                    a viewer saying what it charts (JSON), every few seconds
  <prefix>.alarms                   alarm changes: signed request, signed reply

A token is what NATS allows between dots: ``.``, ``*``, ``>`` and white space are not, so a symbol's
``/`` and ``:`` become ``_`` ("BTC/USDT:USDT" -> "BTC_USDT_USDT"); a snapshot names its own symbol, and the
viewer checks it, so two symbols that share a token can never be mixed up.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cockpit.analytics.liquidations import LiquidationEvent, coin_of

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
DAY_S = 86_400.0


def token(text: str) -> str:
    """``text`` as one subject token (anything but letters, digits, ``_`` and ``-`` becomes ``_``)."""
    return _UNSAFE.sub("_", text) or "_"


@dataclass(frozen=True, slots=True)
class Subjects:
    """Every subject and the stream name of one desk (one ``subject_prefix``)."""

    prefix: str = "cockpit"

    def liq(self, symbol: str) -> str:
        return f"{self.prefix}.liq.{token(coin_of(symbol))}"

    @property
    def liq_all(self) -> str:
        return f"{self.prefix}.liq.>"

    def snap(self, symbol: str, timeframe: str) -> str:
        return f"{self.prefix}.snap.{token(symbol)}.{token(timeframe)}"

    @property
    def views(self) -> str:
        return f"{self.prefix}.views"

    @property
    def alarms(self) -> str:
        return f"{self.prefix}.alarms"

    @property
    def stream(self) -> str:
        """The JetStream stream of the liquidations ("COCKPIT_LIQ"): stream names allow no dots."""
        return f"{token(self.prefix.replace('.', '_')).upper()}_LIQ"


def identity(event: LiquidationEvent) -> str:
    """A print's identity across the desk: its venue and the id its source gave it (or its content)."""
    return f"{event.venue}:{event.key}"


def msg_id(event: LiquidationEvent) -> str:
    """The ``Nats-Msg-Id`` JetStream de-duplicates on: the identity, hashed so that it is always a short
    header-safe string whatever a venue's ids hold."""
    return hashlib.sha256(identity(event).encode()).hexdigest()[:40]


def liquidation_json(event: LiquidationEvent) -> bytes:
    """One liquidation as the bus's consumers read it (``id`` is what to de-duplicate on)."""
    return json.dumps(
        {
            "id": identity(event),
            "ts_ms": event.ts_ms,
            "venue": event.venue,
            "symbol": event.symbol,
            "coin": coin_of(event.symbol),
            "side": event.side,
            "notional_usd": event.notional_usd,
            "price": event.price,
        },
        separators=(",", ":"),
    ).encode()


def read_liquidation(data: bytes) -> dict[str, Any]:
    """A liquidation message back as a dict; ``ValueError`` when it is not one."""
    out = json.loads(data)
    if not isinstance(out, dict) or not isinstance(out.get("id"), str):
        raise ValueError("not a cockpit liquidation")
    return out
