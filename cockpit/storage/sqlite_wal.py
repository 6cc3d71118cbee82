"""Opening a SQLite file in WAL mode when other processes may be opening it at the same instant.

Switching a fresh file to WAL needs the exclusive lock. When two processes both hold the shared lock and
both ask for it, SQLite answers one of them "database is locked" at once, without calling the busy
handler (waiting could deadlock). ``busy_timeout`` therefore does not cover the switch: it is retried
here, with short sleeps, until the same timeout runs out. Seen in CI as one failed start in ~500
concurrent ones.

A file deleted (or replaced) while a connection has it open is not noticed by SQLite: commits keep going
to the unlinked inode and are lost. ``FileMark`` lets the owner compare the file at the path with the one
it opened. The deleted file's ``-wal`` and ``-shm`` stay at the path while any process has them open;
a new connection at the path would share that WAL index with a different database (SQLite answers "disk
I/O error", after deleting the other process's live WAL). ``open_wal`` therefore refuses such leftovers
while another process holds them and removes them once nobody does.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no probe, SQLite's own error stands
    fcntl = None  # type: ignore[assignment]

_RETRY_SLEEP_S = 0.005
# os_unix.c: every connection with the WAL index open holds a read lock on this byte of the -shm file
# (the "dead man switch", UNIX_SHM_DMS = (22 + 8) * 4 + 8); a write lock on it succeeds only when none does.
_SHM_DMS_BYTE = 128


class LeftoverWal(sqlite3.OperationalError):
    """The database file is gone but another process still has its WAL open."""


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, None when there is none: differs from the one opened
    once the file was deleted or replaced."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


class FileMark:
    """Which file a connection opened, to tell later whether the path still names it.

    The inode number alone is not enough: once the deleted file's last holder lets go, a new file at the
    path may get the same number (seen with two cockpits on one store). So the file is held open here
    with O_PATH, which keeps its inode alive (its number cannot be reused) and, unlike an ordinary
    descriptor, does not drop SQLite's POSIX locks on the file when it is closed (Linux: ``filp_close``
    skips ``locks_remove_posix`` for O_PATH files). Where there is no O_PATH the number alone is used.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        flag = getattr(os, "O_PATH", None)
        self._fd = os.open(path, flag) if flag is not None else None
        st = os.fstat(self._fd) if self._fd is not None else os.stat(path)
        self._identity = (st.st_dev, st.st_ino)

    def moved(self) -> bool:
        """True when the path no longer names the file opened (deleted, or replaced by another)."""
        return file_identity(self.path) != self._identity

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def clear_leftover_wal(path: Path) -> None:
    """When ``path`` does not exist, remove its ``-wal``/``-shm`` left by a deleted file, unless another
    process still has them open (``LeftoverWal`` then: it must let go first)."""
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    if path.exists() or not (shm.exists() or wal.exists()):
        return
    fd = _open_quietly(shm)
    try:
        if fd is not None and fcntl is not None:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
            except OSError:
                if path.exists():  # a new file and its WAL, created since the first look: not leftovers
                    return
                raise LeftoverWal(
                    f"{path.name} was deleted while another process had it open; its -wal and -shm"
                    " files are still in use (a cockpit lets go within a second: try again)"
                ) from None
        if path.exists():  # created meanwhile by another opener: its files now, leave them
            return
        for leftover in (wal, shm):  # both belong to the deleted file: useless without it
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    finally:
        if fd is not None:
            os.close(fd)


def _open_quietly(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR)
    except OSError:
        return None


def open_wal(
    path: Path,
    *,
    busy_timeout_ms: int,
    synchronous: str,
    setup: Callable[[sqlite3.Connection], None] = lambda db: None,
    check_same_thread: bool = True,
    exclusive: bool = False,
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal, the given sync level.

    ``setup`` (schema creation, migration) runs after the pragmas and is retried with them, so it must be
    one transaction or idempotent. Raises ``sqlite3.Error`` when the file cannot be opened or stays locked
    past the timeout (``LeftoverWal`` when a deleted file's WAL is still in use), and whatever ``setup``
    raises; the connection is closed in those cases.

    ``exclusive``: this connection alone may use the file while it is open (others get "database is
    locked"), and SQLite keeps the WAL index in its own memory instead of mapping the ``-shm`` file. A
    mapped ``-shm`` that another process truncates, or that stops being writable, kills the process with
    SIGBUS at its next access (measured: a writer truncated under it exits -7), with no error SQLite could
    report. The switch must come before the first WAL access, so it is made here.
    """
    clear_leftover_wal(path)
    db = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=check_same_thread
    )
    deadline = time.monotonic() + busy_timeout_ms / 1000
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if exclusive:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
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
