"""Health per feed (issue 13): a venue is the worst of the feeds it should deliver, each judged on its own
cadence, so a streaming ticker no longer keeps a venue "ok" while its liquidation feed delivers nothing.
Driven through the engine with scripted events on a hand-moved clock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from cockpit.analytics.liquidations import LiquidationEvent
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.models import LIQUIDATIONS, TICKER, MarketEvent, PriceTick, SourceError, SourceOk, SourceStatus
from cockpit.sources.base import Emit
from cockpit.sources.clock import ManualClock

T0 = 1_770_000_000_000
SYMBOL = "BTC/USDT:USDT"


class Scripted:
    """A venue as the engine sees it; the test emits its events."""

    simulated = False
    sampled = False
    cadence_s = 10.0

    def __init__(self, name: str, label: str, feeds: Mapping[str, float]) -> None:
        self.name, self.label, self.feeds = name, label, dict(feeds)

    async def run(self, emit: Emit) -> None:
        await asyncio.Event().wait()


STREAM = {LIQUIDATIONS: 10.0, TICKER: 10.0}


def engine_of(*sources: Scripted) -> tuple[Engine, ManualClock]:
    clock = ManualClock(T0)
    return Engine(Config(), list(sources), clock, symbol=SYMBOL, kind="live"), clock


def status(engine: Engine, name: str, *events: MarketEvent) -> SourceStatus:
    for e in events:
        engine.emit(e)
    engine.drain()
    return next(s for s in engine.state.statuses(engine.clock.now_ms()) if s.name == name)


def feed_states(s: SourceStatus) -> dict[str, str]:
    return {f.name: f.state for f in s.feeds}


def liq(venue: str, ts: int, price: float) -> LiquidationEvent:
    return LiquidationEvent(ts, venue, SYMBOL, "long", 1_000.0, price)


def test_a_streaming_ticker_does_not_hide_a_liquidation_feed_that_never_spoke() -> None:
    engine, clock = engine_of(Scripted("bybit", "Bybit", STREAM))
    for _ in range(120):  # two minutes of ticks, not one liquidation nor a sign the stream is connected
        clock.advance(1_000)
        s = status(engine, "bybit", PriceTick("bybit", SYMBOL, clock.ms, 70_000.0))
    assert s.state == "stale", s
    assert feed_states(s) == {LIQUIDATIONS: "stale", TICKER: "ok"}
    assert s.last_ok_ms == clock.ms  # the ticker's data


def alive(name: str, ts: int) -> SourceOk:
    """What a connected liquidation stream says every few seconds while it waits (no data)."""
    return SourceOk(name, ts, f"liquidations {SYMBOL}", data=False, feed=LIQUIDATIONS)


def run_market(engine: Engine, clock: ManualClock, minutes: int, busy: bool) -> dict[int, SourceStatus]:
    """Both venues tick and are connected every 5 s; when ``busy`` Binance delivers a liquidation every
    2 s and Bybit none. Returns Bybit's status at the end of each minute."""
    out = {}
    for step in range(minutes * 30):  # 2 s steps
        clock.advance(2_000)
        events: list[MarketEvent] = [
            PriceTick(v, SYMBOL, clock.ms, 70_000.0) for v in ("binanceusdm", "bybit")
        ]
        if step % 5 == 0:
            events += [alive("binanceusdm", clock.ms), alive("bybit", clock.ms)]
        if busy:
            events.append(liq("Binance", clock.ms, 70_000.0 + step))
        s = status(engine, "bybit", *events)
        if (step + 1) % 30 == 0:
            out[(step + 1) // 30] = s
    return out


def test_a_connected_liquidation_feed_silent_while_the_others_deliver_goes_stale() -> None:
    binance, bybit = Scripted("binanceusdm", "Binance", STREAM), Scripted("bybit", "Bybit", STREAM)
    engine, clock = engine_of(binance, bybit)
    by_minute = run_market(engine, clock, 20, busy=True)
    # 30 Binance prints a minute: 300 after 10 minutes, but the 15-minute floor holds until then.
    assert all(by_minute[m].state == "ok" for m in range(1, 15)), {m: s.state for m, s in by_minute.items()}
    late = by_minute[16]
    assert late.state == "stale" and feed_states(late) == {LIQUIDATIONS: "stale", TICKER: "ok"}
    note = next(f.note for f in late.feeds if f.name == LIQUIDATIONS)
    found = re.fullmatch(r"no liquidation for (\d+) min while the other venues had (\d+)", note or "")
    assert found is not None, note
    assert int(found[1]) == 15 and 300 <= int(found[2]) <= 16 * 30  # Binance's prints since Bybit came up
    assert status(engine, "binanceusdm").state == "ok"  # the venue that delivers is fine
    # One Bybit liquidation and the feed is trusted again.
    clock.advance(1_000)
    back = status(engine, "bybit", liq("Bybit", clock.ms, 70_001.0))
    assert back.state == "ok" and feed_states(back)[LIQUIDATIONS] == "ok"


def test_a_quiet_market_keeps_a_connected_silent_stream_ok() -> None:
    engine, clock = engine_of(Scripted("binanceusdm", "Binance", STREAM), Scripted("bybit", "Bybit", STREAM))
    by_minute = run_market(engine, clock, 60, busy=False)
    assert {s.state for s in by_minute.values()} == {"ok"}


def test_errors_belong_to_their_feed_or_to_the_whole_venue() -> None:
    engine, clock = engine_of(Scripted("bybit", "Bybit", STREAM))
    ticks: list[MarketEvent] = [PriceTick("bybit", SYMBOL, clock.ms, 70_000.0), alive("bybit", clock.ms)]
    assert status(engine, "bybit", *ticks).state == "ok"
    task = f"liquidations {SYMBOL}"
    s = status(
        engine, "bybit", SourceError("bybit", clock.ms, f"{task}: timeout", task=task, feed=LIQUIDATIONS)
    )
    assert s.state == "error" and feed_states(s) == {LIQUIDATIONS: "error", TICKER: "ok"}
    assert s.error == f"{task}: timeout"
    assert (
        status(engine, "bybit", SourceOk("bybit", clock.ms, task, data=False, feed=LIQUIDATIONS)).state
        == "ok"
    )
    # The stream's notices and the markets are no feed's: they make the whole venue error.
    s = status(engine, "bybit", SourceError("bybit", clock.ms, "stream: dropped a frame", task="stream"))
    assert s.state == "error" and set(feed_states(s).values()) == {"ok"}
    assert status(engine, "bybit", SourceOk("bybit", clock.ms, "stream", data=False)).state == "ok"


def test_a_polled_feed_is_alive_while_its_polls_are_answered() -> None:
    engine, clock = engine_of(Scripted("gate", "Gate", {LIQUIDATIONS: 10.0}))
    for _ in range(10):  # every poll answered, none with a liquidation: the venue said "nothing new"
        clock.advance(10_000)
        s = status(engine, "gate", SourceOk("gate", clock.ms, f"liquidations {SYMBOL}", feed=LIQUIDATIONS))
    assert s.state == "ok"
    clock.advance(31_000)  # three polls missed
    assert status(engine, "gate").state == "stale"


def test_a_source_that_names_no_feeds_is_judged_as_one() -> None:
    class Index:
        name, cadence_s, simulated, sampled = "alternative.me", 60.0, False, False

        async def run(self, emit: Emit) -> None:
            await asyncio.Event().wait()

    clock = ManualClock(T0)
    engine = Engine(Config(), [Index()], clock, symbol=SYMBOL, kind="live")
    assert status(engine, "alternative.me").state == "starting"
    s = status(engine, "alternative.me", SourceOk("alternative.me", clock.ms))
    assert s.state == "ok" and [f.name for f in s.feeds] == ["data"]
    clock.advance(181_000)
    assert status(engine, "alternative.me").state == "stale"
