"""The soak run's traffic and its ledger (issue 9): liquidations every fake venue publishes in its own wire
format, each one named by its price, and the record of what became of each (delivered, or why not, and how
many times the engine showed it).

Event k is priced ``P0 + k / 10`` on every venue, so a price read back from the engine names exactly one
published event: nothing needs an id field that a normaliser might drop. Every event is ``units x 0.01 BTC``
(in the venue's own contracts), long or short. Two kinds of rows test the counting harder: HTX twins, a
liquidation equal to the one before it in time, side, size and price, told apart only by HTX's id (a twin
is priced as its original: the engine's events of that price are shared out over the group), and Gate
partial liquidations, where the order closes part of a bigger position and part of it may go to the book
as maker (the owed notional is the order's, never the position's).

"Delivered" per venue (VENUES.md; ``tests.fakes.delivery``):

- streamed (binanceusdm, bybit, okx): the frame holding the event was written whole to a live connection
  subscribed to the liquidation topic. A venue keeps no backlog for a stream, so an event published while no
  connection was subscribed, in a batch a dropped connection cut short, in a truncated frame, or while the
  stream was dead (no pong) is lost for good: those are counted by reason, never expected in the engine.
- polled (gate, htx): the venue keeps its history and the cockpit polls it with a since-cursor, so every
  published row is owed to the engine, whether or not a poll served it yet (a row never served by the end
  is a row the cockpit's polling skipped). ``served`` tells which rows went out in a 200 JSON answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.venues import VENUE_NAMES
from tests.fakes import binanceusdm, bybit, gate, htx, okx
from tests.fakes.delivery import CUT, NOT_CONNECTED, TRUNCATED

P0 = 60_000.0  # the price of event 0
STREAMED = ("binanceusdm", "bybit", "okx")
POLLED = ("gate", "htx")
VENUES = STREAMED + POLLED
DEAD = "stream dead (no pong)"  # the driver publishes nothing to a dead stream (nothing flows on it)

# What became of an event, from the fakes' point of view (an event is in one state at a time).
SCHEDULED, IN_HISTORY, DELIVERED = 0, 1, 2
LOST = {NOT_CONNECTED: 3, CUT: 4, TRUNCATED: 5, DEAD: 6}
LOST_NAMES = {code: reason for reason, code in LOST.items()}


@dataclass(frozen=True)
class Traffic:
    """How many liquidations each venue publishes per simulated second, and the cascades."""

    rate_per_s: tuple[tuple[str, float], ...] = (
        ("binanceusdm", 0.25),  # a snapshot per symbol per second at most (VENUES.md)
        ("bybit", 0.6),
        ("okx", 0.3),
        ("gate", 0.4),
        ("htx", 0.4),
    )
    cascades: tuple[tuple[float, float], ...] = ()  # (start, length) in simulated seconds from the start
    cascade_factor: float = 6.0
    htx_twin_share: float = 0.15  # HTX events followed by a twin (equal numbers, another id)


@dataclass(frozen=True)
class Events:
    """The whole run's liquidations, made up front (so the run's own memory does not grow): time from the
    start, venue index into ``VENUES``, long or short, size in units of 0.01 BTC, and for a twin the event
    it repeats (else -1). Index = event id."""

    t_ms: np.ndarray
    venue: np.ndarray
    long: np.ndarray
    units: np.ndarray
    twin_of: np.ndarray

    def __len__(self) -> int:
        return len(self.t_ms)

    def price(self, k: int) -> float:
        original = int(self.twin_of[k])
        return P0 + (k if original < 0 else original) / 10

    def notional_usd(self, k: int) -> float:
        return float(self.units[k]) * 0.01 * self.price(k)


def make_events(traffic: Traffic, seconds: float, seed: int) -> Events:
    """Poisson arrivals per venue and second, ``cascade_factor`` times faster inside a cascade."""
    rng = np.random.default_rng(seed)
    twin_rng = np.random.default_rng(seed + 1)  # its own stream: the other events stay as they were
    rates = dict(traffic.rate_per_s)
    t, v, lg, u, tw = [], [], [], [], []
    for s in range(int(seconds)):
        boost = any(a <= s < a + n for a, n in traffic.cascades)
        for vi, venue in enumerate(VENUES):
            n = int(rng.poisson(rates.get(venue, 0.0) * (traffic.cascade_factor if boost else 1.0)))
            if venue == "binanceusdm":
                n = min(n, 1)
            for ms in sorted(rng.integers(0, 1000, n)):
                t.append(s * 1000 + int(ms))
                v.append(vi)
                lg.append(bool(rng.random() < (0.8 if boost else 0.5)))  # cascades liquidate longs
                u.append(int(1 + rng.geometric(0.15)))
                tw.append(False)
                if venue == "htx" and twin_rng.random() < traffic.htx_twin_share:
                    copies: tuple[tuple[list[Any], Any], ...] = (
                        (t, t[-1]),
                        (v, vi),
                        (lg, lg[-1]),
                        (u, u[-1]),
                        (tw, True),
                    )
                    for column, value in copies:
                        column.append(value)
    # Stable: a twin stays right after its original (appended next, at the same time).
    order = np.argsort(np.asarray(t, dtype=np.int64), kind="stable")
    twin = np.asarray(tw, dtype=bool)[order]
    return Events(
        np.asarray(t, dtype=np.int64)[order],
        np.asarray(v, dtype=np.int8)[order],
        np.asarray(lg, dtype=bool)[order],
        np.asarray(u, dtype=np.int32)[order],
        np.where(twin, np.arange(len(twin)) - 1, -1).astype(np.int32),
    )


# -- wire format -----------------------------------------------------------------------------------------


def row(events: Events, k: int, start_ms: int) -> dict[str, Any]:
    """Event k as a polled venue's REST row."""
    venue, ts = VENUES[events.venue[k]], start_ms + int(events.t_ms[k])
    long, units = bool(events.long[k]), int(events.units[k])
    price = f"{events.price(k):.1f}"
    if venue == "gate":
        return gate_row(k, units * 100 * (1 if long else -1), price, ts // 1000)  # 0.0001 BTC contracts
    side, pos = ("sell", "long") if long else ("buy", "short")
    r = htx.liquidation_order(side, pos, units * 10, price, ts=ts)  # 0.001 BTC contracts
    r["id"] = str(HTX_ID0 + k)  # HTX numbers its liquidations (a twin has its own number)
    return r


def gate_partial(k: int) -> bool:
    return k % 3 == 0


def gate_row(k: int, order: int, price: str, ts_s: int) -> dict[str, Any]:
    """Gate row of event k, whose liquidation order closes ``order`` contracts (signed like the position).
    Every third is a partial liquidation (the position was twice the order); of those, some put half the
    order on the book as maker, and some all of it (nothing taken: fill_price 0, priced at the order)."""
    if not gate_partial(k):
        return gate.liq_order(order, price, ts_s=ts_s)
    left = {0: 0, 1: abs(order) // 2, 2: abs(order)}[k // 3 % 3]
    fill = "0" if left == abs(order) else price
    return gate.liq_order(2 * order, price, ts_s=ts_s, left=left, order_size=-order, fill_price=fill)


def messages(events: Events, ks: list[int], start_ms: int) -> list[dict[str, Any]]:
    """Events ks (all of one streamed venue, in time order) as that venue's websocket messages: Binance one
    per event, Bybit one per 500 ms of events, OKX one per second with a detail per event."""
    venue = VENUES[events.venue[ks[0]]]
    out: list[dict[str, Any]] = []
    bucket_ms = {"binanceusdm": 0, "bybit": 500, "okx": 1000}[venue]
    last_bucket = None
    for k in ks:
        ts, long, units = start_ms + int(events.t_ms[k]), bool(events.long[k]), int(events.units[k])
        price = f"{events.price(k):.1f}"
        if venue == "binanceusdm":
            out.append(binanceusdm.force_order("SELL" if long else "BUY", f"{units / 100:.2f}", price, ts=ts))
            continue
        if venue == "bybit":
            msg = bybit.all_liquidation("Buy" if long else "Sell", f"{units / 100:.2f}", price, ts=ts)
            items = msg["data"]
        else:
            side, pos = ("sell", "long") if long else ("buy", "short")
            msg = okx.liquidation_order(side, pos, str(units), price, ts=ts)
            items = msg["data"][0]["details"]
        bucket = ts // bucket_ms
        if bucket == last_bucket:
            (out[-1]["data"] if venue == "bybit" else out[-1]["data"][0]["details"]).extend(items)
        else:
            out.append(msg)
            last_bucket = bucket
    return out


def prices_in(venue: str, message: Any) -> list[str]:
    """The prices of the liquidations in one raw message or REST row of `venue` (tickers: none)."""
    if not isinstance(message, dict):
        return []
    if venue == "binanceusdm":
        return [message["o"]["ap"]] if message.get("e") == "forceOrder" else []
    if venue == "bybit":
        return [i["p"] for i in message["data"]] if str(message.get("topic", "")).startswith("all") else []
    if venue == "okx":
        if message.get("arg", {}).get("channel") != "liquidation-orders":
            return []
        return [d["bkPx"] for item in message["data"] for d in item["details"]]
    if venue == "gate":
        return [message["fill_price"] if float(message["fill_price"]) > 0 else message["order_price"]]
    if venue == "htx":
        return [message["bankrupt_price"]]
    return []


def event_id(price: float) -> int:
    return round((float(price) - P0) * 10)


HTX_ID0 = 10**11  # HTX row of event k has id HTX_ID0 + k


# -- the ledger ------------------------------------------------------------------------------------------


class Ledger:
    """What became of every event: the fakes' side through ``tests.fakes.delivery.Deliveries``, the
    engine's side through ``seen`` (every event of every snapshot's ``new_liquidations``)."""

    def __init__(self, events: Events) -> None:
        self.events = events
        self.fate = np.zeros(len(events), dtype=np.int8)
        self.served_times = np.zeros(len(events), dtype=np.int16)
        self.engine_count = np.zeros(len(events), dtype=np.int16)
        self.engine_usd = 0.0
        self.strangers: list[str] = []  # engine events that name no published event (or the wrong venue)
        # event -> the events of its price (itself and its twins): the engine's events of one price are
        # shared out over them, the least shown first, so a twin counted once each shows as once each.
        self.group: dict[int, list[int]] = {}
        for k in np.flatnonzero(events.twin_of >= 0):
            original = int(events.twin_of[k])
            self.group.setdefault(original, [original]).append(int(k))

    def _ids(self, venue: str, message: Any) -> list[int]:
        if venue == "htx" and isinstance(message, dict) and "id" in message:
            return [int(message["id"]) - HTX_ID0]  # a twin shares its original's price, not its id
        return [event_id(float(p)) for p in prices_in(venue, message)]

    # Deliveries
    def delivered(self, venue: str, topic: str, message: Any) -> None:
        for k in self._ids(venue, message):
            self.fate[k] = DELIVERED

    def dropped(self, venue: str, topic: str, messages: list[Any], reason: str) -> None:
        for m in messages:
            for k in self._ids(venue, m):
                if self.fate[k] != DELIVERED:
                    self.fate[k] = LOST[reason]

    def served(self, venue: str, rows: list[Any]) -> None:
        for r in rows:
            for k in self._ids(venue, r):
                self.served_times[k] += 1

    def published_to_history(self, ks: Iterable[int]) -> None:
        for k in ks:
            self.fate[k] = IN_HISTORY

    def dead(self, ks: Iterable[int]) -> None:
        for k in ks:
            self.fate[k] = LOST[DEAD]

    # the engine's side
    def seen(self, events: Iterable[LiquidationEvent]) -> None:
        for e in events:
            k = event_id(e.price)
            if not 0 <= k < len(self.events) or abs(self.events.price(k) - e.price) > 1e-6:
                self.strangers.append(f"{e.venue} {e.price} {e.notional_usd}")
                continue
            if VENUE_NAMES[VENUES[self.events.venue[k]]] != e.venue:
                self.strangers.append(f"{e.venue} {e.price}: published on {VENUES[self.events.venue[k]]}")
                continue
            members = self.group.get(k, [k])
            self.engine_count[min(members, key=lambda m: self.engine_count[m])] += 1
            self.engine_usd += e.notional_usd

    # the verdict
    def owed(self) -> np.ndarray:
        """Events the engine must show exactly once: delivered on a stream, or published to a history."""
        return (self.fate == DELIVERED) | (self.fate == IN_HISTORY)

    def tally(self) -> dict[str, dict[str, Any]]:
        """Per venue: published, owed, shown once, missing, duplicated, lost by reason, owed USD, rows
        never served (polled venues: the cockpit's polling skipped them), and the owed rows of the harder
        kinds (HTX twins, Gate partial liquidations) with how many of those were shown once."""
        out: dict[str, dict[str, Any]] = {}
        owed = self.owed()
        partial = np.array([gate_partial(k) for k in range(len(self.events))], bool)
        hard = (self.events.twin_of >= 0) | (partial & (self.events.venue == VENUES.index("gate")))
        for vi, venue in enumerate(VENUES):
            mine = self.events.venue == vi
            published = mine & (self.fate != SCHEDULED)
            lost = {
                reason: int(np.sum(mine & (self.fate == code)))
                for code, reason in LOST_NAMES.items()
                if np.any(mine & (self.fate == code))
            }
            usd = sum(self.events.notional_usd(int(k)) for k in np.flatnonzero(mine & owed))
            out[venue] = {
                "published": int(np.sum(published)),
                "owed": int(np.sum(mine & owed)),
                "once": int(np.sum(mine & owed & (self.engine_count == 1))),
                "missing": int(np.sum(mine & owed & (self.engine_count == 0))),
                "duplicated": int(np.sum(mine & (self.engine_count > 1))),
                "shown_not_owed": int(np.sum(mine & ~owed & (self.engine_count > 0))),
                "lost": lost,
                "owed_usd": usd,
                "never_served": int(np.sum(mine & (self.fate == IN_HISTORY) & (self.served_times == 0)))
                if venue in POLLED
                else 0,
                "hard_owed": int(np.sum(mine & owed & hard)) if venue in POLLED else 0,
                "hard_once": int(np.sum(mine & owed & hard & (self.engine_count == 1)))
                if venue in POLLED
                else 0,
            }
        return out

    def examples(self, what: str, n: int = 5) -> list[str]:
        """A few event ids of a problem ("missing", "duplicated", "shown_not_owed"), for the report."""
        owed = self.owed()
        mask = {
            "missing": owed & (self.engine_count == 0),
            "duplicated": self.engine_count > 1,
            "shown_not_owed": ~owed & (self.engine_count > 0),
        }[what]
        return [
            f"#{k} {VENUES[self.events.venue[k]]} t={self.events.t_ms[k] / 1000:.1f}s "
            f"fate={self.fate[k]} served={self.served_times[k]} shown={self.engine_count[k]}"
            for k in np.flatnonzero(mask)[:n]
        ]
