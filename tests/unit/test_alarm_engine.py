"""Each alarm kind fires at the right tick through the real engine on the simulated market's opening.

The engine runs on a ManualClock; the demo's own price ticks are dropped after the opening so the tests
script the price, while its closed candles still move the analysis (and so the bound levels).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from cockpit.alarms.model import (
    MARKET,
    AlarmFired,
    AlarmStatus,
    fng_alarm,
    level_alarm,
    liq_alarm,
    price_alarm,
    rsi_alarm,
    zone_alarm,
)
from cockpit.alarms.store import AlarmStore
from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import AlarmSettings, Config
from cockpit.engine.engine import Engine
from cockpit.models import CandleClosed, FearGreedReading, PriceTick, SentimentUpdate, Snapshot
from cockpit.sources.clock import ManualClock
from cockpit.sources.demo.market import DEFAULT_SEED, OPENING_MS, SYMBOL
from cockpit.sources.demo.source import DemoSource
from cockpit.sources.fear_greed import SOURCE_NAME as FEAR_GREED
from cockpit.wiring import demo_engine

CONFIG = Config(alarms=AlarmSettings(cooldown_s=0.0))


def opened(store: AlarmStore | None = None) -> tuple[Engine, ManualClock, DemoSource]:
    """The demo engine at the opening moment (backfill applied), optionally on an alarm store."""
    clock = ManualClock(OPENING_MS)
    engine = demo_engine(CONFIG, DEFAULT_SEED, clock, store)
    source = engine.sources[0]
    assert isinstance(source, DemoSource)
    for event in source.backfill_events():
        engine.emit(event)
    engine.drain()
    return engine, clock, source


def tick(engine: Engine, clock: ManualClock, price: float, dt_ms: int = 1_000) -> int:
    """One scripted price tick, applied at once; returns its timestamp."""
    clock.advance(dt_ms)
    engine.emit(PriceTick("demo", SYMBOL, clock.ms, price))
    engine.drain()
    return clock.ms


def add(engine: Engine, *alarms: object) -> list[int]:
    return [asyncio.run(engine.alarms.add(a)).id for a in alarms]  # type: ignore[arg-type]


def status(snap: Snapshot, alarm_id: int) -> AlarmStatus:
    return next(s for s in snap.alarms if s.alarm.id == alarm_id)


def fired(snap: Snapshot) -> list[tuple[int, int, float | None, float]]:
    return [(f.alarm_id, f.ts_ms, f.prev_value, f.value) for f in snap.fired_alarms]


def test_price_and_zone_alarms_fire_on_the_crossing_tick() -> None:
    engine, clock, _ = opened()
    assert engine.snapshot().price == 75_203.0  # the opening of seed DEFAULT_SEED
    above, below, enter, leave = add(
        engine,
        price_alarm(75_300, "above", note="reclaim"),
        price_alarm(75_000, "below", once=True),
        zone_alarm(74_000, 75_000, "enter"),
        zone_alarm(75_280, 75_420, "leave"),  # band: a quarter of its width, 35
    )
    tick(engine, clock, 75_250)  # arms "above" (beyond 75,300 - 37.65)
    tick(engine, clock, 75_300)  # touches the level: not a cross
    assert engine.snapshot().fired_alarms == ()
    t_above = tick(engine, clock, 75_300.5)
    tick(engine, clock, 75_500)  # "leave" never armed deep enough inside the zone (75,315..75,385)
    snap = engine.snapshot()
    assert fired(snap) == [(above, t_above, 75_300.0, 75_300.5)]
    f = snap.fired_alarms[0]
    assert (f.price, f.prev_price, f.level, f.note) == (75_300.5, 75_300.0, 75_300.0, "reclaim")
    assert engine.snapshot().fired_alarms == ()  # handed out once
    tick(engine, clock, 75_320)  # inside the zone, beyond its band: "leave" arms
    t_leave = tick(engine, clock, 75_430)
    t_below = tick(engine, clock, 74_999)  # below 75,000 and inside 74,000..75,000 (armed above 75,037)
    tick(engine, clock, 75_020)
    tick(engine, clock, 74_900)  # once-alarm done; zone not re-armed (75,020 is within its band, 37.25)
    assert fired(engine.snapshot()) == [
        (leave, t_leave, 75_320.0, 75_430.0),
        (below, t_below, 75_430.0, 74_999.0),
        (enter, t_below, 75_430.0, 74_999.0),
    ]
    s = status(engine.snapshot(), below)
    assert s.alarm.done and s.level == 75_000.0 and s.value == 74_900.0


def test_bound_level_follows_the_analysis_as_it_moves() -> None:
    """ "above resistance": the seed's resistance zone drops from ~76,990 to ~74,038 when the 17:00 bar
    closes; the move itself never fires, the next real crossing of the new level does."""
    engine, clock, source = opened()
    (rid,) = add(engine, level_alarm("resistance", "above"))
    r1 = status(engine.snapshot(), rid).level
    assert r1 is not None and round(r1) == 76_990
    tick(engine, clock, 75_000)  # well below: armed against r1
    assert status(engine.snapshot(), rid).armed
    r2 = r1
    for _ in range(4 * 60):  # the market moves on a minute at a time, without its own ticks
        target = clock.ms + 60_000
        clock.ms = target
        for event in source.market.advance(target):
            if not isinstance(event, PriceTick):
                engine.emit(event)
        engine.drain()
        r2 = status(engine.snapshot(), rid).level or r1
        if r2 != r1:
            break
    assert round(r2) == 74_038 and engine.snapshot().fired_alarms == ()
    # The candles moved the price (no tick is newer than them): it is judged against the new level.
    last = engine.snapshot().price
    assert last is not None and last < r2 * (1 - 0.0005) and status(engine.snapshot(), rid).armed
    tick(engine, clock, r2)  # touching
    t = tick(engine, clock, r2 + 1)
    (f,) = engine.snapshot().fired_alarms
    assert (f.alarm_id, f.ts_ms, f.prev_value, f.value, f.level) == (rid, t, r2, r2 + 1, r2)


def test_liquidation_window_alarm_fires_on_the_batch_that_crosses() -> None:
    engine, clock, _ = opened()
    w = engine.snapshot().liquidations.windows["1h"]
    both, longs = add(
        engine,
        # The window totals above are the market's (every simulated coin): so are these alarms.
        liq_alarm(w.total_usd + 5e6, 3600, symbol=MARKET),
        liq_alarm(w.long_usd + 1e6, 3600, side="long", symbol=MARKET),
    )
    assert engine.snapshot().fired_alarms == ()

    def liq(side: str, usd: float) -> int:
        clock.advance(1_000)
        engine.emit(LiquidationEvent(clock.ms, "SimEx Alpha", SYMBOL, side, usd, 75_000.0))  # type: ignore[arg-type]
        engine.drain()
        return clock.ms

    liq("short", 2e6)
    assert engine.snapshot().fired_alarms == ()  # shorts do not count for the long alarm; total +2M < 5M
    t_long = liq("long", 1.5e6)
    t_both = liq("short", 2e6)
    got = fired(engine.snapshot())
    assert [(i, t) for i, t, _, _ in got] == [(longs, t_long), (both, t_both)]
    assert got[1][3] > w.total_usd + 5e6 >= (got[1][2] or 0.0)


def test_fear_greed_and_rsi_alarms() -> None:
    engine, clock, _ = opened()
    snap = engine.snapshot()
    assert snap.sentiment is not None and snap.sentiment.latest.value == 14
    r0 = snap.rsi_by_timeframe["1m"]
    assert r0 is not None and r0 < 69
    now, later, rsi = add(
        engine, fng_alarm(20, "below"), fng_alarm(10, "below"), rsi_alarm(70, "1m", "above")
    )
    assert [f.alarm_id for f in engine.snapshot().fired_alarms] == [now]  # a condition holds at once
    reading = FearGreedReading(clock.ms, 9, "Extreme Fear")
    engine.emit(SentimentUpdate(FEAR_GREED, reading, (*snap.sentiment.history, reading)))
    engine.drain()
    (f,) = engine.snapshot().fired_alarms
    assert (f.alarm_id, f.value, f.prev_value) == (later, 9.0, 14.0)
    # Closed 1m bars rising hard push the 1m RSI above 70.
    close = float(snap.price or 0.0)
    hits: list[AlarmFired] = []
    for _ in range(12):
        minute = clock.ms // 60_000 * 60_000
        clock.ms = minute + 60_000
        engine.emit(CandleClosed("demo", SYMBOL, minute, close, close + 160, close - 5, close + 150, 1.0))
        close += 150
        engine.drain()
        hits += engine.snapshot().fired_alarms
    (f,) = hits
    assert f.alarm_id == rsi and f.prev_value is not None and f.prev_value <= 70 < f.value


def test_firings_are_recorded_in_the_store_and_other_processes_changes_are_followed(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"

    async def scenario() -> None:
        with AlarmStore(path) as store, AlarmStore(path) as cli:
            once = cli.add(price_alarm(75_300, "above", once=True))
            engine, clock, _ = opened(store)  # loads the alarm the "CLI" added
            assert [s.alarm.id for s in engine.snapshot().alarms] == [once.id]
            tick(engine, clock, 75_200)
            t = tick(engine, clock, 75_301)
            assert [f.alarm_id for f in engine.snapshot().fired_alarms] == [once.id]
            await engine.alarms.flush()
            (h,) = cli.history()
            assert (h.alarm_id, h.ts_ms, h.prev_value, h.value, h.final) == (once.id, t, 75_200, 75_301, True)
            assert cli.get(once.id).done and cli.get(once.id).fired_count == 1
            # The CLI re-arms it and adds another; the engine's once-a-second check picks both up.
            cli.rearm(once.id)
            extra = cli.add(price_alarm(75_000, "below"))
            await engine.alarms.sync()
            assert {s.alarm.id for s in engine.snapshot().alarms} == {once.id, extra.id}
            tick(engine, clock, 75_200)
            tick(engine, clock, 75_400)
            tick(engine, clock, 74_900)
            assert [f.alarm_id for f in engine.snapshot().fired_alarms] == [once.id, extra.id]
            # The app's own changes go through the engine.
            muted = await engine.alarms.set_muted(extra.id, True)
            assert muted.muted and cli.get(extra.id).muted
            assert await engine.alarms.remove(once.id) and [a.id for a in cli.list_alarms()] == [extra.id]
            # The background task writes firings without being asked (the demo source stays off: its own
            # ticks would move the price).
            engine.sources = []
            engine.start()
            await engine.alarms.update(price_alarm(75_000, "above", id=extra.id))
            tick(engine, clock, 74_000)
            tick(engine, clock, 75_100)
            for _ in range(200):
                if len(cli.history()) == 4:
                    break
                await asyncio.sleep(0.01)
            await engine.stop()
            assert [h.alarm_id for h in cli.history()] == [extra.id, extra.id, once.id, once.id]

    asyncio.run(scenario())


def test_in_memory_alarms_without_a_store() -> None:
    engine, clock, _ = opened()

    async def scenario() -> None:
        a = await engine.alarms.add(price_alarm(80_000, "above"))
        b = await engine.alarms.add(price_alarm(70_000, "below"))
        assert (a.id, b.id) == (1, 2)
        assert (await engine.alarms.set_muted(a.id, True)).muted
        assert (await engine.alarms.rearm(b.id)).rev == 2
        assert await engine.alarms.remove(a.id) and not await engine.alarms.remove(a.id)
        moved = await engine.alarms.update(price_alarm(75_100, "below", id=b.id))  # the UI edits it
        assert (moved.rev, moved.level) == (3, 75_100.0)

    asyncio.run(scenario())
    # No tick yet (the backfill is history, not a tick): nothing to judge the new level against.
    assert [(s.alarm.id, s.level, s.armed) for s in engine.snapshot().alarms] == [(2, 75_100.0, False)]
    tick(engine, clock, 75_150)
    t = tick(engine, clock, 75_099)
    assert fired(engine.snapshot()) == [(2, t, 75_150.0, 75_099.0)]


def test_a_silent_price_stream_does_not_freeze_the_price_or_the_alarms() -> None:
    """Issue 14: the ticker stream connected but silent at 64,000 while the REST candles moved to 70,000
    through an alarm at 65,000, which never fired. The newest of ticker and candle is the price."""
    engine, clock, _ = opened()
    (aid,) = add(engine, price_alarm(65_000, "above"))
    tick(engine, clock, 64_000)
    tick(engine, clock, 64_010)
    minute = (clock.ms // 60_000 + 1) * 60_000
    fired_at = []
    for k, close in enumerate((64_500.0, 66_000.0, 70_000.0)):  # the stream says nothing meanwhile
        ts = minute + k * 60_000
        clock.ms = ts + 61_000
        engine.emit(CandleClosed("demo", SYMBOL, ts, close - 100, close + 50, close - 200, close, 1.0))
        engine.drain()
        fired_at += fired(engine.snapshot())
    snap = engine.snapshot()
    assert snap.price == 70_000.0
    assert fired_at == [(aid, minute + 2 * 60_000 - 1, 64_500.0, 66_000.0)]
