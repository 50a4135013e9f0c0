"""The ordering layer: every write to a shipment (its thread, timeline, documents, digests)
runs in a `shipment_transaction`, and whatever must follow a commit runs in ONE declared order.

Ordering: one shipment's writers are serialised, and each one's events leave before the next
writer may start, so every socket sees one shipment's events in `seq` order:
- one process: a lock per shipment (SQLite: the process-wide SQLite transaction lock, which
  every transaction of the process already takes; PostgreSQL: a lock table of this app);
- several processes on PostgreSQL (a message queue is configured): a session-level advisory
  lock on the transaction's own connection, taken before the row lock and released only after
  the commit *and* the emit (the row lock alone ends at COMMIT, before the emit, so two processes
  could emit out of order). Without a message queue no other process's events reach this
  process's sockets at all, so the process's own lock orders them and the advisory lock (two
  round trips per write, and the autocommit switch for the unlock) is not taken; the `seq`
  counter's row lock still numbers concurrent writers of every process one after the other;
- several processes on SQLite (a message queue is configured): an exclusive `flock` on a file
  next to the database, taken just after BEGIN IMMEDIATE (always in the same order as the
  database's write lock: no deadlock) and released after the emit.

After commit: `after_commit(step, action)` queues an action on the session; the one listener
below runs them by `Step` (room events, then room membership, then unlocking), in the order
they were queued within a step, and drops them on rollback. The listener runs while the
connection is still the session's, which the advisory unlock needs.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from hub.database import DatabaseFileLock, database_file_lock, sqlite_transactions_held
from hub.errors import N_, NotFound
from hub.extensions import db
from hub.shipments.models import Shipment

#: First key of `pg_advisory_lock(int, int)`; the second is the shipment id. ("HT": hub thread.)
ADVISORY_NAMESPACE = 0x4854

_AFTER_COMMIT = "hub_after_commit"
_THROUGH_QUEUE = "hub_events_through_queue"
_log = logging.getLogger(__name__)


class Step(IntEnum):
    """What runs after a commit, in this order."""

    #: Room events, in the order they were queued (`seq` order under the shipment's lock).
    EMIT = 10
    #: Socket room changes (a removed participant's eviction), after the events before them.
    MEMBERSHIP = 20
    #: The shipment's locks, once everything above has left.
    UNLOCK = 90
    #: Counting what committed (hub.operations' metrics), last: it holds nothing up.
    COUNT = 95


def after_commit(step: Step, action: Callable[[], None]) -> None:
    """Run `action` once the current transaction commits; it is dropped if the transaction (or
    the savepoint it was queued in) rolls back."""
    session = db.session()
    queued_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_AFTER_COMMIT, []).append((step, action, queued_in))


def _run_after_commit(session: Session) -> None:
    queued = session.info.pop(_AFTER_COMMIT, None)
    if not queued:
        return
    # sorted() is stable: within a step, actions keep the order they were queued in.
    for step, action, _queued_in in sorted(queued, key=lambda entry: entry[0]):
        try:
            action()
        except Exception:  # noqa: BLE001  (the write is committed: log, never undo it)
            _log.exception("after-commit %s step failed", step.name)


def _inside(transaction: Any, ended: Any) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_after_commit(session: Session, ended: Any) -> None:
    """A rollback drops what was queued in the transaction or savepoint that ended."""
    queued = session.info.get(_AFTER_COMMIT)
    if not queued:
        return
    if ended.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
        return
    session.info[_AFTER_COMMIT] = [entry for entry in queued if not _inside(entry[2], ended)]


event.listen(Session, "after_commit", _run_after_commit)
event.listen(Session, "after_soft_rollback", _drop_after_commit)


def events_through_queue(session: Session) -> bool:
    """Whether this transaction's room events must be published to the message queue only
    (every server, this one too, then delivers them in the queue's one order)."""
    return bool(session.info.get(_THROUGH_QUEUE))


# --- per-app state --------------------------------------------------------------------------


@dataclass
class HubState:
    """What one app keeps for the life of its process (in `app.extensions["hub"]`), so two
    apps of a process (tests, tools) never share locks, queue clients or socket registries."""

    shipment_locks: weakref.WeakValueDictionary[int, Any] = field(default_factory=weakref.WeakValueDictionary)
    locks_guard: threading.Lock = field(default_factory=threading.Lock)
    #: The write-only message-queue client that publishes ordered events (made on first use).
    queue_publisher: Any = None
    #: The thread area's socket rooms and presence (`hub.threads.rooms.SocketRooms`).
    rooms: Any = None

    def lock_for(self, shipment_id: int) -> Any:
        """This process's lock of one shipment."""
        with self.locks_guard:
            lock = self.shipment_locks.get(shipment_id)
            if lock is None:
                lock = self.shipment_locks[shipment_id] = threading.Lock()
            return lock


def init_app(app: Flask) -> None:
    """Give the app its state."""
    app.extensions["hub"] = HubState()


def hub_state() -> HubState:
    """The current app's state."""
    return current_app.extensions["hub"]


# --- locks ----------------------------------------------------------------------------------


class CrossProcessLock(Protocol):
    """A lock that keeps other processes' writers of the shipment out until released."""

    def acquire(self) -> None:
        """Take it, inside the session's open transaction."""

    def release(self) -> None:
        """Let the next writer in (idempotent); after the commit's events, or after a failure."""

    def abort(self) -> None:
        """The transaction failed: make the connection usable for `release`."""


class _AdvisoryLock:
    """PostgreSQL: a session-level advisory lock on the transaction's own connection."""

    def __init__(self, shipment_id: int) -> None:
        self.shipment_id = shipment_id
        self._dbapi_connection: Any = None

    def acquire(self) -> None:
        connection = db.session.connection()
        self._dbapi_connection = connection.connection.dbapi_connection
        connection.exec_driver_sql("SELECT pg_advisory_lock(%s, %s)", (ADVISORY_NAMESPACE, self.shipment_id))

    def abort(self) -> None:
        # An aborted PostgreSQL transaction refuses every statement, the unlock included.
        if self._dbapi_connection is not None:
            try:
                self._dbapi_connection.rollback()
            except Exception:  # noqa: BLE001  (the session's rollback reports real trouble)
                pass

    def release(self) -> None:
        dbapi_connection, self._dbapi_connection = self._dbapi_connection, None
        if dbapi_connection is None:
            return
        try:
            # The transaction has ended: in autocommit the unlock is one round trip, not a
            # BEGIN, the statement and a COMMIT.
            dbapi_connection.autocommit = True
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", (ADVISORY_NAMESPACE, self.shipment_id))
            finally:
                dbapi_connection.autocommit = False
        except Exception:  # noqa: BLE001
            # A connection that cannot unlock must not go back to the pool holding the lock;
            # closing it ends its PostgreSQL session, which releases every lock it holds.
            _log.exception("advisory unlock failed; closing the connection")
            try:
                dbapi_connection.close()
            except Exception:  # noqa: BLE001
                pass


class _FileLock:
    """SQLite with several server processes: the database's file lock."""

    def __init__(self, file_lock: DatabaseFileLock) -> None:
        self._file_lock = file_lock
        self._held = False

    def acquire(self) -> None:
        # BEGIN IMMEDIATE first: the file lock is only ever taken by the database's writer, and
        # its holder needs the database no more once it committed: the locks cannot deadlock.
        db.session.connection()
        self._file_lock.acquire(current_app.config["SQLITE_BUSY_TIMEOUT_S"])
        self._held = True

    def abort(self) -> None:
        pass

    def release(self) -> None:
        if self._held:
            self._held = False
            self._file_lock.release()


# --- the transaction ------------------------------------------------------------------------


@contextmanager
def shipment_transaction(shipment_id: int) -> Iterator[Shipment]:
    """Lock the shipment row, yield it, commit; events queued inside are emitted before the
    shipment's locks are released, so sockets see one shipment's events in `seq` order.

    Raises NotFound when the shipment does not exist. Any exception rolls back.
    """
    yield from _ordered_transaction(shipment_id, load=True)  # type: ignore[misc]


@contextmanager
def thread_transaction(shipment_id: int) -> Iterator[None]:
    """`shipment_transaction` for a writer that needs the thread's order but not the shipment
    row (a plain message): the row is not read; the seq counter's UPDATE takes its row lock.
    The caller has checked that the shipment exists."""
    yield from _ordered_transaction(shipment_id, load=False)  # type: ignore[misc]


def _ordered_transaction(shipment_id: int, load: bool) -> Iterator[Shipment | None]:
    queue = bool(current_app.config.get("SOCKETIO_MESSAGE_QUEUE"))
    if db.session.get_bind().dialect.name == "postgresql":
        with hub_state().lock_for(shipment_id):
            # As SQLite's file lock: only processes sharing a message queue need each other's order.
            yield from _locked(shipment_id, load, _AdvisoryLock(shipment_id) if queue else None, queue)
    else:
        # SQLite: every transaction of the process already queues on this (re-entrant) lock;
        # holding it through commit and emit keeps the next writer out until the event is sent.
        with sqlite_transactions_held():
            file_lock = database_file_lock(db.engine) if queue else None
            yield from _locked(shipment_id, load, _FileLock(file_lock) if file_lock is not None else None, queue)
            # Still holding the lock, let the sockets' writers send this commit's events before
            # another send's transaction starts (time.sleep is gevent's in the server): gevent
            # runs ready greenlets in turn, so the writers would otherwise wait behind every
            # send that arrived meanwhile.
            time.sleep(0)


def _locked(shipment_id: int, load: bool, lock: CrossProcessLock | None, queue: bool) -> Iterator[Shipment | None]:
    if lock is not None:
        lock.acquire()
    try:
        yield _locked_row(shipment_id) if load else None
        if queue:
            # With a message queue, a server delivers its own emits at once but the others'
            # only when its listener gets to them: publishing to the queue only gives every
            # server the one order the lock made.
            db.session.info[_THROUGH_QUEUE] = True
        if lock is not None:
            after_commit(Step.UNLOCK, lock.release)
        db.session.commit()
    except BaseException:
        db.session.info.pop(_THROUGH_QUEUE, None)
        if lock is not None:
            lock.abort()
            lock.release()
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(_THROUGH_QUEUE, None)


def _read_in_this_transaction(shipment_id: int) -> Shipment | None:
    """SQLite only: the shipment when this very transaction has already read it and nothing
    changed it since (every SQLite transaction here starts with BEGIN IMMEDIATE, so it has held
    the database's write lock from its first statement: no other writer could change the row;
    a commit or rollback expires what the session read). Saves reading it a second time."""
    if not db.session().in_transaction():
        return None
    shipment = db.session.identity_map.get(Session.identity_key(Shipment, shipment_id))
    if shipment is None:
        return None
    state = inspect(shipment)
    if state.expired or state.expired_attributes or state.modified or "last_seq" not in state.dict:
        return None
    return shipment


def _locked_row(shipment_id: int) -> Shipment:
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    shipment = (_read_in_this_transaction(shipment_id) if sqlite else None) or db.session.execute(
        select(Shipment)
        .where(Shipment.id == shipment_id)
        .with_for_update(of=Shipment)  # not the eagerly outer-joined owner (PostgreSQL refuses)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if shipment is None:
        raise NotFound(N_("Shipment not found."))
    return shipment
