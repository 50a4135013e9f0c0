"""Engine set-up per database: SQLite write transactions queue instead of failing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

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
        cursor.execute("PRAGMA busy_timeout=30000")
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
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(connection)
            raise

    # These hooks run just before COMMIT/ROLLBACK, in the same greenlet or thread with no
    # switch in between, so releasing here cannot let another transaction in first.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
