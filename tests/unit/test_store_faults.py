"""The data files under a running cockpit: deleted (rm alarms.db / history.db), damaged, or holding a row
this version cannot read. Nothing is lost silently: the next write lands in a file at the path, what the
cockpit holds in memory is written back into it, and the screen, the snapshot and the CLI say what
happened."""

from __future__ import annotations

import asyncio
import os
import select
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cockpit.alarms.model import Alarm, price_alarm
from cockpit.alarms.store import AlarmStore, StoreError
from cockpit.cli import main
from cockpit.config import Config
from cockpit.engine.engine import Engine
from cockpit.sources.clock import ManualClock
from cockpit.storage.history import LiquidationHistory
from tests.unit.test_history import T0, liqs

WAL_FILES = ("", "-wal", "-shm")


def alarm_engine(path: Path) -> Engine:
    """A cockpit's engine on the alarm store at ``path`` (no sources: the tests drive it)."""
    return Engine(
        Config(), [], ManualClock(T0), symbol="BTC/USDT:USDT", kind="live", alarm_store=AlarmStore(path)
    )


def delete(path: Path, suffixes: tuple[str, ...]) -> None:
    for s in suffixes:
        Path(f"{path}{s}").unlink(missing_ok=True)


def stored(path: Path) -> dict[int, Alarm]:
    """What another process opening the file at ``path`` sees."""
    with AlarmStore(path) as store:
        return {a.id: a for a in store.list_alarms()}


@pytest.mark.parametrize("suffixes", [("",), WAL_FILES], ids=["rm-db", "rm-db-wal-shm"])
def test_a_write_after_the_store_was_deleted_lands_in_a_file_at_the_path(
    tmp_path: Path, suffixes: tuple[str, ...]
) -> None:
    path = tmp_path / "alarms.db"
    engine = alarm_engine(path)

    async def run() -> Alarm:
        await engine.alarms.add(price_alarm(80_000, "above", note="a"))
        await engine.alarms.add(price_alarm(70_000, "below", note="b"))
        delete(path, suffixes)
        return await engine.alarms.add(price_alarm(90_000, "above", note="c"))

    added = asyncio.run(run())
    assert added.id == 3
    assert {i: a.note for i, a in stored(path).items()} == {1: "a", 2: "b", 3: "c"}
    message = engine.snapshot().alarm_error
    assert message is not None
    assert message.startswith("alarms.db was deleted: recreated with the 2 alarms held in memory")


def test_the_poll_notices_the_deletion_and_recreates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"
    engine = alarm_engine(path)

    async def run() -> None:
        await engine.alarms.add(price_alarm(80_000, "above", note="kept"))
        await engine.alarms.set_muted(1, True)
        delete(path, WAL_FILES)
        await engine.alarms.sync()  # the once-a-second data_version poll

    asyncio.run(run())
    again = stored(path)
    assert list(again) == [1] and again[1].note == "kept" and again[1].muted  # status comes back too
    assert "alarms.db was deleted" in (engine.snapshot().alarm_error or "")


def test_a_cli_add_after_the_deletion_never_takes_the_id_of_an_alarm_the_cockpit_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    path = tmp_path / "alarms.db"
    engine = alarm_engine(path)
    asyncio.run(engine.alarms.add(price_alarm(80_000, "above", note="cockpit-1")))
    asyncio.run(engine.alarms.add(price_alarm(70_000, "below", note="cockpit-2")))
    delete(path, WAL_FILES)

    assert main(["alarms", "add", "above", "95000", "--note", "cli"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("added alarm 1:") and f"there was no alarm store at {path}" in err

    asyncio.run(engine.alarms.sync())
    notes = {i: a.note for i, a in stored(path).items()}
    assert notes == {1: "cli", 2: "cockpit-2", 3: "cockpit-1"}
    assert sorted(a.note for a in engine.alarms.book.alarms()) == ["cli", "cockpit-1", "cockpit-2"]
    assert "alarm 1 is now 3" in (engine.snapshot().alarm_error or "")


HOLDER = textwrap.dedent(
    """
    import sys
    from cockpit.alarms.store import AlarmStore

    store = AlarmStore(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def test_a_deleted_store_still_open_in_another_process_is_refused_in_one_line_then_started_anew(
    tmp_path: Path,
) -> None:
    path = tmp_path / "alarms.db"
    with AlarmStore(path) as store:
        store.add(price_alarm(80_000, "above"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        path.unlink()  # its -wal and -shm stay, mapped by the holder
        with pytest.raises(StoreError, match="deleted while another process had it open") as caught:
            AlarmStore(path)
        assert "\n" not in str(caught.value)
    finally:
        holder.communicate("\n", timeout=30)
    with AlarmStore(path) as store:  # once nobody holds them, the leftovers are cleared
        assert store.created and store.list_alarms() == []
        assert store.integrity_check() == "ok"


def break_row(path: Path, alarm_id: int) -> None:
    raw = sqlite3.connect(path)
    raw.execute("UPDATE alarms SET level = 'abc' WHERE id = ?", (alarm_id,))
    raw.commit()
    raw.close()


def test_one_invalid_row_is_skipped_reported_and_removable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    for price in ("80000", "81000", "82000"):
        assert main(["alarms", "add", "above", price]) == 0
    break_row(tmp_path / "alarms.db", 2)
    capsys.readouterr()

    assert main(["alarms", "list"]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["1", "3"]
    assert len(err.splitlines()) == 1 and "alarm 2 is invalid" in err and "cockpit alarms rm 2" in err

    engine = alarm_engine(tmp_path / "alarms.db")  # the cockpit starts, with the others
    assert sorted(a.id for a in engine.alarms.book.alarms()) == [1, 3]
    assert "alarm 2 is invalid" in (engine.snapshot().alarm_error or "")
    engine.alarms.store.close()  # type: ignore[union-attr]

    assert main(["alarms", "mute", "2"]) == 2  # what cannot be read cannot be changed: said in one line
    assert "cockpit alarms rm 2" in capsys.readouterr().err
    assert main(["alarms", "rm", "2"]) == 0
    assert capsys.readouterr().out == "removed alarm 2\n"
    assert main(["alarms", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "81000" not in out and out.count('"id"') == 2


def history_engine(path: Path) -> Engine:
    e = Engine(
        Config(), [], ManualClock(T0), symbol="BTC/USDT:USDT", kind="live", history=LiquidationHistory(path)
    )
    e.restore_history()
    return e


@pytest.mark.parametrize("suffixes", [("",), WAL_FILES], ids=["rm-db", "rm-db-wal-shm"])
def test_a_deleted_history_is_recreated_with_the_events_held_in_memory(
    tmp_path: Path, suffixes: tuple[str, ...]
) -> None:
    path = tmp_path / "history.db"
    e = history_engine(path)
    for ev in liqs(5, T0 - 600_000, 1000):
        e.emit(ev)
    e.drain()
    delete(path, suffixes)
    for ev in liqs(3, T0 - 60_000, 1000, venue="bybit"):
        e.emit(ev)
    snap = e.snapshot()
    assert snap.liquidations.windows["1h"].count == 8
    assert (snap.history_error or "").startswith("history.db was deleted: recreated with the 5 events held")
    assert e.history is not None
    e.history.close()  # one process at a time (exclusive locking)
    reopened = LiquidationHistory(path)
    stored = reopened.load(T0 - 3_600_000, T0)
    assert len(stored) == 8  # what was held and what came after
    assert max(e.ts_ms for e in stored if e.venue == "bybit") == T0 - 58_000


def test_a_corrupt_history_does_not_stop_live_start_and_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cockpit.wiring import live_app

    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    (tmp_path / "history.db").write_bytes(b"this is not a database, but a file someone broke\n" * 200)
    app = live_app(Config())
    assert isinstance(app.engine, Engine) and app.engine.history is None
    message = app.engine.snapshot().history_error or ""
    assert message.startswith("off: history.db is corrupt (file is not a database)")
    assert f"mv {tmp_path / 'history.db'} {tmp_path / 'history.db'}.corrupt" in message


def _said(proc: subprocess.Popen[bytes], start: str, hang_guard_s: float = 60.0) -> bool:
    """Read ``proc``'s lines until one starts with ``start`` (False if it dies or the guard runs out).
    Raw reads: a buffered reader could hold a line that select() then never reports."""
    assert proc.stdout is not None
    fd, pending = proc.stdout.fileno(), b""
    deadline = time.monotonic() + hang_guard_s
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 1.0)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        *lines, pending = (pending + chunk).split(b"\n")
        if any(line.decode().startswith(start) for line in lines):
            return True
    return False


COCKPIT = textwrap.dedent(
    """
    import asyncio, sys, threading
    from cockpit.alarms.evaluate import AlarmBook
    from cockpit.alarms.model import price_alarm
    from cockpit.alarms.service import AlarmService
    from cockpit.alarms.store import AlarmStore

    async def main():
        service = AlarmService(AlarmBook(), AlarmStore(sys.argv[1]))
        await service.add(price_alarm(float(sys.argv[2]), "above", note=sys.argv[3]))
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        said = None
        while not stop.is_set():
            await service.sync()  # what the engine's alarm task does every second
            ids = ",".join(f"{a.id}:{a.note}" for a in sorted(service.book.alarms(), key=lambda a: a.id))
            now = f"{ids} | {service.error}"
            if now != said:
                said = now
                print(now, flush=True)
            await asyncio.sleep(0.05)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("suffixes", [("",), WAL_FILES], ids=["rm-db", "rm-db-wal-shm"])
def test_two_cockpits_on_a_deleted_store_end_on_one_file_with_both_alarms(
    tmp_path: Path, suffixes: tuple[str, ...]
) -> None:
    path = tmp_path / "alarms.db"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for price, name in (("80000", "A"), ("81000", "B")):
            proc = subprocess.Popen(
                [sys.executable, "-c", COCKPIT, str(path), price, name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert _said(proc, "1:A" if name == "A" else "1:A,2:B")  # its alarm is stored
            procs.append(proc)
        delete(path, suffixes)
        for proc in procs:  # each follows the file until it holds both alarms and says what happened
            assert _said(proc, "1:A,2:B | alarms.db was "), "it never recovered"
    finally:
        for proc in procs:
            proc.communicate(b"", timeout=60)
    with AlarmStore(path) as store:
        assert [(a.id, a.note) for a in store.list_alarms()] == [(1, "A"), (2, "B")]
        assert store.integrity_check() == "ok"
