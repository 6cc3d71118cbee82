"""Alarms and their firing history in SQLite, shared safely by every cockpit (and the CLI) of a user.

Durability and sharing, and why:

* WAL journal: readers never block the writer and the writer never blocks readers, so a cockpit polling
  the store every second cannot stall another one adding an alarm.
* ``synchronous=FULL``: every commit is fsynced before it returns. A killed process loses nothing
  committed in any journal mode; FULL also keeps the last commits across a power cut. Writes here are rare
  (a user adding an alarm, an alarm firing), so the ~ms fsync costs nothing anyone notices.
* Every change is one ``BEGIN IMMEDIATE`` transaction: the write lock is taken up front, so two writers
  queue on ``busy_timeout`` instead of failing with a lock-upgrade deadlock, and nothing is half-written.
* ``PRAGMA data_version`` changes when another connection committed; polling it costs no disk read, so
  ``changed()`` can run every second.
* The schema version lives in ``user_version``; a newer file than this code knows is refused.

One connection per store, guarded by a lock, so the engine can use it from worker threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cockpit.alarms.model import Alarm, AlarmError, AlarmFired
from cockpit.config import AlarmSettings
from cockpit.sqlite_wal import open_wal

SCHEMA_VERSION = 1
DB_NAME = "alarms.db"
HISTORY_KEEP = 10_000  # newest firings kept; older ones are deleted in the same transaction
BUSY_TIMEOUT_MS = 5_000

_DEF_COLS = (
    "kind",
    "direction",
    "level",
    "low",
    "high",
    "on_event",
    "ref",
    "window_s",
    "side",
    "timeframe",
    "once",
    "cooldown_s",
    "hysteresis_pct",
    "note",
    "muted",
)
_STATUS_COLS = ("id", "created_ms", "rev", "done", "fired_count", "last_fired_ms")
_HIST_COLS = (
    "alarm_id",
    "ts_ms",
    "kind",
    "description",
    "note",
    "value",
    "prev_value",
    "level",
    "price",
    "prev_price",
    "final",
)

_SCHEMA = (
    """CREATE TABLE alarms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: history and scripts refer to ids
        kind TEXT NOT NULL,
        direction TEXT, level REAL, low REAL, high REAL, on_event TEXT, ref TEXT,
        window_s INTEGER, side TEXT, timeframe TEXT,
        once INTEGER, cooldown_s REAL, hysteresis_pct REAL,
        note TEXT NOT NULL DEFAULT '',
        muted INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        rev INTEGER NOT NULL DEFAULT 1,
        done INTEGER NOT NULL DEFAULT 0,
        fired_count INTEGER NOT NULL DEFAULT 0,
        last_fired_ms INTEGER
    )""",
    """CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alarm_id INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        note TEXT NOT NULL,
        value REAL NOT NULL,
        prev_value REAL, level REAL, price REAL, prev_price REAL,
        final INTEGER NOT NULL DEFAULT 0,
        UNIQUE (alarm_id, ts_ms)  -- two cockpits seeing the same tick record it once
    )""",
)


class StoreError(Exception):
    """The alarm store cannot be used; one line naming the file."""


class UnknownAlarm(StoreError):
    """No alarm with that id."""


def data_dir() -> Path:
    """$COCKPIT_DATA_DIR, else $XDG_DATA_HOME/cockpit, else ~/.local/share/cockpit."""
    explicit = os.environ.get("COCKPIT_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cockpit"


def store_path(settings: AlarmSettings, config_source: str = "", *, demo: bool = False) -> Path:
    """Where the alarms live: ``[alarms] store`` (relative to the config file), else the data dir.

    The simulated market gets its own file next to it (``alarms-demo.db``): a demo run must never use up a
    real once-alarm or write simulated firings into the real history.
    """
    return resolve_store(settings.store, config_source, DB_NAME, demo=demo)


def resolve_store(setting: str, config_source: str, default_name: str, *, demo: bool) -> Path:
    """A database file: the config's path (relative to the config file) or ``default_name`` in the data
    dir; ``-demo`` is added to the name for the simulated market."""
    if setting:
        path = Path(setting).expanduser()
        if not path.is_absolute() and config_source and not config_source.startswith("<"):
            path = Path(config_source).parent / path
    else:
        path = data_dir() / default_name
    return path.with_name(f"{path.stem}-demo{path.suffix}") if demo else path


class AlarmStore:
    """The SQLite file of alarms and history. Every method is one transaction (or one read)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the alarm store: {exc}") from None
        try:
            self._db = open_wal(
                self.path,
                busy_timeout_ms=busy_timeout_ms,
                synchronous="FULL",
                setup=self._migrate,
                check_same_thread=False,
            )
            self._version = self._data_version()
        except sqlite3.Error as exc:
            if hasattr(self, "_db"):
                self._db.close()
            raise StoreError(f"{self.path}: not a usable alarm store: {exc}") from None

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite when the last one closes)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> AlarmStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed whole or rolled back whole."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot write: {exc}") from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: write failed: {exc}") from None
                raise

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: read failed: {exc}") from None

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Create or check the schema, in one transaction (``open_wal`` retries it on a lock race)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: written by a newer cockpit"
                    f" (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when another connection (another cockpit, the CLI) committed since the last call."""
        with self._lock:
            try:
                version = self._data_version()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: read failed: {exc}") from None
        if version == self._version:
            return False
        self._version = version
        return True

    def integrity_check(self) -> str:
        """SQLite's own check: "ok" when the file is sound."""
        return "; ".join(str(r[0]) for r in self._read("PRAGMA integrity_check"))

    # -- alarms --------------------------------------------------------------------------------------------

    def _row_to_alarm(self, row: Sequence[Any]) -> Alarm:
        d = dict(zip(_DEF_COLS + _STATUS_COLS, row, strict=True))
        d["on"] = d.pop("on_event")
        for flag in ("muted", "done"):
            d[flag] = bool(d[flag])
        d["once"] = None if d["once"] is None else bool(d["once"])
        try:
            return Alarm(**d)
        except AlarmError as exc:
            raise StoreError(f"{self.path}: alarm {d['id']} is invalid: {exc}") from None

    def _one(self, db: sqlite3.Connection, alarm_id: int) -> Alarm:
        row = db.execute(
            f"SELECT {', '.join(_DEF_COLS + _STATUS_COLS)} FROM alarms WHERE id = ?", (alarm_id,)
        ).fetchone()
        if row is None:
            raise UnknownAlarm(f"no alarm with id {alarm_id}")
        return self._row_to_alarm(row)

    def list_alarms(self) -> list[Alarm]:
        """Every alarm, by id."""
        rows = self._read(f"SELECT {', '.join(_DEF_COLS + _STATUS_COLS)} FROM alarms ORDER BY id")
        return [self._row_to_alarm(r) for r in rows]

    def get(self, alarm_id: int) -> Alarm:
        """One alarm, or ``UnknownAlarm``."""
        with self._lock:
            return self._one(self._db, alarm_id)

    @staticmethod
    def _definition(alarm: Alarm) -> list[Any]:
        values: list[Any] = []
        for col in _DEF_COLS:
            v = getattr(alarm, "on" if col == "on_event" else col)
            values.append(int(v) if isinstance(v, bool) else v)
        return values

    def add(self, alarm: Alarm) -> Alarm:
        """Store a new alarm (its id, status and revision are assigned here); returns it as stored."""
        created = alarm.created_ms or time.time_ns() // 1_000_000
        with self._write() as db:
            cur = db.execute(
                f"INSERT INTO alarms ({', '.join(_DEF_COLS)}, created_ms) "
                f"VALUES ({', '.join('?' * (len(_DEF_COLS) + 1))})",
                [*self._definition(alarm), created],
            )
            return self._one(db, int(cur.lastrowid or 0))

    def update(self, alarm: Alarm) -> Alarm:
        """Replace the definition of ``alarm.id`` (a done once-alarm becomes live again)."""
        sets = ", ".join(f"{c} = ?" for c in _DEF_COLS)
        with self._write() as db:
            cur = db.execute(
                f"UPDATE alarms SET {sets}, rev = rev + 1, done = 0 WHERE id = ?",
                [*self._definition(alarm), alarm.id],
            )
            if cur.rowcount == 0:
                raise UnknownAlarm(f"no alarm with id {alarm.id}")
            return self._one(db, alarm.id)

    def set_muted(self, alarm_id: int, muted: bool) -> Alarm:
        """Mute (not evaluated, nothing fires) or unmute (arming starts afresh)."""
        return self._status(alarm_id, "muted = ?", (int(muted),))

    def rearm(self, alarm_id: int) -> Alarm:
        """Make a done once-alarm live again and restart the arming of any alarm."""
        return self._status(alarm_id, "done = 0", ())

    def _status(self, alarm_id: int, sets: str, args: tuple[Any, ...]) -> Alarm:
        with self._write() as db:
            cur = db.execute(f"UPDATE alarms SET {sets}, rev = rev + 1 WHERE id = ?", (*args, alarm_id))
            if cur.rowcount == 0:
                raise UnknownAlarm(f"no alarm with id {alarm_id}")
            return self._one(db, alarm_id)

    def remove(self, alarm_id: int) -> bool:
        """Delete an alarm (its history stays); False when there was none."""
        with self._write() as db:
            return db.execute("DELETE FROM alarms WHERE id = ?", (alarm_id,)).rowcount > 0

    # -- history -------------------------------------------------------------------------------------------

    def record_firings(self, fired: Sequence[AlarmFired]) -> int:
        """Append firings to the history and update each alarm's status, all in one transaction.

        A firing already recorded (same alarm and ts_ms, e.g. by another cockpit) is skipped; returns how
        many were new.
        """
        if not fired:
            return 0
        new = 0
        with self._write() as db:
            for f in fired:
                cur = db.execute(
                    f"INSERT OR IGNORE INTO history ({', '.join(_HIST_COLS)}) "
                    f"VALUES ({', '.join('?' * len(_HIST_COLS))})",
                    [getattr(f, c) if c != "final" else int(f.final) for c in _HIST_COLS],
                )
                if cur.rowcount == 0:
                    continue
                new += 1
                db.execute(
                    "UPDATE alarms SET fired_count = fired_count + 1,"
                    " last_fired_ms = max(coalesce(last_fired_ms, 0), ?), done = done OR ? WHERE id = ?",
                    (f.ts_ms, int(f.final), f.alarm_id),
                )
            db.execute("DELETE FROM history WHERE seq <= (SELECT max(seq) FROM history) - ?", (HISTORY_KEEP,))
        return new

    def history(self, limit: int = 50, alarm_id: int | None = None) -> list[AlarmFired]:
        """The newest ``limit`` firings, newest first (of one alarm when ``alarm_id`` is given)."""
        where, args = ("WHERE alarm_id = ?", [alarm_id]) if alarm_id is not None else ("", [])
        rows = self._read(
            f"SELECT {', '.join(_HIST_COLS)} FROM history {where} ORDER BY ts_ms DESC, seq DESC LIMIT ?",
            [*args, limit],
        )
        out = []
        for row in rows:
            d = dict(zip(_HIST_COLS, row, strict=True))
            d["final"] = bool(d["final"])
            out.append(AlarmFired(**d))
        return out
