"""Liquidation history on disk: SQLite (WAL), so the rolling windows are whole after a restart and a REST
backfill that overlaps what is stored counts each event once.

An event is stored under its identity, ``LiquidationEvent.key``: the venue identity the normaliser gave it
(HTX's id, or the content of the venue's message), the very key the venue source's deduper drops repeats
by, so two liquidations the deduper keeps apart are two rows, and a repeat is one. The primary key is
(time, identity): every identity holds the event's time, so the pair is exactly as unique as the identity,
and the table is clustered by time, as range reads and retention want (the identity alone as the key, plus
an index on time, measured 215 bytes a row against 128; 108 before identities were stored). A backfill
that returns events already stored inserts nothing (``INSERT OR IGNORE``), and only the events that were
new reach the in-memory windows; what each source watched is kept as coverage, so a restart knows its
gaps. Retention deletes events older than ``retention_days``; ``max_mb``
bounds the file by deleting the oldest.

Files written before identities were stored (schema 1: the six fields were the key) are migrated when
opened: each row gets its content identity. Such a row may be an event a venue re-sends after the upgrade
(a poll overlapping the last hour) under its venue identity: an incoming event no newer than the newest
migrated row first claims a migrated row with its content (renaming it to its own identity), so it is not
counted twice and a second liquidation with the same content is still a second row.

One cockpit at a time uses the file (``locking_mode=EXCLUSIVE``): SQLite then keeps the WAL index in
memory instead of a mapped ``-shm`` file, which killed the process with SIGBUS when it was truncated or
became unwritable. A second live cockpit runs without a history and says so.

The file deleted or replaced while open is noticed before every write (``HistoryReplaced``; the engine
reopens and refills it from memory). A file SQLite cannot read is reported with the fix (move it aside):
the engine runs without a history rather than not at all.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from cockpit.analytics.liquidations import LiquidationEvent, content_key
from cockpit.config import HistorySettings
from cockpit.models import Backfill, Covered, MarketEvent
from cockpit.storage.paths import resolve_store
from cockpit.storage.sqlite_wal import FileMark, open_wal

DB_NAME = "history.db"
DAY_MS = 86_400_000
SCHEMA_VERSION = 2
_COLUMNS = (
    "venue TEXT NOT NULL, ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, "
    "notional_usd REAL NOT NULL, price REAL NOT NULL"
)
_TABLE = f"(key TEXT NOT NULL, {_COLUMNS}, PRIMARY KEY (ts_ms, key)) WITHOUT ROWID"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS liquidations {_TABLE}",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS coverage "
    "(source TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS coverage_source_end ON coverage (source, end_ms)",
)
_LEGACY_UNTIL = "legacy_until_ms"  # meta: the newest row migrated from schema 1
_MIGRATE_CHUNK = 10_000


# Only at opening: the file is this process's alone afterwards. Short, because the usual holder is
# another cockpit that keeps it until it quits; waiting longer would only delay this one's start.
BUSY_TIMEOUT_MS = 500


def _create_schema(db: sqlite3.Connection) -> None:
    """Create or migrate the tables in one transaction (``open_wal`` retries it after a lock race)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(liquidations)")}
        if columns and "key" not in columns:
            _migrate_v1(db)
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _migrate_v1(db: sqlite3.Connection) -> None:
    """Schema 1 (keyed on the six fields) -> 2: every row under its content identity."""
    db.execute(f"CREATE TABLE liquidations_v2 {_TABLE}")
    rows = db.execute("SELECT venue, ts_ms, symbol, side, notional_usd, price FROM liquidations")
    while chunk := rows.fetchmany(_MIGRATE_CHUNK):
        db.executemany(
            "INSERT OR IGNORE INTO liquidations_v2 VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (content_key(LiquidationEvent(ts, v, sym, side, usd, px)), v, ts, sym, side, usd, px)
                for v, ts, sym, side, usd, px in chunk
            ],
        )
    (newest,) = db.execute("SELECT max(ts_ms) FROM liquidations").fetchone()
    db.execute("DROP TABLE liquidations")  # and its index on time: the new key starts with the time
    db.execute("ALTER TABLE liquidations_v2 RENAME TO liquidations")
    if newest is not None:
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_LEGACY_UNTIL, int(newest)))


class HistoryError(Exception):
    """The history file cannot be opened or written (one line naming the file)."""


class HistoryReplaced(HistoryError):
    """The file at the path is not the one opened (deleted or replaced): open it again."""


def history_problem(path: Path, exc: Exception) -> str:
    """One line saying what is wrong with the file, the important part first, with the fix when SQLite
    cannot read it (a damaged file stays damaged: only moving it aside lets a new one start)."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        aside = shlex.quote(f"{path}.corrupt")
        return f"{path.name} is corrupt ({text}); to start a new one: mv {shlex.quote(str(path))} {aside}"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return f"{path.name} is in use by another cockpit ({text}); the windows are kept in memory only"
    return f"{path}: liquidation history: {text}"


def history_path(settings: HistorySettings, config_source: str = "", *, demo: bool = False) -> Path:
    """``[history] store`` (relative to the config file), else the data dir; the simulated market gets its
    own file beside it so simulated events never mix with real ones."""
    return resolve_store(settings.store, config_source, DB_NAME, demo=demo)


class LiquidationHistory:
    """The store; every method is quick (one transaction) and runs on the engine's thread."""

    def __init__(self, path: str | Path, settings: HistorySettings | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or HistorySettings()
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # WAL + NORMAL: a crash loses at most the last commit
            self._db = open_wal(
                self.path,
                busy_timeout_ms=BUSY_TIMEOUT_MS,
                synchronous="NORMAL",
                setup=_create_schema,
                exclusive=True,
            )
            self._file = FileMark(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(history_problem(self.path, exc)) from None
        self.created = created
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (_LEGACY_UNTIL,)).fetchone()
        self._legacy_until_ms: int | None = None if row is None else int(row[0])

    def close(self) -> None:
        self._db.close()
        self._file.close()

    def add(self, events: Iterable[LiquidationEvent]) -> list[LiquidationEvent]:
        """Store the events; returns those that were not stored yet (in the given order)."""
        fresh: list[LiquidationEvent] = []
        with self._tx():
            for e in events:
                if self._claims_legacy_row(e):
                    continue
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO liquidations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (e.key, e.venue, e.ts_ms, e.symbol, e.side, e.notional_usd, e.price),
                )
                if cur.rowcount:
                    fresh.append(e)
        return fresh

    def _claims_legacy_row(self, e: LiquidationEvent) -> bool:
        """Whether ``e`` is a migrated schema-1 row (same content) stored again, now under its identity."""
        if self._legacy_until_ms is None or e.ts_ms > self._legacy_until_ms or not e.event_id:
            return False
        cur = self._db.execute(
            "UPDATE OR IGNORE liquidations SET key = ? WHERE ts_ms = ? AND key = ?",
            (e.key, e.ts_ms, content_key(e)),
        )
        return cur.rowcount > 0

    def load(self, since_ms: int, until_ms: int) -> tuple[LiquidationEvent, ...]:
        """Stored events with since_ms <= ts_ms <= until_ms, oldest first, each with its identity."""
        rows = self._db.execute(
            "SELECT ts_ms, venue, symbol, side, notional_usd, price, key FROM liquidations "
            "WHERE ts_ms BETWEEN ? AND ? ORDER BY ts_ms, venue",
            (since_ms, until_ms),
        ).fetchall()
        return tuple(LiquidationEvent(*row) for row in rows)

    def cover(self, claims: Iterable[Covered]) -> None:
        """Store coverage claims, widening the stored span each one overlaps or touches (a stream claims
        every few seconds: one row per unbroken stretch, not one per claim)."""
        claims = list(claims)
        if not claims:
            return
        with self._tx():
            for c in claims:
                cur = self._db.execute(
                    # Named parameters: numbered ones given a sequence are deprecated from Python 3.12.
                    "UPDATE coverage SET start_ms = min(start_ms, :start), end_ms = max(end_ms, :end) "
                    "WHERE source = :source AND start_ms <= :end AND end_ms >= :start",
                    {"start": c.start_ms, "end": c.end_ms, "source": c.source},
                )
                if not cur.rowcount:
                    self._db.execute(
                        "INSERT INTO coverage VALUES (?, ?, ?)", (c.source, c.start_ms, c.end_ms)
                    )

    def load_coverage(self, since_ms: int) -> list[tuple[str, int, int]]:
        """Stored (source, start_ms, end_ms) spans that reach past ``since_ms``, oldest first."""
        rows = self._db.execute(
            "SELECT source, start_ms, end_ms FROM coverage WHERE end_ms >= ? ORDER BY start_ms", (since_ms,)
        ).fetchall()
        return [(str(a), int(b), int(c)) for a, b, c in rows]

    def prune(self, now_ms: int) -> int:
        """Apply retention, then the size bound (oldest tenth at a time); returns how many were deleted."""
        cutoff = now_ms - int(self.settings.retention_days * DAY_MS)
        with self._tx():
            deleted = self._db.execute("DELETE FROM liquidations WHERE ts_ms < ?", (cutoff,)).rowcount
            self._db.execute("DELETE FROM coverage WHERE end_ms < ?", (cutoff,))
        limit = self.settings.max_mb * 1024 * 1024
        while self.size_bytes() > limit:
            (count,) = self._db.execute("SELECT count(*) FROM liquidations").fetchone()
            if not count:
                break
            with self._tx():
                (dropped_to,) = self._db.execute(
                    "SELECT ts_ms FROM liquidations ORDER BY ts_ms LIMIT 1 OFFSET ?",
                    (max(0, count // 10 - 1),),
                ).fetchone()
                deleted += self._db.execute(
                    "DELETE FROM liquidations WHERE ts_ms <= ?", (dropped_to,)
                ).rowcount
                # The dropped stretch is no longer known: coverage must not claim it any more.
                self._db.execute("DELETE FROM coverage WHERE end_ms <= ?", (dropped_to,))
                self._db.execute(
                    "UPDATE coverage SET start_ms = :to + 1 WHERE start_ms <= :to", {"to": dropped_to}
                )
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
        return deleted

    def size_bytes(self) -> int:
        return sum(os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def _tx(self) -> _Transaction:
        if self._file.moved():  # a commit to a deleted file would be lost unseen
            raise HistoryReplaced(f"{self.path}: the file was deleted or replaced while open")
        return _Transaction(self._db, self.path)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; sqlite errors become one-line HistoryErrors."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db, self._path = db, path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self._db.execute("COMMIT")
            return
        self._db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise HistoryError(f"{self._path}: liquidation history: {exc}") from None


def keep_fresh(history: LiquidationHistory, batch: list[MarketEvent]) -> list[MarketEvent]:
    """The batch with every liquidation already in the history removed (from backfills too), storing the
    rest: a REST backfill overlapping the stream or the previous run counts each event once."""
    incoming = [e for e in batch if isinstance(e, LiquidationEvent)]
    for e in batch:
        if isinstance(e, Backfill):
            incoming.extend(e.liquidations)
    if not incoming:
        return batch
    # By identity, not by ==: two liquidations equal in every field are both fresh, or both not.
    fresh = Counter(e.key for e in history.add(incoming))

    def take(e: LiquidationEvent) -> bool:
        if fresh[e.key] > 0:
            fresh[e.key] -= 1
            return True
        return False

    out: list[MarketEvent] = []
    for e in batch:
        if isinstance(e, LiquidationEvent):
            if take(e):
                out.append(e)
        elif isinstance(e, Backfill) and e.liquidations:
            out.append(replace(e, liquidations=tuple(x for x in e.liquidations if take(x))))
        else:
            out.append(e)
    return out
