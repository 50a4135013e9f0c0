"""Engine set-up per database: SQLite write transactions queue instead of failing."""

from __future__ import annotations

import contextvars
import fcntl
import os
import select
import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.sql import Executable

from hub.errors import N_, Unavailable
from hub.extensions import db

# One SQLite write transaction at a time in this process: under gevent, a greenlet waiting in
# SQLite's busy handler would block the event loop and so the greenlet holding the lock.
_sqlite_process_lock = threading.RLock()

#: Default of SQLITE_BUSY_TIMEOUT_S: how long a writer waits for another process's lock.
DEFAULT_BUSY_TIMEOUT_S = 5.0

# Whether the current request or socket event only reads (set by `reads_only`): its SQLite
# transactions then begin DEFERRED, outside the process's writer queue, so a writer waiting
# for another process's lock never holds up a page, a list or a catch-up.
_reads_only: contextvars.ContextVar[bool] = contextvars.ContextVar("hub_reads_only", default=False)


@contextmanager
def reads_only() -> Iterator[None]:
    """Run the block's SQLite transactions as readers: no write lock is waited for; a write
    attempted in them fails at once with "database is locked" when another writer holds it."""
    token = _reads_only.set(True)
    try:
        yield
    finally:
        _reads_only.reset(token)


def install_request_intent(app: Any) -> None:
    """GET, HEAD and OPTIONS requests run as readers (`reads_only`) on SQLite."""
    from flask import g, request

    @app.before_request
    def _reader_or_writer() -> None:
        g.hub_reads_only = _reads_only.set(request.method in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _forget_intent(_exc: BaseException | None) -> None:
        token = g.pop("hub_reads_only", None)
        if token is not None:
            _reads_only.reset(token)


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

    def acquire(self, timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        """Wait for the lock (at most `timeout_s`, like SQLite's busy timeout); Unavailable
        (503) after that."""
        fd = self._descriptor()

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not _in_short_sleeps(attempt, timeout_s):
            raise Unavailable(N_("The database stayed locked for %(seconds)s s; try again."), params={"seconds": f"{timeout_s:g}"})

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


def _begin_immediate(connection: Any, timeout_s: float, busy_timeout_s: float) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock in short sleeps of our own:
    SQLite's busy handler sleeps in C (1 ms, growing to 100 ms), which under gevent freezes the
    whole worker, every socket of it, while another process writes."""
    # On the driver: every transaction starts here, and SQLAlchemy's statement machinery would
    # cost more than the statement. A failure other than the lock is raised by SQLAlchemy
    # running it once more, so callers get the error type they know.
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        def attempt() -> bool:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.Error as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    return False
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return True

        if not _in_short_sleeps(attempt, timeout_s):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # one last try: its error says why
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")


def _begin_reader(connection: Any) -> None:
    """A deferred BEGIN: WAL readers neither wait for nor block the writer. A write in it
    (a token's last-use touch) gets the write lock at once or fails at once, never waiting in
    SQLite's busy handler."""
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    dbapi_connection.execute("BEGIN")


#: A pooled PostgreSQL connection left unused longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 5.0


def _has_input(dbapi_connection: Any) -> bool:
    """Whether the server sent something to an idle connection (nothing is expected: a closed
    socket or a backend's FATAL on shutdown or termination), or the connection is closed."""
    try:
        fd = dbapi_connection.fileno()
        readable, _, _ = select.select([fd], [], [], 0)
    except Exception:  # noqa: BLE001  (closed: psycopg raises its own error)
        return True
    return bool(readable)


def install_liveness_check(engine: Engine) -> None:
    """Hand out no PostgreSQL connection the server has closed (a restart, a terminated backend),
    without the round trip SQLAlchemy's `pool_pre_ping` spends on every checkout (each socket
    event is one): a connection is pinged only when its socket has something to read (a closed
    connection's EOF or the server's goodbye) or it sat unused for PING_AFTER_IDLE_S (a peer gone
    without a word). A failed ping replaces it with a fresh connection, as pre-ping does."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["hub_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("hub_idle_since", None)
        if idle_since is None:
            return  # connected just now
        if time.monotonic() - idle_since < PING_AFTER_IDLE_S and not _has_input(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001  (any failure: the pool connects anew)
            raise DisconnectionError(f"connection found closed at checkout: {exc}") from exc
        if not alive:
            raise DisconnectionError("connection found closed at checkout")


def configure_engine(engine: Engine, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
    """Install the per-dialect connection hooks; a SQLite writer waits at most `busy_timeout_s`
    for another process's lock, then fails with the database's own "locked" error."""
    if engine.dialect.name == "postgresql":
        install_liveness_check(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite would defer it to the first write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def _release(connection: Any) -> None:
        if connection.info.pop("hub_sqlite_locked", False):
            _sqlite_process_lock.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A memory database is one connection's alone: no reader could run beside its writer.
        if _reads_only.get() and engine.url.database not in (None, "", ":memory:"):
            _begin_reader(connection)
            return
        started = time.monotonic()
        # The whole wait, behind this process's other writers and then another process's lock,
        # is bounded: a queue of writers must not wait one timeout each.
        if not _sqlite_process_lock.acquire(timeout=busy_timeout_s):
            raise Unavailable(N_("The database stayed locked for %(seconds)s s; try again."),
                              params={"seconds": f"{busy_timeout_s:g}"})
        connection.info["hub_sqlite_locked"] = True
        try:
            # Writers queue on the database lock at BEGIN instead of failing at their first write.
            _begin_immediate(connection, max(busy_timeout_s - (time.monotonic() - started), 0.0), busy_timeout_s)
        except Exception:
            _release(connection)
            raise

    # These hooks run just before COMMIT/ROLLBACK, in the same greenlet or thread with no
    # switch in between, so releasing here cannot let another transaction in first.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


class DriverStatement:
    """A Core statement run straight on the connection's DBAPI cursor: compiled once per
    dialect, its parameters and results converted by the application's own column types.

    For the few statements every message send runs: SQLAlchemy's work around each execution
    (execution context, result object, events) costs several times what the database does for
    them (see the README's Performance section). It runs inside the caller's transaction and
    fires the engine's `before_cursor_execute` / `after_cursor_execute` (with no execution
    context), so statement counters, logs and tracers still see it.
    """

    def __init__(self, statement: Executable, column_keys: Sequence[str] | None = None) -> None:
        self._statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[str, _CompiledForDriver] = {}

    def _for(self, dialect: Dialect) -> _CompiledForDriver:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _CompiledForDriver(self._statement, dialect, self._column_keys)
        return compiled

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Execute once; every row it returns (named tuples), none for a statement without rows."""
        compiled = self._for(connection.dialect)
        with _driver_cursor(connection, compiled.sql, compiled.parameters(values), many=False) as cursor:
            return compiled.rows(cursor.fetchall()) if compiled.row_type is not None else []

    def run_many(self, connection: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per set of parameters (a statement returning no rows)."""
        compiled = self._for(connection.dialect)
        with _driver_cursor(connection, compiled.sql, [compiled.parameters(each) for each in values], many=True):
            pass


@contextmanager
def _driver_cursor(connection: Connection, sql: str, parameters: Any, *, many: bool) -> Iterator[Any]:
    """The driver's cursor, having executed `sql`: the engine's cursor events fire around it,
    as `Connection.execute` fires them; the driver's errors are raised as SQLAlchemy's
    (`IntegrityError`, `OperationalError`, ...), and a lost connection is invalidated, so the
    pool does not hand it out again."""
    dialect = connection.dialect
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
    events = connection._has_events or connection.engine._has_events
    try:
        if events:
            for listener in connection.dispatch.before_cursor_execute:
                sql, parameters = listener(connection, cursor, sql, parameters, None, many)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, many)
        yield cursor
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, parameters, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                                  dialect=dialect) from exc
    finally:
        try:
            cursor.close()
        except dialect.loaded_dbapi.Error:
            pass  # the connection is gone: the error above says so


class _CompiledForDriver:
    """One dialect's SQL text of a statement, with its parameter order and type conversions."""

    def __init__(self, statement: Executable, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)  # type: ignore[attr-defined]
        # SQLAlchemy computes Python-side defaults (`default=`, `onupdate=`) per execution;
        # nothing does here, so such a column must be given its value.
        unset = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if unset:
            raise ValueError(f"give {', '.join(unset)} a value: Python-side defaults do not run on the driver")
        self.sql = str(compiled)
        # Each parameter by the name the SQL text gives it (as SQLAlchemy's `construct_params`).
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        self._names: list[str] = list(compiled.positiontup) if compiled.positional else list(binds)
        self._positional = bool(compiled.positional)
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        self._driver_keys = {name: escaped.get(name, name) for name in self._names}
        # Literals the statement holds (`last_seq + 1`): bound like the caller's values.
        self._fixed = {name: bind.value for name, bind in binds.items() if not bind.required}
        self._to_driver = {name: processor for name, bind in binds.items()
                           if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        columns = list(getattr(statement, "exported_columns", ()))
        self.row_type: Any = namedtuple("Row", [column.key for column in columns]) if columns else None  # type: ignore[misc]
        self._from_driver = [(index, processor) for index, column in enumerate(columns)
                             if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        converted = {}
        for name in self._names:
            value = values[name] if name in values else self._fixed[name]
            processor = self._to_driver.get(name)
            converted[name] = processor(value) if processor is not None else value
        if self._positional:
            return [converted[name] for name in self._names]
        return {self._driver_keys[name]: value for name, value in converted.items()}

    def rows(self, raw: list[Any]) -> list[Any]:
        if not self._from_driver:
            return [self.row_type._make(row) for row in raw]
        rows = []
        for row in raw:
            fields = list(row)
            for index, processor in self._from_driver:
                fields[index] = processor(fields[index])
            rows.append(self.row_type._make(fields))
        return rows


def flush_new(row: Any, conflict: Exception) -> None:
    """Add a new row and flush it; when it breaks a unique constraint (a repeat the caller
    checked for, stored meanwhile by a concurrent request) roll back and raise `conflict`."""
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise conflict from None
