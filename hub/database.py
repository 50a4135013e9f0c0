"""Engine set-up per database: SQLite write transactions queue instead of failing."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

# One SQLite transaction at a time in this process: under gevent, a greenlet waiting in
# SQLite's busy handler would block the event loop and so the greenlet holding the lock.
_sqlite_process_lock = threading.RLock()


@contextmanager
def sqlite_transactions_held() -> Iterator[None]:
    """Keep every other SQLite transaction of this process waiting until the block ends.

    Re-entrant: a transaction already open in this thread or greenlet keeps working. The
    thread service holds it across commit and emit so one shipment's events leave in `seq` order.
    """
    with _sqlite_process_lock:
        yield


def _in_short_sleeps(attempt: Callable[[], bool], timeout_s: float) -> bool:
    """Call `attempt` until it succeeds, sleeping 0.2 ms growing to 5 ms in between (gevent's
    sleep when monkey-patched: the worker serves its other sockets); False after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    pause = 0.0002
    while not attempt():
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.005)
    return True


class DatabaseFileLock:
    """An exclusive `flock` on a file next to a SQLite database, shared by every process that
    opens the database: a second process's transaction waits on it, not only on the database's
    own write lock, which COMMIT releases too early for some work (the thread's emit).

    One per process (the descriptor is reopened after a fork); `acquire` polls in short sleeps.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid: int | None = None

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout_s: float = 30.0) -> None:
        """Wait for the lock (at most `timeout_s`, like SQLite's busy timeout)."""
        fd = self._descriptor()

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not _in_short_sleeps(attempt, timeout_s):
            raise TimeoutError(f"{self.path} stayed locked for {timeout_s:.0f} s")

    def release(self) -> None:
        """Let the next process in."""
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_locks_guard = threading.Lock()
_file_locks: dict[str, DatabaseFileLock] = {}


def database_file_lock(engine: Engine) -> DatabaseFileLock | None:
    """The cross-process lock of a file SQLite database (None for memory databases and
    other dialects, where one process or the server's own locks suffice)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + ".hub-lock"
    with _locks_guard:
        lock = _file_locks.get(path)
        if lock is None:
            lock = _file_locks[path] = DatabaseFileLock(path)
        return lock


_BUSY_TIMEOUT_MS = 30_000


def _begin_immediate(connection: Any) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock in short sleeps of our own:
    SQLite's busy handler sleeps in C (1 ms, growing to 100 ms), which under gevent freezes the
    whole worker, every socket of it, while another process writes."""
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        def attempt() -> bool:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return True
            except OperationalError as exc:
                if "locked" not in str(exc.orig):
                    raise
                return False

        if not _in_short_sleeps(attempt, _BUSY_TIMEOUT_MS / 1000):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # one last try: its error says why
    finally:
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.close()


def configure_engine(engine: Engine) -> None:
    """Install the per-dialect connection hooks."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite would defer it to the first write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def _release(connection: Any) -> None:
        if connection.info.pop("hub_sqlite_locked", False):
            _sqlite_process_lock.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        _sqlite_process_lock.acquire()
        connection.info["hub_sqlite_locked"] = True
        try:
            # Writers queue on the database lock at BEGIN instead of failing at their first write.
            _begin_immediate(connection)
        except Exception:
            _release(connection)
            raise

    # These hooks run just before COMMIT/ROLLBACK, in the same greenlet or thread with no
    # switch in between, so releasing here cannot let another transaction in first.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
