"""Wiring: build the engine (and app) for the simulated market; the headless snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.alarms.store import AlarmStore, store_path
from cockpit.config import Config, ConfigError
from cockpit.engine.engine import Engine
from cockpit.models import Snapshot
from cockpit.recording.format import Recording
from cockpit.recording.replay import ReplayChannel, ReplayClock, ReplayPlayer
from cockpit.sources.base import Source
from cockpit.sources.clock import Clock, ManualClock, SimClock, WallClock
from cockpit.storage.history import HistoryError, LiquidationHistory, history_path

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


def demo_engine(
    config: Config, seed: int, clock: ManualClock | SimClock, alarm_store: AlarmStore | None = None
) -> Engine:
    """An engine fed by the simulated market only."""
    from cockpit.sources.demo.market import SYMBOL
    from cockpit.sources.demo.source import DemoSource

    source = DemoSource(seed, clock)
    engine = Engine(config, [source], clock, symbol=SYMBOL, kind="demo", alarm_store=alarm_store)
    wanted = config.live.symbol
    if wanted != SYMBOL:
        offered = tuple(getattr(source, "instruments", (SYMBOL,)))
        if wanted not in offered:
            raise ConfigError(f"the simulated market has no {wanted}; it has {', '.join(offered)}")
        engine.follow(wanted)
    return engine


def open_alarm_store(config: Config, *, demo: bool) -> AlarmStore:
    """The user's alarm store (the simulated market has its own file); ``StoreError`` in one line."""
    return AlarmStore(store_path(config.alarms, config.source, demo=demo))


def demo_steps(engine: Engine, clock: ManualClock, after_s: float) -> Iterator[int]:
    """Feed the simulated market's opening state, then step a simulated second at a time until ``after_s``,
    emitting every step's events and draining them at that step's clock time (yields each time)."""
    from cockpit.sources.demo.source import DemoSource

    source = engine.sources[0]
    assert isinstance(source, DemoSource)
    for opening_event in source.backfill_events():
        engine.emit(opening_event)
    engine.drain()
    yield clock.ms
    target = clock.ms + int(after_s * 1000)
    # A step per simulated second, as the simulator steps in the cockpit: the engine sees events in the order
    # and at the times a live run would, and a recording stamps each event with its own second (a minute's
    # events stamped at once left 59 s gaps: a replay flipped between "simulator ok" and "stale", issue 16).
    while clock.now_ms() < target:
        clock.ms = min(target, clock.ms + 1000)
        for event in source.market.advance(clock.ms):
            engine.emit(event)
        engine.drain()
        yield clock.ms


def demo_snapshot(config: Config, seed: int, after_s: float = 0.0, start_s: float = 0.0) -> Snapshot:
    """The state ``after_s`` simulated seconds after the start, computed without a screen; the start is the
    opening, or ``start_s`` after it as in ``cockpit --demo --demo-start`` (the market catches up at once)."""
    from cockpit.sources.demo.market import OPENING_MS

    clock = ManualClock(OPENING_MS + int(start_s * 1000))
    engine = demo_engine(config, seed, clock)
    for _ in demo_steps(engine, clock, after_s):
        pass
    return engine.snapshot()


def demo_app(config: Config, seed: int | None, speed: float | None, start_s: float = 0.0) -> CockpitApp:
    """The cockpit on the simulated market, opening at the reference moment (or ``start_s`` simulated
    seconds after it: the market catches up to there on the first step)."""
    from cockpit.ui.app import CockpitApp

    return CockpitApp(config, stored_demo_engine(config, seed, speed, start_s))


def stored_demo_engine(config: Config, seed: int | None, speed: float | None, start_s: float = 0.0) -> Engine:
    """The simulated market in real time (at ``speed``) with the simulated market's own alarm store."""
    from cockpit.sources.demo.market import OPENING_MS

    clock = SimClock(OPENING_MS + int(start_s * 1000), speed if speed is not None else config.demo.speed)
    store = open_alarm_store(config, demo=True)
    return demo_engine(config, seed if seed is not None else config.demo.seed, clock, store)


def live_engine(
    config: Config,
    clock: Clock | None = None,
    alarm_store: AlarmStore | None = None,
    history: LiquidationHistory | None = None,
) -> Engine:
    """An engine fed by the enabled venues (ccxt) and the Fear & Greed index; never simulated data."""
    from cockpit.sources.fear_greed import FearGreedSource
    from cockpit.sources.venues.venue_source import VenueSource

    clock = clock or WallClock()
    sources: list[Source] = [
        VenueSource(vid, vs, config.live, clock, is_price_venue=vid == config.live.price_venue)
        for vid, vs in config.venues.items()
        if vs.enabled
    ]
    if config.sentiment.enabled:
        sources.append(FearGreedSource(config.sentiment, clock))
    store, symbol = alarm_store, config.live.symbol
    return Engine(config, sources, clock, symbol=symbol, kind="live", alarm_store=store, history=history)


def live_snapshot(config: Config, after_s: float) -> Snapshot:
    """Run the live engine for ``after_s`` real seconds, then return its state (sources closed)."""

    async def run() -> Snapshot:
        engine = live_engine(config)
        engine.start()
        try:
            await asyncio.sleep(after_s)
            return engine.snapshot()
        finally:
            await engine.stop()

    return asyncio.run(run())


def live_app(config: Config, clock: Clock | None = None) -> CockpitApp:
    """The cockpit on live venues (wall-clock time unless a clock is given: the fake venues' recorded
    candles need a clock set just after them)."""
    from cockpit.ui.app import CockpitApp

    return CockpitApp(config, stored_live_engine(config, clock))


def stored_live_engine(config: Config, clock: Clock | None = None) -> Engine:
    """The live engine with the user's alarm store and liquidation history (a history that cannot open is
    said on screen, with the fix, and the windows work from memory)."""
    history, history_error = None, None
    if config.history.enabled:  # the live windows survive a restart
        try:
            history = LiquidationHistory(history_path(config.history, config.source), config.history)
        except HistoryError as exc:  # the engine runs without it: said on screen, with the fix
            history_error = f"off: {exc}"
    store = open_alarm_store(config, demo=False)
    engine = live_engine(config, clock, alarm_store=store, history=history)
    engine.history_error = history_error
    return engine


def daemon_engine(
    config: Config, demo: bool, seed: int | None, speed: float | None, start_s: float = 0.0
) -> Engine:
    """The engine `cockpit daemon` runs: the simulated market (from its opening, at its speed) or the live
    venues, with the same stores the cockpit would use in process."""
    return stored_demo_engine(config, seed, speed, start_s) if demo else stored_live_engine(config)


def replay_app(config: Config, recording: Recording, speed: float | None, start_s: float) -> CockpitApp:
    """The cockpit playing a recording (REPLAY badge; space/[/]/,/. control it); alarms in memory only."""
    from cockpit.ui.app import CockpitApp

    clock = ReplayClock(recording.header.start_ms + int(start_s * 1000), speed if speed is not None else 1.0)
    engine, _ = replay_engine(config, recording, clock)
    return CockpitApp(config, engine)


def record_demo(config: Config, seed: int, seconds: float, path: str | Path, start_s: float = 0.0) -> int:
    """Record ``seconds`` of the simulated market from the opening, or from ``start_s`` after it (stepped by
    a manual clock: an hour takes seconds)."""
    from cockpit.recording.recorder import attach_recorder
    from cockpit.sources.demo.market import OPENING_MS

    clock = ManualClock(OPENING_MS + int(start_s * 1000))
    engine = demo_engine(config, seed, clock)
    writer = attach_recorder(engine, path)
    try:
        for _ in demo_steps(engine, clock, seconds):
            pass
    finally:
        writer.close()
    return writer.count


def record_live(config: Config, seconds: float, path: str | Path) -> int:
    """Record ``seconds`` of real time from the live venues."""
    from cockpit.recording.recorder import attach_recorder

    async def run() -> int:
        engine = live_engine(config)
        writer = attach_recorder(engine, path)
        engine.start()
        try:
            await asyncio.sleep(seconds)
        finally:
            await engine.stop()
            writer.close()
        return writer.count

    return asyncio.run(run())


def replay_engine(
    config: Config, recording: Recording, clock: ReplayClock | ManualClock
) -> tuple[Engine, ReplayPlayer | None]:
    """An engine fed by ``recording`` (a player only with a ReplayClock; headless feeds it by hand)."""
    infos = recording.header.sources
    player = ReplayPlayer(recording, clock) if isinstance(clock, ReplayClock) else None
    sources: list[Source] = [
        ReplayChannel(info, player.run if player is not None and i == 0 else None)
        for i, info in enumerate(infos)
    ]
    engine = Engine(config, sources, clock, symbol=recording.header.symbol, kind=recording.header.source)
    if player is not None:
        player.on_rewind = engine.reset_state
        engine.replay = player
    return engine, player


def replay_snapshot(config: Config, recording: Recording, after_s: float) -> Snapshot:
    """The state ``after_s`` seconds into the recording. Events recorded at one instant are applied in one
    batch at that instant, as the recording engine did, so the snapshot equals the recorded one."""
    clock = ManualClock(recording.header.start_ms)
    engine, _ = replay_engine(config, recording, clock)
    target = recording.header.start_ms + int(after_s * 1000)
    for at, group in groupby(recording.events, key=lambda item: item[0]):
        if at > target:
            break
        clock.ms = max(clock.ms, at)
        for _, event in group:
            engine.emit(event)
        engine.drain()
    clock.ms = max(clock.ms, target)
    return engine.snapshot()
