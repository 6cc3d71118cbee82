"""Opening a SQLite file in WAL mode when other processes may be opening it at the same instant.

Switching a fresh file to WAL needs the exclusive lock. When two processes both hold the shared lock and
both ask for it, SQLite answers one of them "database is locked" at once, without calling the busy
handler (waiting could deadlock). ``busy_timeout`` therefore does not cover the switch: it is retried
here, with short sleeps, until the same timeout runs out. Seen in CI as one failed start in ~500
concurrent ones.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

_RETRY_SLEEP_S = 0.005


def open_wal(
    path: Path,
    *,
    busy_timeout_ms: int,
    synchronous: str,
    setup: Callable[[sqlite3.Connection], None] = lambda db: None,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal, the given sync level.

    ``setup`` (schema creation, migration) runs after the pragmas and is retried with them, so it must be
    one transaction or idempotent. Raises ``sqlite3.Error`` when the file cannot be opened or stays locked
    past the timeout, and whatever ``setup`` raises; the connection is closed in those cases.
    """
    db = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=check_same_thread
    )
    deadline = time.monotonic() + busy_timeout_ms / 1000
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        while True:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute(f"PRAGMA synchronous = {synchronous}")
                setup(db)
                return db
            except sqlite3.OperationalError as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    raise
                if db.in_transaction:
                    db.execute("ROLLBACK")
                time.sleep(_RETRY_SLEEP_S)
    except BaseException:
        db.close()
        raise


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text
