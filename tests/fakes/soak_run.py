"""The soak run of issue 9: the real live engine against every fake venue on a fast simulated clock, with the
driver's traffic and faults, snapshots drained as the app drains them, and the checks at the end.

``run_soak(plan)`` returns a ``SoakResult``; ``problems`` lists everything that went wrong (an exception, an
event lost or shown twice, a total off by a cent, a fault nobody saw or nobody recovered from). The memory
samples are reported, never judged here: ``bench/soak_bench.py`` does that, tests assert no timing.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cockpit.config import Config, LiveSettings, SentimentSettings, VenueSettings
from cockpit.engine.engine import Engine
from cockpit.models import MarketEvent, Snapshot, SourceError
from cockpit.sources.clock import SimClock
from cockpit.storage.history import DB_NAME, LiquidationHistory
from cockpit.venues import VENUE_NAMES
from cockpit.wiring import live_engine
from tests.fakes import fixtures
from tests.fakes.cluster import FakeVenues, fake_venues, refuse_lookups
from tests.fakes.soak import VENUES, Ledger, Traffic, make_events
from tests.fakes.soak_driver import FAULT_KINDS, Driver, FaultRecord, family

# One minute after the last recorded 1m kline, so the fakes' recorded candles count as closed.
START_MS = int(fixtures.binance_klines("1m")[-1][0]) + 120_000
BAD = ("error", "stale")
TOPICS = {  # the liquidation topic of each stream, as the fakes name it
    "binanceusdm": "btcusdt@forceOrder",
    "bybit": "allLiquidation.BTCUSDT",
    "okx": "liquidation-orders:SWAP",
}


@dataclass(frozen=True)
class SoakPlan:
    """A soak run. Times are simulated seconds unless they say real (ccxt's timeouts and keepalive run on
    the wall clock, so they are set in real seconds to stay a fixed number of simulated seconds)."""

    seconds: float  # traffic and faults
    speed: float  # simulated seconds per real second
    faults: tuple[tuple[float, str, str], ...]  # (at, venue, kind), see soak_driver.rotation
    traffic: Traffic = field(default_factory=Traffic)
    # A dead stream shows as stale after 3 cadences (30 s) of silence: streams are held longer than that.
    hold_s: tuple[tuple[str, float], ...] = (("stream", 60.0), ("poll", 45.0), ("fng", 150.0))
    settle_s: float = 150.0  # after the traffic: polls catch up, streams reconnect, errors clear
    seed: int = 9
    timeout_real_s: float = 1.0
    keepalive_real_s: float = 1.0
    rss_every_s: float = 60.0
    history: bool = True  # the engine keeps a liquidation history on disk, as the app does

    def __post_init__(self) -> None:
        # Each fault is judged on its own venue's status: two at once on one venue would blur both.
        hold = dict(self.hold_s)
        cleared: dict[str, float] = {}
        for at, venue, kind in sorted(self.faults):
            if at < cleared.get(venue, -1.0):
                raise ValueError(f"soak plan: {kind!r} on {venue} at {at:g} s overlaps the fault before it")
            cleared[venue] = at + hold[family(venue)]


def soak_config(fakes: FakeVenues, plan: SoakPlan) -> Config:
    """Every venue at its fake with the default cadences (polls 10 s, candles 15 s, backoff cap 60 s)."""
    venues = {
        v: VenueSettings(
            rest_url=fakes.rest_url(v),
            ws_url=fakes.ws_url(v),
            timeout_s=plan.timeout_real_s,
            ws_keepalive_s=plan.keepalive_real_s,
            # The soak counts the BTC prints it scripted through faults, per configured symbol; the
            # market-wide feeds have their own test (tests/integration/test_market_wide.py).
            market_wide=False,
        )
        for v in VENUES
    }
    # F&G is polled at most every minute (its floor) so its faults are met within their hold.
    sentiment = SentimentSettings(url=fakes.rest_url("fng") + "/fng/", poll_max_s=60.0)
    return Config(venues=venues, live=LiveSettings(price_venue="binanceusdm"), sentiment=sentiment)


def rss_mb() -> float:
    """Resident memory of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class Watcher:
    """Takes every snapshot: new liquidations into the ledger, each source's state changes (as the status
    bar would show them), and RSS once per simulated minute."""

    def __init__(self, ledger: Ledger, rss_every_s: float) -> None:
        self.ledger = ledger
        self.rss_every_ms = int(rss_every_s * 1000)
        self.states: dict[str, list[tuple[int, str]]] = {}
        self.rss: list[tuple[int, float]] = []  # (as_of_ms, MB)
        self.last: Snapshot | None = None
        self.count = 0

    def take(self, snap: Snapshot) -> None:
        self.count += 1
        self.last = snap
        self.ledger.seen(snap.new_liquidations)
        for s in snap.sources:
            seen = self.states.setdefault(s.name, [])
            if not seen or seen[-1][1] != s.state:
                seen.append((snap.as_of_ms, s.state))
        if not self.rss or snap.as_of_ms - self.rss[-1][0] >= self.rss_every_ms:
            self.rss.append((snap.as_of_ms, rss_mb()))

    async def drain(self, engine: Engine) -> None:
        """As the app's engine worker does: every snapshot the engine publishes, ~10 a second."""
        async for snap in engine.snapshots():
            self.take(snap)

    def all_ok(self, names: list[str]) -> bool:
        return all(self.states.get(n, [(0, "")])[-1][1] == "ok" for n in names)

    def state_at(self, name: str, t_ms: int) -> str:
        state = "starting"
        for at, s in self.states.get(name, []):
            if at > t_ms:
                break
            state = s
        return state

    def judge(
        self, r: FaultRecord, origin_ms: int, next_ms: int | None, grace_ms: int = 30_000
    ) -> dict[str, Any]:
        """When the fault's source first showed error/stale after it started (or within `grace_ms` of its
        clearing: a request hanging on a timeout fails only then), and when it was ok again; both before
        `next_ms`, when the next fault on that venue starts."""
        assert r.end_ms is not None
        horizon = next_ms if next_ms is not None else 2**62
        changes = [(at, s) for at, s in self.states.get(r.source, []) if at < horizon]
        bad_at = r.start_ms if self.state_at(r.source, r.start_ms) in BAD else None
        if bad_at is None:
            window = (r.start_ms, min(r.end_ms + grace_ms, horizon))
            bad_at = next((at for at, s in changes if window[0] < at <= window[1] and s in BAD), None)
        ok_from = max(r.end_ms, bad_at or r.start_ms)
        ok_at = ok_from if self.state_at(r.source, ok_from) == "ok" else None
        if ok_at is None:
            ok_at = next((at for at, s in changes if at > ok_from and s == "ok"), None)
        return {
            "venue": r.venue,
            "kind": r.kind,
            "at_s": (r.start_ms - origin_ms) / 1000,
            "harmless": FAULT_KINDS[r.kind].harmless,
            "seen_after_s": None if bad_at is None else (bad_at - r.start_ms) / 1000,
            "ok_after_clear_s": None if ok_at is None else (ok_at - r.end_ms) / 1000,
        }


@dataclass
class SoakResult:
    """Everything measured; ``problems`` empty means the soak passed (memory is judged by the bench)."""

    plan: SoakPlan
    real_s: float
    sim_s: float
    tally: dict[str, dict[str, Any]]
    faults: list[dict[str, Any]]
    errors_by_source: dict[str, int]
    rss: list[tuple[float, float]]  # (simulated minutes from the traffic's start, MB)
    snapshots: int
    engine_usd: float
    window_count: int
    window_usd: float
    window_by_venue: dict[str, float]
    windows_nbytes: int
    problems: list[str]


def _loop_errors(loop: asyncio.AbstractEventLoop, sink: list[str]) -> None:
    def handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        sink.append(f"{context.get('message')}: {type(exc).__name__}: {exc}" if exc else context["message"])

    loop.set_exception_handler(handler)


async def run_soak(plan: SoakPlan) -> SoakResult:
    """Run the plan; every fake runs in this event loop, on 127.0.0.1, and no host name is looked up."""
    loop = asyncio.get_running_loop()
    escaped: list[str] = []  # exceptions nobody handled (asyncio's exception handler saw them)
    refused: list[str] = []
    previous = loop.get_exception_handler()
    _loop_errors(loop, escaped)
    ledger = Ledger(make_events(plan.traffic, plan.seconds, plan.seed))
    began = time.monotonic()
    try:
        with refuse_lookups(refused), tempfile.TemporaryDirectory(prefix="cockpit-soak-") as tmp:
            async with fake_venues() as fakes:
                run = await _soak(fakes, plan, ledger, escaped, Path(tmp))
    finally:
        loop.set_exception_handler(previous)
    escaped += [f"tried to resolve {host!r}: only 127.0.0.1 may be reached" for host in refused]
    return _result(plan, time.monotonic() - began, run, escaped)


@dataclass
class _Run:
    """What one run leaves for the verdict."""

    driver: Driver
    watcher: Watcher
    records: list[FaultRecord]
    errors: Counter[str]
    crashed: list[str]
    windows_nbytes: int
    history_error: str | None


async def _soak(fakes: FakeVenues, plan: SoakPlan, ledger: Ledger, escaped: list[str], tmp: Path) -> _Run:
    for fake in fakes.venues.values():
        fake.replay_missed, fake.listener = False, ledger
        fake.bound_log(200)
    clock = SimClock(START_MS, plan.speed)
    history = LiquidationHistory(tmp / DB_NAME) if plan.history else None
    engine = live_engine(soak_config(fakes, plan), clock, history=history)
    errors: Counter[str] = Counter()

    def tap(e: MarketEvent) -> None:
        if type(e) is SourceError:
            errors[e.source] += 1

    engine.taps.append(tap)
    watcher = Watcher(ledger, plan.rss_every_s)
    drain = asyncio.create_task(watcher.drain(engine))
    names = [*VENUES, "alternative.me"]
    driver = Driver(fakes, clock, ledger.events, ledger, plan.faults, dict(plan.hold_s))
    deadline = time.monotonic() + 60
    while not (watcher.all_ok(names) and all(_subscribed(fakes, v) for v in TOPICS)):
        if time.monotonic() > deadline or drain.done():
            drain.cancel()
            await asyncio.gather(drain, return_exceptions=True)
            raise RuntimeError(f"soak: the venues never came up: {watcher.states}")
        await driver.tickers(clock.now_ms())  # tickers stream from the start (a silent one goes stale)
        await asyncio.sleep(0.05)
    # Held from now on: a finished task leaves asyncio.all_tasks(), and a source task that finished before
    # the end crashed (the engine turns its exception into one last SourceError).
    sources = [t for t in asyncio.all_tasks() if t.get_name().startswith("source:")]
    records = await driver.run(plan.seconds)
    await asyncio.sleep(clock.real_seconds(plan.settle_s))
    crashed = [t.get_name() for t in sources if t.done()]
    drain.cancel()
    (outcome,) = await asyncio.gather(drain, return_exceptions=True)  # the engine stops inside
    if isinstance(outcome, Exception):
        escaped.append(f"the snapshot drain raised {type(outcome).__name__}: {outcome}")
    watcher.take(engine.snapshot())  # whatever arrived after the last published snapshot
    if engine.history is not None:
        engine.history.close()
    nbytes = engine.state.windows.nbytes
    return _Run(driver, watcher, records, errors, crashed, nbytes, engine.history_error)


def _subscribed(fakes: FakeVenues, venue: str) -> bool:
    return any(TOPICS[venue] in c.topics for c in fakes[venue].live_conns())


def _result(plan: SoakPlan, real_s: float, run: _Run, escaped: list[str]) -> SoakResult:
    driver, watcher = run.driver, run.watcher
    ledger, snap = watcher.ledger, watcher.last
    assert snap is not None
    tally = ledger.tally()
    day = snap.liquidations.windows["24h"]
    starts = sorted((r.start_ms, r.venue) for r in run.records)
    nexts = [next((at for at, v in starts if v == r.venue and at > r.start_ms), None) for r in run.records]
    faults = [watcher.judge(r, driver.start_ms, n) for r, n in zip(run.records, nexts, strict=True)]
    problems = [f"exception escaped: {e}" for e in escaped] + [f"source task ended: {n}" for n in run.crashed]
    problems += [] if run.history_error is None else [f"the history store failed: {run.history_error}"]
    for venue, t in tally.items():
        for what in ("missing", "duplicated", "shown_not_owed"):
            if t[what]:
                problems.append(f"{venue}: {t[what]} {what}: {'; '.join(ledger.examples(what))}")
    problems += [f"event that names no published one: {s}" for s in ledger.strangers[:5]]
    owed_usd = sum(t["owed_usd"] for t in tally.values())
    owed = sum(t["owed"] for t in tally.values())
    by_venue = {v: sum(pair) for v, pair in day.by_venue.items()}
    checks = [("snapshot feed", ledger.engine_usd), ("24h window", day.total_usd)]
    for name, got in checks:
        if abs(got - owed_usd) >= 0.005:  # to the cent
            problems.append(f"{name} total ${got:,.2f} != owed ${owed_usd:,.2f}")
    if day.count != owed:
        problems.append(f"24h window holds {day.count} events, {owed} owed")
    for venue, t in tally.items():
        got = by_venue.get(VENUE_NAMES[venue], 0.0)
        if abs(got - t["owed_usd"]) >= 0.005:
            problems.append(f"{venue}: 24h window ${got:,.2f} != owed ${t['owed_usd']:,.2f}")
    for f in faults:
        if f["harmless"] and f["seen_after_s"] is not None:
            problems.append(f"{f['venue']} {f['kind']}: an error showed for a harmless fault")
        elif not f["harmless"] and f["seen_after_s"] is None:
            problems.append(f"{f['venue']} {f['kind']}: no error or stale state was shown")
        if f["ok_after_clear_s"] is None:
            problems.append(f"{f['venue']} {f['kind']}: never ok again")
    start = driver.start_ms
    rss = [((at - start) / 60_000, mb) for at, mb in watcher.rss]
    return SoakResult(
        plan=plan,
        real_s=real_s,
        sim_s=(snap.as_of_ms - start) / 1000,
        tally=tally,
        faults=faults,
        errors_by_source=dict(run.errors),
        rss=rss,
        snapshots=watcher.count,
        engine_usd=ledger.engine_usd,
        window_count=day.count,
        window_usd=day.total_usd,
        window_by_venue=by_venue,
        windows_nbytes=run.windows_nbytes,
        problems=problems,
    )


def rss_slope_mb_per_h(rss: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS over the second half of the samples, in MB per simulated hour."""
    half = [(m, mb) for m, mb in rss if m >= rss[-1][0] / 2]
    if len(half) < 2:
        return 0.0
    minutes, mb = np.array(half).T
    return float(np.polyfit(minutes / 60, mb, 1)[0])
