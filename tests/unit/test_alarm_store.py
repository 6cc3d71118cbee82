"""The SQLite alarm store: survives SIGKILL at any moment, is shared safely by processes, versioned."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cockpit.alarms.model import AlarmFired, price_alarm, zone_alarm
from cockpit.alarms.schema import SCHEMA_VERSION
from cockpit.alarms.store import AlarmStore, StoreError, UnknownAlarm, store_path
from cockpit.config import AlarmSettings

# A writer that never stops: each step is one transaction, reported on stdout (flushed) only after it
# committed. "r ID" is printed before a removal, "R ID" after, so an unconfirmed removal may go either way.
WRITER = textwrap.dedent(
    """
    import sys
    from cockpit.alarms.model import AlarmFired, price_alarm
    from cockpit.alarms.store import AlarmStore

    store = AlarmStore(sys.argv[1])
    tag = sys.argv[2]
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        a = store.add(price_alarm(70_000 + i, "above", note=f"{tag}-{i}"))
        print("A", a.id, flush=True)
        f = AlarmFired(a.id, 1_000 + i, "price", a.describe(), a.note, 70_001.0 + i, 69_999.0, 70_000.0 + i,
                       70_001.0 + i, 69_999.0, final=False)
        store.record_firings([f, f])  # the duplicate is ignored in the same transaction
        print("F", a.id, flush=True)
        if i % 3 == 0:
            store.set_muted(a.id, True)
        if i % 5 == 0:
            print("r", a.id - 2, flush=True)
            store.remove(a.id - 2)
            print("R", a.id - 2, flush=True)
    """
)


def spawn_writer(path: Path, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag],
        stdout=subprocess.PIPE,
        text=True,
    )


def check_intact(
    path: Path, added: set[int], removed: set[int], maybe_removed: set[int], fired: set[int]
) -> None:
    with AlarmStore(path) as store:
        assert store.integrity_check() == "ok"
        rows = store.read_alarms()
        assert rows.invalid == []  # every row parses: no partial or invalid row
        alarms = {a.id: a for a in rows.alarms}
        assert added - removed - maybe_removed <= alarms.keys(), "a committed alarm was lost"
        assert not (removed & alarms.keys()), "a committed removal came back"
        history = store.history(limit=1_000_000)
        counts: dict[int, int] = {}
        for h in history:
            counts[h.alarm_id] = counts.get(h.alarm_id, 0) + 1
        assert fired <= counts.keys(), "a committed firing was lost"
        assert all(c == 1 for c in counts.values())
        for a in alarms.values():
            # The firing and the alarm's counters are one transaction: never one without the other.
            assert a.fired_count == counts.get(a.id, 0)
            assert a.note.startswith("kill-")
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"
    rng = random.Random(6)
    added: set[int] = set()
    removed: set[int] = set()
    maybe_removed: set[int] = set()
    fired: set[int] = set()
    for _ in range(6):
        child = spawn_writer(path, "kill")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.4))  # the moment of death, at random: nothing waits on it
        os.kill(child.pid, signal.SIGKILL)
        out = child.stdout.read()  # the same buffered stream as readline(): no line is skipped
        assert child.wait(timeout=30) == -signal.SIGKILL
        for line in out.splitlines():
            parts = line.split()
            if len(parts) != 2:
                continue  # the last line may be cut short
            op, alarm_id = parts[0], int(parts[1])
            {"A": added, "F": fired, "r": maybe_removed, "R": removed}[op].add(alarm_id)
        maybe_removed -= removed
        check_intact(path, added, removed, maybe_removed, fired)
    assert len(added) > 6, "the writer should have committed something in each round"
    assert fired <= added and len(added - fired) <= 6  # every report was read (at most one unfired per kill)


def test_two_processes_adding_concurrently_keep_every_alarm(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"
    script = textwrap.dedent(
        """
        import sys
        from cockpit.alarms.model import price_alarm
        from cockpit.alarms.store import AlarmStore
        store = AlarmStore(sys.argv[1])
        for i in range(200):
            store.add(price_alarm(1 + i, "below", note=f"{sys.argv[2]}-{i}"))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), tag], stderr=subprocess.PIPE, text=True)
        for tag in ("p0", "p1")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with AlarmStore(path) as store:
        alarms = store.list_alarms()
        assert store.integrity_check() == "ok"
    assert len(alarms) == 400 and len({a.id for a in alarms}) == 400
    assert sorted(a.note for a in alarms) == sorted(f"{t}-{i}" for t in ("p0", "p1") for i in range(200))


def test_a_change_by_one_store_is_seen_by_another(tmp_path: Path) -> None:
    path = tmp_path / "alarms.db"
    with AlarmStore(path) as a, AlarmStore(path) as b:
        assert not a.changed() and not b.changed()
        added = a.add(price_alarm(80_000, "above"))
        assert b.changed() and not b.changed()  # seen once
        assert not a.changed()  # its own commits do not count
        assert [x.id for x in b.list_alarms()] == [added.id]
        b.set_muted(added.id, True)
        assert a.changed() and a.get(added.id).muted and a.get(added.id).rev == 2


def test_pragmas_schema_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "alarms.db"
    with AlarmStore(path) as store:
        db = store._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        first = store.add(zone_alarm(74_000, 75_000, "leave", note="gap"))
        assert (first.id, first.rev, first.created_ms > 0) == (1, 1, True)
        assert store.get(1) == first
        assert store.remove(1) and not store.remove(1)
        assert store.add(price_alarm(1, "above")).id == 2  # ids are never reused
        with pytest.raises(UnknownAlarm, match="no alarm with id 1"):
            store.rearm(1)
        updated = store.update(price_alarm(2, "below", id=2))
        assert (updated.level, updated.direction, updated.rev) == (2.0, "below", 2)


def test_record_firings_updates_status_once_per_firing(tmp_path: Path) -> None:
    with AlarmStore(tmp_path / "a.db") as store:
        a = store.add(price_alarm(100, "above", once=True))
        f = AlarmFired(a.id, 5, "price", "x", "", 101.0, 99.0, 100.0, 101.0, 99.0, final=True)
        assert store.record_firings([f]) == 1 and store.record_firings([f]) == 0  # another cockpit's copy
        got = store.get(a.id)
        assert (got.done, got.fired_count, got.last_fired_ms) == (True, 1, 5)
        assert store.history() == [f]
        store.rearm(a.id)
        assert not store.get(a.id).done
        assert store.record_firings([replace(f, ts_ms=9)]) == 1 and store.record_firings([]) == 0
        got = store.get(a.id)
        assert (got.done, got.fired_count, got.last_fired_ms) == (True, 2, 9)


def test_a_newer_or_foreign_file_is_refused_in_one_line(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    newer_text = rf"newer\.db: written by a newer cockpit \(schema {SCHEMA_VERSION + 1}"
    with pytest.raises(StoreError, match=newer_text):
        AlarmStore(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some bytes that are long enough" * 20)
    with pytest.raises(StoreError, match=r"junk\.db: not a usable alarm store: ") as err:
        AlarmStore(junk)
    assert "\n" not in str(err.value)


def test_store_path_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert store_path(AlarmSettings()) == tmp_path / "xdg" / "cockpit" / "alarms.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store_path(AlarmSettings()) == tmp_path / "home" / ".local" / "share" / "cockpit" / "alarms.db"
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path / "data"))
    assert store_path(AlarmSettings(), demo=True) == tmp_path / "data" / "alarms-demo.db"
    conf = str(tmp_path / "conf" / "config.toml")
    assert store_path(AlarmSettings(store="mine.db"), conf) == tmp_path / "conf" / "mine.db"
    assert store_path(AlarmSettings(store="/x/y.sqlite"), conf, demo=True) == Path("/x/y-demo.sqlite")
