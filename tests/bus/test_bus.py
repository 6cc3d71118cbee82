"""The desk on NATS against a real nats-server on 127.0.0.1: snapshots to a viewer, the last day of
liquidations in JetStream for a late joiner, a broker restart that counts nothing twice, and alarm
changes that need the desk's secret."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path

import nats
import pytest

from cockpit.alarms.model import price_alarm
from cockpit.alarms.store import StoreError
from cockpit.bus.link import NatsLink
from cockpit.bus.subjects import Subjects, read_liquidation
from cockpit.daemon import codec
from cockpit.engine.market_state import News
from cockpit.models import Snapshot
from tests.bus.desk import desk, secret, settings, until
from tests.bus.nats_server import NatsServer

ETH, SOL = "ETH/USDT:USDT", "SOL/USDT:USDT"
TIMEOUT_S = 60.0


def run(coro: object) -> None:
    asyncio.run(asyncio.wait_for(coro, TIMEOUT_S))  # type: ignore[arg-type]


async def next_snapshot(gen: AsyncGenerator[Snapshot, None], timeout_s: float = 10.0) -> Snapshot:
    return await asyncio.wait_for(anext(gen), timeout_s)


async def stream_ids(url: str, prefix: str = "cockpit") -> list[str]:
    """Every liquidation id the stream holds, in order: what a consumer joining now reads."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(Subjects(prefix).liq_all, ordered_consumer=True)
        info = await js.stream_info(Subjects(prefix).stream)
        ids = []
        for _ in range(info.state.messages):
            msg = await sub.next_msg(timeout=5)
            ids.append(read_liquidation(msg.data)["id"])
        await sub.unsubscribe()
        return ids
    finally:
        await nc.close()


async def stored(url: str, ids: set[str], timeout_s: float = 20.0) -> list[str]:
    """The stream's ids once it holds every one of ``ids`` (the engine drains, then the bus sends)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            held = await stream_ids(url)
        except nats.js.errors.NotFoundError:  # the daemon has not made its stream yet
            held = []
        if ids <= set(held):
            return held
        if loop.time() > deadline:
            raise AssertionError(f"not stored: {sorted(ids - set(held))[:5]}")
        await asyncio.sleep(0.2)


def test_a_viewer_gets_the_snapshots_of_the_symbol_it_charts(nats_server: NatsServer, tmp_path: Path) -> None:
    async def body() -> None:
        bus = settings(nats_server.url)
        async with desk(bus, tmp_path):
            link = NatsLink(bus, nats_server.url, ETH, "1h")
            gen = link.snapshots()
            snap = await next_snapshot(gen)
            assert (snap.symbol, snap.chart_timeframe, snap.link) == (ETH, "1h", "daemon")
            assert len(snap.candles) > 0 and snap.liquidations is not None  # whole windows, not a diff
            link.follow(SOL)
            link.set_chart_timeframe("15m")
            for _ in range(50):
                snap = await next_snapshot(gen)
                if snap.symbol == SOL:
                    break
            assert (snap.symbol, snap.chart_timeframe) == (SOL, "15m")
            assert link.refused == 0
            await gen.aclose()

    run(body())


def test_a_late_joiner_reads_the_last_day_from_jetstream_each_print_once(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async def body() -> None:
        async with desk(settings(nats_server.url), tmp_path) as d:
            events = [d.liquidation(f"late-{i}") for i in range(20)]
            ids = {f"binanceusdm:late-{i}" for i in range(20)}
            await stored(nats_server.url, ids)
            # The same prints handed over again (a daemon resending after a lost acknowledgement).
            d.bus.publish(News(0, tuple(events), ()), {})
            d.bus.ready.set()
            await until(lambda: not d.bus.liqs, what="the resend acknowledged")
        held = await stream_ids(nats_server.url)  # a consumer that joins after all of it
        assert ids <= set(held)
        assert [k for k, n in Counter(held).items() if n > 1] == []
        nc = await nats.connect(nats_server.url)
        info = await nc.jetstream().stream_info(Subjects().stream)
        await nc.close()
        assert info.config.max_age == 86_400 and info.config.subjects == ["cockpit.liq.>"]

    run(body())


def test_a_broker_restart_loses_and_doubles_nothing(nats_server: NatsServer, tmp_path: Path) -> None:
    async def body() -> None:
        bus = settings(nats_server.url)
        async with desk(bus, tmp_path) as d:
            link = NatsLink(bus, nats_server.url, ETH, "1h")
            gen = link.snapshots()
            shown: list[Snapshot] = [await next_snapshot(gen)]
            before = {f"binanceusdm:{e.key}" for e in (d.liquidation(f"before-{i}") for i in range(10))}
            await stored(nats_server.url, before)
            nats_server.kill()
            during = {f"binanceusdm:{e.key}" for e in (d.liquidation(f"during-{i}") for i in range(10))}
            while shown[-1].link != "lost":
                shown.append(await next_snapshot(gen))
            nats_server.start()  # the same port and store: a restart
            while shown[-1].link != "daemon":
                shown.append(await next_snapshot(gen, 20))
            await stored(nats_server.url, before | during)
            for _ in range(5):
                shown.append(await next_snapshot(gen))
            await gen.aclose()
        held = await stream_ids(nats_server.url)
        assert [k for k, n in Counter(held).items() if n > 1] == []
        seen = Counter(f"{e.venue}:{e.key}" for s in shown for e in s.new_liquidations)
        assert [k for k, n in seen.items() if n > 1] == []
        # A frame on its way when the broker died is lost (core NATS is at most once); the tape heals from
        # the recent prints every snapshot carries, and the windows are the daemon's, whole.
        tape = {f"{e.venue}:{e.key}" for e in shown[-1].recent_liquidations}
        assert before | during <= set(seen) | tape

    run(body())


def test_alarm_changes_need_the_desks_secret(nats_server: NatsServer, tmp_path: Path) -> None:
    async def body() -> None:
        key = secret(tmp_path)
        bus = settings(nats_server.url, key)
        async with desk(bus, tmp_path):
            wrong = NatsLink(settings(nats_server.url, secret(tmp_path, "other")), nats_server.url, ETH, "1h")
            none = NatsLink(settings(nats_server.url), nats_server.url, ETH, "1h")
            right = NatsLink(bus, nats_server.url, ETH, "1h")
            gens = [link.snapshots() for link in (none, right)]
            for gen in gens:
                await next_snapshot(gen)
            await wrong.connect()
            with pytest.raises(StoreError, match="signature is wrong"):
                await wrong.alarms.add(price_alarm(1_000_000.0, "above", symbol=ETH))
            with pytest.raises(StoreError, match="need \\[bus\\] secret_file"):
                await none.alarms.add(price_alarm(1_000_000.0, "above", symbol=ETH))
            saved = await right.alarms.add(price_alarm(1_000_000.0, "above", symbol=ETH))
            assert saved.id > 0
            # The daemon wakes its engine on a change: within a snapshot or two (one may be on its way).
            alarm_ids = [{s.alarm.id for s in (await next_snapshot(gens[1])).alarms} for _ in range(3)]
            assert saved.id in alarm_ids[-1]
            assert {s.alarm.id for s in right.alarms.book.statuses()} == {saved.id}
            await unsigned_and_replayed_requests_are_refused(nats_server.url, right)
            assert right.refused == 0
            wrong_view = wrong.snapshots()  # the daemon signs its snapshots: another secret refuses them
            with pytest.raises(asyncio.TimeoutError):
                await next_snapshot(wrong_view, 3.0)
            assert wrong.refused > 0
            await wrong_view.aclose()
            for gen in gens:
                await gen.aclose()

    run(body())


async def unsigned_and_replayed_requests_are_refused(url: str, right: NatsLink) -> None:
    nc = await nats.connect(url)
    try:
        body, _ = right.signer.request("remove", 1)
        reply = codec.decode((await nc.request("cockpit.alarms", body, timeout=5)).data)
        assert reply[:2] == ("reply", False) and "not signed" in reply[2]
        headers = right.signer.headers("cockpit.alarms", body)
        first = codec.decode((await nc.request("cockpit.alarms", body, timeout=5, headers=headers)).data)
        again = codec.decode((await nc.request("cockpit.alarms", body, timeout=5, headers=headers)).data)
        assert first[:2] == ("reply", True)
        assert again[:2] == ("reply", False) and "replay" in again[2]
    finally:
        await nc.close()


def test_the_daemon_command_publishes_on_the_configured_broker(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """`cockpit daemon --foreground --demo` with a [bus] url, as a separate process: a viewer on the
    broker gets its snapshots, and `daemon status` names the bus."""
    key = secret(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[bus]\nurl = "{nats_server.url}"\nsecret_file = "{key}"\n')
    env = {
        **os.environ,
        "COCKPIT_DATA_DIR": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "HOME": str(tmp_path / "home"),
    }
    argv = [sys.executable, "-m", "cockpit", "--config", str(config), "daemon", "--foreground", "--demo"]
    daemon = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:

        async def view() -> Snapshot:
            link = NatsLink(settings(nats_server.url, key), nats_server.url, ETH, "4h")
            gen = link.snapshots()
            try:
                return await next_snapshot(gen, 30)
            finally:
                await gen.aclose()

        snap = asyncio.run(view())
        assert (snap.symbol, snap.chart_timeframe, snap.simulated) == (ETH, "4h", True)
        status = subprocess.run(
            [sys.executable, "-m", "cockpit", "daemon", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert f"bus: {nats_server.url}" in status.stdout, status.stdout + status.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, out.decode(errors="replace")[-2000:]
