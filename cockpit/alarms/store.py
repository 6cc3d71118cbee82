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
* The schema version lives in ``user_version``; a newer file than this code knows is refused, an older one
  is brought up to date in the same transaction that checks it (``schema.MIGRATIONS``): a cockpit killed
  half-way leaves the old file as it was.
* The file deleted or replaced under an open store (``rm alarms.db``) is noticed before every write and on
  every poll (its inode changed): ``StoreReplaced``, after which the owner ``reopen()``s the file now at the
  path and ``restore()``s what it holds. Without that, commits went to the unlinked file and were lost.
* A row this code cannot read (edited by hand, written by another version) is skipped and reported, never
  a reason to refuse the whole store; it can still be removed by id.

One connection per store, guarded by a lock, so the engine can use it from worker threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.alarms.model import Alarm, AlarmError, AlarmFired
from cockpit.alarms.schema import DEF_COLS, HIST_COLS, MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, STATUS_COLS
from cockpit.config import AlarmSettings
from cockpit.storage.paths import resolve_store
from cockpit.storage.sqlite_wal import FileMark, open_wal

DB_NAME = "alarms.db"
HISTORY_KEEP = 10_000  # newest firings kept; older ones are deleted in the same transaction
BUSY_TIMEOUT_MS = 5_000


class StoreError(Exception):
    """The alarm store cannot be used; one line naming the file."""


class UnknownAlarm(StoreError):
    """No alarm with that id."""


class StoreReplaced(StoreError):
    """The file at the path is not the one this store opened (deleted or replaced): ``reopen()`` it."""


@dataclass(frozen=True)
class AlarmRows:
    """Every alarm that could be read, and one line for each row that could not (skipped)."""

    alarms: list[Alarm]
    invalid: list[str]


def store_path(settings: AlarmSettings, config_source: str = "", *, demo: bool = False) -> Path:
    """Where the alarms live: ``[alarms] store`` (relative to the config file), else the data dir.

    The simulated market gets its own file next to it (``alarms-demo.db``): a demo run must never use up a
    real once-alarm or write simulated firings into the real history.
    """
    return resolve_store(settings.store, config_source, DB_NAME, demo=demo)


class AlarmStore:
    """The SQLite file of alarms and history. Every method is one transaction (or one read)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._busy_timeout_ms = busy_timeout_ms
        self.created = False  # this store made the file (there was none at the path): the CLI says so
        self._lost = False  # the file was let go of and not opened again yet
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the alarm store: {exc}") from None
        self.created = not self.path.exists()
        try:
            db = open_wal(
                self.path,
                busy_timeout_ms=self._busy_timeout_ms,
                synchronous="FULL",
                setup=self._migrate,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: not a usable alarm store: {exc}") from None
        try:
            self._version = int(db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            db.close()
            raise StoreError(f"{self.path}: not a usable alarm store: {exc}") from None
        try:
            self._file = FileMark(self.path)
        except OSError as exc:
            db.close()
            raise StoreError(f"{self.path}: not a usable alarm store: {exc}") from None
        return db

    def reopen(self) -> None:
        """Open the file now at the path (a new, empty store if there is none) in place of the one open."""
        with self._lock:
            # Closing first: the old connection must let go of the deleted file's -wal/-shm before the
            # new one looks for leftovers (sqlite_wal.clear_leftover_wal).
            self._db.close()
            self._file.close()
            # Until a file is open again every call says so: the mark, once closed, no longer pins the
            # deleted file's inode, whose number a new file at the path may then reuse.
            self._lost = True
            self._db = self._connect()
            self._lost = False

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite when the last one closes)."""
        with self._lock:
            self._db.close()
            self._file.close()

    def __enter__(self) -> AlarmStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------------------

    def _check_file(self) -> None:
        """``StoreReplaced`` when the file at the path is not the one open (called with the lock held)."""
        if self._lost or self._file.moved():
            raise StoreReplaced(f"{self.path}: the file was deleted or replaced while open")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed whole or rolled back whole."""
        with self._lock:
            self._check_file()  # a commit to a deleted file would be lost without a word
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
                for statement in SCHEMA_V1:
                    db.execute(statement)
            for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
            if version != SCHEMA_VERSION:  # only then: a write here would tell other stores "changed"
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when another connection (another cockpit, the CLI) committed since the last call;
        ``StoreReplaced`` when the file was deleted or replaced (checked on the same poll)."""
        with self._lock:
            self._check_file()
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
        d = dict(zip(DEF_COLS + STATUS_COLS, row, strict=True))
        d["on"] = d.pop("on_event")
        for flag in ("muted", "done"):
            d[flag] = bool(d[flag])
        d["once"] = None if d["once"] is None else bool(d["once"])
        try:
            return Alarm(**d)
        except (AlarmError, TypeError, ValueError) as exc:  # a hand-edited row: any value of any type
            raise StoreError(
                f"alarm {d['id']} is invalid, skipped (cockpit alarms rm {d['id']} removes it): {exc}"
                f" [{self.path}]"
            ) from None

    def _one(self, db: sqlite3.Connection, alarm_id: int) -> Alarm:
        row = db.execute(
            f"SELECT {', '.join(DEF_COLS + STATUS_COLS)} FROM alarms WHERE id = ?", (alarm_id,)
        ).fetchone()
        if row is None:
            raise UnknownAlarm(f"no alarm with id {alarm_id}")
        return self._row_to_alarm(row)

    def read_alarms(self) -> AlarmRows:
        """Every alarm that can be read, by id, and a line for each row that cannot (skipped: one bad row
        must not hide the others, nor stop a cockpit from starting)."""
        rows = self._read(f"SELECT {', '.join(DEF_COLS + STATUS_COLS)} FROM alarms ORDER BY id")
        out = AlarmRows([], [])
        for row in rows:
            try:
                out.alarms.append(self._row_to_alarm(row))
            except StoreError as exc:
                out.invalid.append(str(exc))
        return out

    def list_alarms(self) -> list[Alarm]:
        """Every alarm that can be read, by id (``read_alarms`` also tells which rows were skipped)."""
        return self.read_alarms().alarms

    def get(self, alarm_id: int) -> Alarm:
        """One alarm, or ``UnknownAlarm`` (``StoreError`` when its row cannot be read)."""
        with self._lock:
            return self._one(self._db, alarm_id)

    def exists(self, alarm_id: int) -> bool:
        """Whether a row with that id is stored, readable or not (an unreadable one can still be removed)."""
        return bool(self._read("SELECT 1 FROM alarms WHERE id = ?", (alarm_id,)))

    @staticmethod
    def _definition(alarm: Alarm) -> list[Any]:
        values: list[Any] = []
        for col in DEF_COLS:
            v = getattr(alarm, "on" if col == "on_event" else col)
            values.append(int(v) if isinstance(v, bool) else v)
        return values

    def add(self, alarm: Alarm) -> Alarm:
        """Store a new alarm (its id, status and revision are assigned here); returns it as stored."""
        created = alarm.created_ms or time.time_ns() // 1_000_000
        with self._write() as db:
            cur = db.execute(
                f"INSERT INTO alarms ({', '.join(DEF_COLS)}, created_ms) "
                f"VALUES ({', '.join('?' * (len(DEF_COLS) + 1))})",
                [*self._definition(alarm), created],
            )
            return self._one(db, int(cur.lastrowid or 0))

    def update(self, alarm: Alarm) -> Alarm:
        """Replace the definition of ``alarm.id`` (a done once-alarm becomes live again)."""
        sets = ", ".join(f"{c} = ?" for c in DEF_COLS)
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

    def restore(self, alarms: Sequence[Alarm]) -> dict[int, int]:
        """Write alarms held in memory, with their status, into the file opened by ``reopen()``: one
        already there (same id, same creation time) is left as it is, one whose id another alarm took
        gets a new id (after the others, so no alarm is moved onto the id of the next). Returns
        {old id: new id} for those."""
        moved: dict[int, int] = {}
        with self._write() as db:
            taken: list[Alarm] = []
            for a in alarms:
                row = db.execute("SELECT created_ms FROM alarms WHERE id = ?", (a.id,)).fetchone()
                if row is None:
                    self._insert(db, a, keep_id=True)
                elif row[0] != a.created_ms:
                    taken.append(a)
            for a in taken:
                moved[a.id] = self._insert(db, a, keep_id=False)
        return moved

    def _insert(self, db: sqlite3.Connection, a: Alarm, *, keep_id: bool) -> int:
        cols = DEF_COLS + (STATUS_COLS if keep_id else STATUS_COLS[1:])
        status: list[int | None] = [a.id] if keep_id else []
        status += [a.created_ms, a.rev, int(a.done), a.fired_count, a.last_fired_ms]
        cur = db.execute(
            f"INSERT INTO alarms ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [*self._definition(a), *status],
        )
        return int(cur.lastrowid or 0)

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
                    f"INSERT OR IGNORE INTO history ({', '.join(HIST_COLS)}) "
                    f"VALUES ({', '.join('?' * len(HIST_COLS))})",
                    [getattr(f, c) if c != "final" else int(f.final) for c in HIST_COLS],
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
            f"SELECT {', '.join(HIST_COLS)} FROM history {where} ORDER BY ts_ms DESC, seq DESC LIMIT ?",
            [*args, limit],
        )
        out = []
        for row in rows:
            d = dict(zip(HIST_COLS, row, strict=True))
            d["final"] = bool(d["final"])
            out.append(AlarmFired(**d))
        return out
