"""The Gate and HTX liquidation websocket clients against the fake venues on 127.0.0.1: subscribe, rows for
several coins, keepalive, a garbage frame counted and skipped, reconnect after the venue drops the socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from cockpit.sources.venues.gate_ws import GateLiquidationStream, normalize_gate_rows
from cockpit.sources.venues.htx_ws import HtxLiquidationStream, normalize_htx_rows
from cockpit.sources.venues.liquidation_ws import LiquidationStream, RawRow
from tests.fakes import gate_ws as fake_gate_ws
from tests.fakes import htx_ws as fake_htx_ws
from tests.fakes.faults import Fault
from tests.fakes.harness import loopback_only, with_fakes
from tests.fakes.perpetuals import perpetuals

__all__ = ["loopback_only"]

# Small waits so a test never idles; nothing asserts how long anything took.
FAST = {"backoff_s": 0.01, "max_backoff_s": 0.05, "idle_timeout_s": 5.0}


@asynccontextmanager
async def running(stream: LiquidationStream) -> AsyncIterator[LiquidationStream]:
    task = asyncio.create_task(stream.run())
    try:
        yield stream
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def gate_stream(fakes: Any, batches: list[list[RawRow]], **kw: Any) -> GateLiquidationStream:
    url = fakes.ws_url("gate") + fake_gate_ws.WS_PATH
    return GateLiquidationStream(url, batches.append, **{**FAST, "ping_interval_s": 60.0, **kw})


def htx_stream(fakes: Any, batches: list[list[RawRow]], **kw: Any) -> HtxLiquidationStream:
    return HtxLiquidationStream(fakes.ws_url("htx") + fake_htx_ws.WS_PATH, batches.append, **{**FAST, **kw})


def rows_of(batches: list[list[RawRow]]) -> Callable[[], int]:
    return lambda: sum(len(b) for b in batches)


@with_fakes("gate")
async def test_gate_subscribes_to_all_and_receives_several_coins(fakes: Any) -> None:
    fake, batches = fakes["gate"], list[list[RawRow]]()
    statuses: list[str] = []
    stream = gate_stream(fakes, batches, on_status=lambda kind, _detail: statuses.append(kind))
    async with running(stream):
        await fake.wait_subscribed(fake_gate_ws.ALL, timeout=3)
        sub = next(m for m in fake.ws_received() if m.get("event") == "subscribe")
        assert (sub["channel"], sub["payload"]) == ("futures.public_liquidates", ["!all"])
        await fake.push_ws_liquidations(
            fake_gate_ws.ws_liquidation("BTC_USDT", -600, "71424.5"),
            fake_gate_ws.ws_liquidation("ETH_USDT", 40, "3100.5"),
        )
        await fake.push_ws_liquidations(fake_gate_ws.ws_liquidation("DOGE_USDT", -3, "0.2"))
        await fake.wait_until(lambda: rows_of(batches)() == 3, timeout=3)
    assert [[r["contract"] for r in b] for b in batches] == [["BTC_USDT", "ETH_USDT"], ["DOGE_USDT"]]
    events, problems = normalize_gate_rows(
        [r for b in batches for r in b], {"BTC_USDT": 0.0001, "ETH_USDT": 0.01, "DOGE_USDT": 10}
    )
    assert problems == [] and [e.side for e in events] == ["long", "short", "long"]
    assert "subscribed" in statuses


@with_fakes("gate")
async def test_gate_pings_and_counts_pongs(fakes: Any) -> None:
    fake, batches = fakes["gate"], list[list[RawRow]]()
    stream = gate_stream(fakes, batches, ping_interval_s=0.02)
    async with running(stream):
        await fake.wait_until(lambda: stream.pongs >= 2, timeout=3)
    pings = [m for m in fake.ws_received() if m.get("channel") == "futures.ping"]
    assert len(pings) >= 2 and all(isinstance(p["time"], int) for p in pings)


@with_fakes("gate")
async def test_gate_garbage_frames_are_counted_and_skipped(fakes: Any) -> None:
    fake, batches = fakes["gate"], list[list[RawRow]]()
    stream = gate_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_gate_ws.ALL, timeout=3)
        await fake.send_ws_garbage("}{garbage", "<html>502 Bad Gateway</html>", "[1, 2]")
        await fake.push_ws_liquidations(fake_gate_ws.ws_liquidation("BTC_USDT", -1, "70000"))
        await fake.wait_until(lambda: rows_of(batches)() == 1, timeout=3)
    assert stream.stats.bad_frames == 3 and stream.stats.connects == 1


@with_fakes("gate")
async def test_gate_reconnects_and_resubscribes_after_a_drop(fakes: Any) -> None:
    fake, batches = fakes["gate"], list[list[RawRow]]()
    stream = gate_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_gate_ws.ALL, timeout=3)
        await fake.drop_connections()
        await fake.wait_until(lambda: stream.stats.connects == 2, timeout=3)
        await fake.wait_subscribed(fake_gate_ws.ALL, timeout=3)
        await fake.push_ws_liquidations(fake_gate_ws.ws_liquidation("ETH_USDT", 2, "3000"))
        await fake.wait_until(lambda: rows_of(batches)() == 1, timeout=3)
    assert len(fake.calls("ws", kind="ws-open")) == 2


@with_fakes("htx")
async def test_htx_subscribes_and_receives_gzip_rows_for_several_coins(fakes: Any) -> None:
    fake, batches = fakes["htx"], list[list[RawRow]]()
    stream = htx_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        sub = fake.ws_received()[0]
        assert (sub["op"], sub["topic"]) == ("sub", "public.*.liquidation_orders") and sub["cid"]
        await fake.push_ws_liquidations(
            fake_htx_ws.ws_liquidation("BTC-USDT", "sell", 2, 71300.5),
            fake_htx_ws.ws_liquidation("ETH-USDT", "buy", 7, 3100.0, contract_size=0.01),
            fake_htx_ws.ws_liquidation("BTC-USDT", "buy", 1, 71310.0),
        )
        await fake.wait_until(lambda: rows_of(batches)() == 3, timeout=3)
    assert sorted(r["contract_code"] for b in batches for r in b) == ["BTC-USDT", "BTC-USDT", "ETH-USDT"]
    events, problems = normalize_htx_rows(
        [r for b in batches for r in b], {"BTC-USDT": 0.001, "ETH-USDT": 0.01}
    )
    assert problems == [] and sorted(e.side for e in events) == ["long", "short", "short"]


@with_fakes("gate", "htx")
async def test_both_websockets_carry_every_listed_perpetual_at_its_contract_size(fakes: Any) -> None:
    """One print per listed coin on each all-market websocket (longs and shorts alternating); the normalised
    notionals equal contracts x the coin's contract size on that venue x price, summed by hand."""
    gate_batches, htx_batches = list[list[RawRow]](), list[list[RawRow]]()
    coins = list(perpetuals().values())
    assert len(coins) >= 20
    async with running(gate_stream(fakes, gate_batches)), running(htx_stream(fakes, htx_batches)):
        await fakes["gate"].wait_subscribed(fake_gate_ws.ALL, timeout=3)
        await fakes["htx"].wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        await fakes["gate"].push_ws_liquidations(
            *(
                fake_gate_ws.ws_liquidation(
                    f"{p.coin}_USDT", -(3 + k) if k % 2 == 0 else 3 + k, f"{p.price:g}"
                )
                for k, p in enumerate(coins)
            )
        )
        await fakes["htx"].push_ws_liquidations(
            *(
                fake_htx_ws.ws_liquidation(f"{p.coin}-USDT", "sell" if k % 2 == 0 else "buy", 3 + k, p.price)
                for k, p in enumerate(coins)
            )
        )
        await fakes["gate"].wait_until(lambda: rows_of(gate_batches)() == len(coins), timeout=3)
        await fakes["htx"].wait_until(lambda: rows_of(htx_batches)() == len(coins), timeout=3)
    gate_sizes = {f"{p.coin}_USDT": float(p.gate_multiplier) for p in coins}
    htx_sizes = {f"{p.coin}-USDT": float(p.htx_size) for p in coins}
    gate_events, gate_problems = normalize_gate_rows([r for b in gate_batches for r in b], gate_sizes)
    htx_events, htx_problems = normalize_htx_rows([r for b in htx_batches for r in b], htx_sizes)
    assert gate_problems == [] and htx_problems == []
    for events, size_of in ((gate_events, "gate_multiplier"), (htx_events, "htx_size")):
        want = {
            (f"{p.coin}/USDT:USDT", "long" if k % 2 == 0 else "short"): (3 + k)
            * float(getattr(p, size_of))
            * p.price
            for k, p in enumerate(coins)
        }
        got = {(e.symbol, e.side): e.notional_usd for e in events}
        assert got == pytest.approx(want, rel=1e-9), size_of


@with_fakes("htx")
async def test_htx_answers_the_venues_ping_with_its_ts(fakes: Any) -> None:
    fake, batches = fakes["htx"], list[list[RawRow]]()
    stream = htx_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        await fake.ping_ws_clients(ts=1_700_000_000_123)
        await fake.wait_until(lambda: any(m.get("op") == "pong" for m in fake.ws_received()), timeout=3)
    assert [m for m in fake.ws_received() if m.get("op") == "pong"] == [{"op": "pong", "ts": "1700000000123"}]
    assert stream.stats.pongs_sent == 1


@with_fakes("htx")
async def test_htx_garbage_frames_are_counted_and_skipped(fakes: Any) -> None:
    fake, batches = fakes["htx"], list[list[RawRow]]()
    stream = htx_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        await fake.send_ws_garbage()
        await fake.push_ws_liquidations(fake_htx_ws.ws_liquidation("BTC-USDT", "sell", 1, 70000.0))
        await fake.wait_until(lambda: rows_of(batches)() == 1, timeout=3)
    assert stream.stats.bad_frames == 2 and stream.stats.connects == 1


@with_fakes("htx")
async def test_htx_reconnects_and_resubscribes_after_a_drop(fakes: Any) -> None:
    fake, batches = fakes["htx"], list[list[RawRow]]()
    stream = htx_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        await fake.drop_connections()
        await fake.wait_until(lambda: stream.stats.connects == 2, timeout=3)
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
        await fake.push_ws_liquidations(
            fake_htx_ws.ws_liquidation("ETH-USDT", "buy", 3, 3000.0, contract_size=0.01)
        )
        await fake.wait_until(lambda: rows_of(batches)() == 1, timeout=3)
    assert len([m for m in fake.ws_received() if m.get("op") == "sub"]) == 2


@with_fakes("htx")
async def test_a_refused_connection_is_retried(fakes: Any) -> None:
    fake, batches = fakes["htx"], list[list[RawRow]]()
    fake.set_fault("ws", Fault(kind="http", status=503, times=2))
    stream = htx_stream(fakes, batches)
    async with running(stream):
        await fake.wait_subscribed(fake_htx_ws.TOPIC, timeout=3)
    assert stream.stats.connects == 1 and len(fake.calls("ws", kind="ws-open")) == 3
    assert "503" in stream.stats.last_error
