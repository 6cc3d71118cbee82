"""open_wal retries the WAL switch and the schema set-up when another process holds the lock at once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from cockpit.storage.sqlite_wal import open_wal


def _flaky(failures: int, message: str = "database is locked"):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def setup(db: sqlite3.Connection) -> None:
        calls["n"] += 1
        if calls["n"] <= failures:
            db.execute("BEGIN IMMEDIATE")  # left open: the retry must roll it back
            raise sqlite3.OperationalError(message)
        db.execute("CREATE TABLE IF NOT EXISTS t (x)")

    return setup, calls


def test_a_lock_race_in_setup_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    setup, calls = _flaky(3)
    db = open_wal(tmp_path / "a.db", busy_timeout_ms=2_000, synchronous="FULL", setup=setup)
    try:
        assert calls["n"] == 4
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert not db.in_transaction
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()[0] == 1
    finally:
        db.close()


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    setup, calls = _flaky(1, "no such table: t")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        open_wal(tmp_path / "a.db", busy_timeout_ms=2_000, synchronous="FULL", setup=setup)
    assert calls["n"] == 1


def test_a_lock_that_outlasts_the_timeout_is_reported(tmp_path: Path) -> None:
    setup, calls = _flaky(10**9)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        open_wal(tmp_path / "a.db", busy_timeout_ms=100, synchronous="NORMAL", setup=setup)
    assert calls["n"] > 1


def test_a_writer_holding_the_lock_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    first = open_wal(path, busy_timeout_ms=2_000, synchronous="FULL", check_same_thread=False)
    first.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: first.execute("COMMIT")).start()

    def setup(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        db.execute("COMMIT")

    second = open_wal(path, busy_timeout_ms=5_000, synchronous="FULL", setup=setup, check_same_thread=False)
    try:
        assert second.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    finally:
        second.close()
        first.close()
