"""Posting to a shipment's thread: the one path every channel (socket, REST, email, system,
milestones, documents) goes through, plus listing, editing, deleting and read state.

Ordering: `seq` comes from `shipments.last_seq`, incremented under the shipment's row lock.
Assigning, committing and emitting are serialised per shipment so every socket sees one
shipment's events in `seq` order:
- in one process, by a lock per shipment (SQLite: by the process-wide SQLite transaction lock,
  which every transaction of the process already takes);
- across processes on PostgreSQL, by a session-level advisory lock on the transaction's own
  connection, taken before the row lock and released only after the commit *and* the emit (the
  row lock alone is released at COMMIT, before the emit, so two processes could emit out of order);
- across processes on SQLite with a message queue (SOCKETIO_MESSAGE_QUEUE: several servers), by
  an exclusive `flock` on a file next to the database, taken just after BEGIN IMMEDIATE (so always
  in the same order as the database's write lock: no deadlock) and released after the emit.
  Without a message queue one process serves every socket and needs no file lock.

With a message queue, a server delivers its own emits to its own sockets at once but the other
processes' emits only when its queue listener gets to them, so a lock held across the emit is not
enough: the events of a shipment transaction are instead published to the queue only (by a
write-only queue client, like an external process), and every server, the sender included,
delivers them in the queue's one order, which the lock makes the `seq` order.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, event, exists, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hub.accounts.models import Principal, User
from hub.audit import record_audit
from hub.database import DatabaseFileLock, DriverStatement, database_file_lock, sqlite_transactions_held
from hub.errors import Forbidden, MalformedRequest, NotFound, ValidationFailed
from hub.extensions import db, socketio
from hub.permissions import Action, authorize_on, get_shipment_for
from hub.realtime import _PENDING, _emit_pending, emit_after_commit, shipment_room
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.signals import message_posted
from hub.threads.markup import render_markdown
from hub.threads.models import Message, MessageMention, MessageRevision
from hub.timestamps import utcnow

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._%+-]+)")

#: First key of `pg_advisory_lock(int, int)`; the second is the shipment id. ("HT": hub thread.)
ADVISORY_NAMESPACE = 0x4854
#: Messages a `join` answers at most; the client pages the rest with the REST list.
JOIN_CATCH_UP_LIMIT = 500
LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 500

_locks_guard = threading.Lock()
_shipment_locks: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_UNLOCK = "hub_thread_advisory_unlock"
_FILE_UNLOCK = "hub_thread_file_unlock"
_QUEUED_EVENTS = "hub_thread_queued_events"
_queue_clients: dict[str, Any] = {}


def _lock_for(shipment_id: int) -> Any:
    with _locks_guard:
        lock = _shipment_locks.get(shipment_id)
        if lock is None:
            lock = threading.Lock()
            _shipment_locks[shipment_id] = lock
        return lock


@contextmanager
def shipment_transaction(shipment_id: int) -> Iterator[Shipment]:
    """Lock the shipment row, yield it, commit; events queued inside are emitted before the
    per-shipment lock is released, so sockets see one shipment's events in `seq` order.

    Raises NotFound when the shipment does not exist. Any exception rolls back.
    """
    yield from _ordered_transaction(shipment_id, load=True)  # type: ignore[misc]


@contextmanager
def thread_transaction(shipment_id: int) -> Iterator[None]:
    """`shipment_transaction` for a writer that needs the thread's order but not the shipment
    row (a plain message): the row is not read; `add_message`'s UPDATE of the shipment's seq
    counter takes its row lock. The caller has checked that the shipment exists."""
    yield from _ordered_transaction(shipment_id, load=False)  # type: ignore[misc]


def _ordered_transaction(shipment_id: int, load: bool) -> Iterator[Shipment | None]:
    if db.session.get_bind().dialect.name == "postgresql":
        with _lock_for(shipment_id):
            yield from _postgres_transaction(shipment_id, load)
    else:
        # SQLite: every transaction of the process already queues on this (re-entrant) lock;
        # holding it through commit and emit keeps the next writer out until the event is sent.
        with sqlite_transactions_held():
            file_lock = database_file_lock(db.engine) if current_app.config.get("SOCKETIO_MESSAGE_QUEUE") else None
            if file_lock is None:
                yield from _locked_row_transaction(shipment_id, load)
            else:
                yield from _sqlite_shared_transaction(shipment_id, load, file_lock)
            # Still holding the lock, let the sockets' writers send this commit's events before
            # another send's transaction starts (time.sleep is gevent's in the server): gevent
            # runs ready greenlets in turn, so the writers would otherwise wait behind every
            # send that arrived meanwhile.
            time.sleep(0)


def _sqlite_shared_transaction(shipment_id: int, load: bool, file_lock: DatabaseFileLock) -> Iterator[Shipment | None]:
    # BEGIN IMMEDIATE first: the file lock is only ever taken by the database's writer, and its
    # holder needs the database no more once it committed, so the two locks cannot deadlock.
    db.session.connection()
    file_lock.acquire(current_app.config["SQLITE_BUSY_TIMEOUT_S"])
    # Released by `_unlock_after_emit` once the commit's events are out, or below on failure.
    db.session.info[_FILE_UNLOCK] = file_lock
    try:
        yield from _locked_row_transaction(shipment_id, load)
    finally:
        pending = db.session.info.pop(_FILE_UNLOCK, None)
        if pending is not None:  # no commit happened: the transaction was rolled back
            pending.release()


def _postgres_transaction(shipment_id: int, load: bool) -> Iterator[Shipment | None]:
    connection = db.session.connection()
    dbapi_connection = connection.connection.dbapi_connection
    connection.exec_driver_sql("SELECT pg_advisory_lock(%s, %s)", (ADVISORY_NAMESPACE, shipment_id))
    # Released by `_unlock_after_emit` once the commit's events are out, or below on failure.
    db.session.info[_UNLOCK] = (dbapi_connection, shipment_id)
    try:
        yield from _locked_row_transaction(shipment_id, load)
    finally:
        pending = db.session.info.pop(_UNLOCK, None)
        if pending is not None:  # no commit happened: the transaction was rolled back
            _advisory_unlock(*pending)


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
        raise NotFound("Shipment not found.")
    return shipment


def _locked_row_transaction(shipment_id: int, load: bool) -> Iterator[Shipment | None]:
    try:
        yield _locked_row(shipment_id) if load else None
        if current_app.config.get("SOCKETIO_MESSAGE_QUEUE"):
            # Taken from hub.realtime's after-commit emit: `_unlock_after_emit` publishes them.
            db.session.info[_QUEUED_EVENTS] = db.session.info.pop(_PENDING, None) or []
        db.session.commit()
    except BaseException:
        db.session.info.pop(_QUEUED_EVENTS, None)
        pending = db.session.info.get(_UNLOCK)
        if pending is not None:
            # End the failed transaction on the connection itself first: an aborted PostgreSQL
            # transaction refuses every statement, the unlock included.
            try:
                pending[0].rollback()
            except Exception:  # noqa: BLE001  (the session's rollback below reports real trouble)
                pass
            db.session.info.pop(_UNLOCK, None)
            _advisory_unlock(*pending)
        db.session.rollback()
        raise


def _advisory_unlock(dbapi_connection: Any, shipment_id: int) -> None:
    try:
        # The transaction has ended: in autocommit the unlock is one round trip, not a
        # BEGIN, the statement and a COMMIT.
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", (ADVISORY_NAMESPACE, shipment_id))
        finally:
            dbapi_connection.autocommit = False
    except Exception:  # noqa: BLE001
        # A connection that cannot unlock must not go back to the pool holding the lock;
        # closing it ends its PostgreSQL session, which releases every lock it holds.
        current_app.logger.exception("advisory unlock failed; closing the connection")
        try:
            dbapi_connection.close()
        except Exception:  # noqa: BLE001
            pass


@event.listens_for(Session, "after_commit")
def _unlock_after_emit(session: Session) -> None:
    """After COMMIT, while the connection is still the session's: emit, then unlock."""
    pending = session.info.pop(_UNLOCK, None)
    file_lock = session.info.pop(_FILE_UNLOCK, None)
    queued = session.info.pop(_QUEUED_EVENTS, None)
    if pending is None and file_lock is None and queued is None:
        return
    # Emit now (hub.realtime's own after_commit hook then finds nothing left to send), so the
    # events leave before another process may take the shipment's lock and emit the next seq.
    try:
        _emit_pending(session)
        if queued:
            _publish_in_queue_order(queued)
    finally:
        if pending is not None:
            _advisory_unlock(*pending)
        if file_lock is not None:
            file_lock.release()


def _reporting(manager_class: type) -> type:
    """The queue manager's class, remembering whether its last publish reached the queue
    (python-socketio's Redis manager logs a failed publish and gives up without raising;
    its `_publish` answers None then, the number of receivers otherwise)."""

    class Reporting(manager_class):  # type: ignore[misc, valid-type]
        hub_published = True

        def _publish(self, data: Any) -> Any:
            result = super()._publish(data)
            self.hub_published = result is not None
            return result

    return Reporting


def _publish_in_queue_order(events: list[tuple[str, dict[str, Any], str]]) -> None:
    """Publish events to the message queue only; every server, this one too, delivers them."""
    manager = socketio.server.manager
    client = _queue_clients.get(manager.channel)
    if client is None:
        # Its own host id, so this server's listener does not skip them as its own.
        client = _reporting(type(manager))(current_app.config["SOCKETIO_MESSAGE_QUEUE"], channel=manager.channel,
                                           write_only=True)
        _queue_clients[manager.channel] = client
    for event_name, payload, room in events:
        try:
            client.emit(event_name, payload, namespace="/", room=room)
            if not client.hub_published:
                # The queue is away (python-socketio logged it and gave up): this server's own
                # sockets still get the event; the other servers' clients catch up by `join`.
                manager.emit(event_name, payload, namespace="/", room=room, ignore_queue=True)
        except Exception:  # an emit failure must not undo a committed write
            current_app.logger.exception("could not publish %s to %s", event_name, room)


def add_message(
    shipment: Shipment | int,
    author: Principal | None,
    body: str,
    *,
    kind: str = "text",
    via: str = "web",
    client_id: str | None = None,
) -> Message:
    """Add a message inside an open `shipment_transaction` or `thread_transaction` (of this
    shipment, or its id): next `seq`, rendered body, mentions; the `message` event is emitted
    after the commit."""
    shipment_id = shipment if isinstance(shipment, int) else shipment.id
    values = _message_values(shipment_id, author, body, kind, via, client_id)
    # Every send runs this: three statements on the driver instead of the unit of work.
    connection = db.session.connection()
    counter = _NEXT_SEQ.rows(connection, {"b_shipment": shipment_id, "b_now": values["created_at"]})
    if not counter:
        raise NotFound("Shipment not found.")
    values["seq"] = seq = counter[0].last_seq
    message_id = _INSERT_MESSAGE.rows(connection, values)[0].id
    if author is not None:
        # The author has read their own message.
        _MARK_READ.rows(connection, {"b_shipment": shipment_id, "b_user": author.id, "b_seq": seq})
    return _message_written(message_id, values, author)


def _message_values(shipment_id: int, author: Principal | None, body: str, kind: str, via: str,
                    client_id: str | None) -> dict[str, Any]:
    """The new message's row but its `seq`."""
    return {
        "shipment_id": shipment_id, "author_id": author.id if author is not None else None,
        "kind": kind, "body": body, "body_html": render_markdown(body), "client_id": client_id, "via": via,
        "created_at": utcnow(), "edited_at": None, "deleted_at": None,
    }


def _message_written(message_id: int, values: dict[str, Any], author: Principal | None) -> Message:
    """A message row just written (with its seq, the shipment's counter and the author's read
    mark): into the session, mentions, the signal, and its event once committed."""
    loaded = db.session.identity_map.get(Session.identity_key(Shipment, values["shipment_id"]))
    if loaded is not None:  # keep a shipment this session has read in step with the row
        set_committed_value(loaded, "last_seq", values["seq"])
        set_committed_value(loaded, "updated_at", values["created_at"])
    # Known in full: enter the session as if just loaded, without reading it back (a
    # SignedInUser author is no ORM object: `message.author` loads the User when asked).
    message = Message(id=message_id, **values)
    if isinstance(author, User):
        message.author = author
    make_transient_to_detached(message)
    db.session.add(message)
    for user_id in _mentioned_user_ids(values["shipment_id"], values["body"], author):
        db.session.add(MessageMention(message_id=message.id, user_id=user_id))
    message_posted.send(message)
    _emit_message(message, author.summary() if author is not None else None)
    return message


def _send_once_postgresql(shipment_id: int, author: Principal, body: str, via: str,
                          client_id: str) -> tuple[Message, bool]:
    """`send_message`'s transaction on PostgreSQL: the repeat check, the next seq, the row and
    the author's read mark in one statement (one round trip instead of four)."""
    values = _message_values(shipment_id, author, body, "text", via, client_id)
    parameters = {f"b_{name}": values[name] for name in _SEND_ONCE_COLUMNS}
    row = db.session.connection().execute(_SEND_ONCE, parameters).one()
    if row.existing_id is not None:
        return db.session.get_one(Message, row.existing_id), False
    if row.id is None:
        raise NotFound("Shipment not found.")
    values["seq"] = row.seq
    return _message_written(row.id, values, author), True


_shipments = Shipment.__table__
_participants = ShipmentParticipant.__table__
_NEXT_SEQ = DriverStatement(
    update(_shipments)
    .where(_shipments.c.id == bindparam("b_shipment"))
    .values(last_seq=_shipments.c.last_seq + 1, updated_at=bindparam("b_now"))
    .returning(_shipments.c.last_seq)
)
_MESSAGE_COLUMNS = ("shipment_id", "author_id", "kind", "body", "body_html", "client_id", "via", "created_at",
                    "edited_at", "deleted_at", "seq")
_INSERT_MESSAGE = DriverStatement(insert(Message.__table__).returning(Message.__table__.c.id), _MESSAGE_COLUMNS)
_MARK_READ = DriverStatement(
    update(_participants)
    .where(_participants.c.shipment_id == bindparam("b_shipment"), _participants.c.user_id == bindparam("b_user"),
           _participants.c.last_read_seq < bindparam("b_seq"))
    .values(last_read_seq=bindparam("b_seq"))
)


def _send_once_statement() -> Any:
    """The one statement of `_send_once_postgresql`. Its data-modifying CTEs all run, in one
    snapshot, under the shipment's advisory lock: no other send of this shipment is between
    the repeat check and the insert; a repeat writes nothing (the counter is not advanced)."""
    messages = Message.__table__
    existing = (
        select(messages.c.id)
        .where(messages.c.author_id == bindparam("b_author_id"), messages.c.client_id == bindparam("b_client_id"))
        .cte("existing")
    )
    next_seq = (
        update(_shipments)
        .where(_shipments.c.id == bindparam("b_shipment_id"), ~exists(select(existing.c.id)))
        .values(last_seq=_shipments.c.last_seq + 1, updated_at=bindparam("b_created_at", type_=messages.c.created_at.type))
        .returning(_shipments.c.last_seq)
        .cte("next_seq")
    )
    posted = (
        insert(messages)
        .from_select(
            [*_SEND_ONCE_COLUMNS, "seq"],
            # Typed: the driver then casts each parameter to its column's type. (Named unlike any
            # column: SQLAlchemy takes a parameter named as a column for that column's value.)
            select(*(bindparam(f"b_{name}", type_=messages.c[name].type) for name in _SEND_ONCE_COLUMNS),
                   next_seq.c.last_seq),
        )
        .returning(messages.c.id, messages.c.seq)
        .cte("posted")
    )
    read_mark = (
        update(_participants)
        .where(_participants.c.shipment_id == bindparam("b_shipment_id"),
               _participants.c.user_id == bindparam("b_author_id"), _participants.c.last_read_seq < posted.c.seq)
        .values(last_read_seq=posted.c.seq)
        .cte("read_mark")
    )
    return select(
        select(existing.c.id).scalar_subquery().label("existing_id"),
        select(posted.c.id).scalar_subquery().label("id"),
        select(posted.c.seq).scalar_subquery().label("seq"),
    ).add_cte(read_mark)


_SEND_ONCE_COLUMNS = ("shipment_id", "author_id", "kind", "body", "body_html", "client_id", "via", "created_at")
_SEND_ONCE = _send_once_statement()


def _emit_message(message: Message, author: dict[str, object] | None = None) -> None:
    payload = message.to_dict(author)
    # Kept for `message_object`: after the commit the row is expired and would be read again.
    message.hub_payload = payload  # type: ignore[attr-defined]
    emit_after_commit("message", payload, shipment_room(message.shipment_id))


def message_object(message: Message) -> dict[str, Any]:
    """The message object of a message this request just wrote or read."""
    payload = getattr(message, "hub_payload", None)
    return payload if payload is not None else message.to_dict()


def check_message_body(body: object) -> str:
    """A non-empty body of at most MESSAGE_MAX_CHARS characters, or ValidationFailed."""
    if not isinstance(body, str):
        raise ValidationFailed("The message body must be a string.", fields={"body": "must be a string"})
    if not body.strip():
        raise ValidationFailed("The message is empty.", fields={"body": "must not be empty"})
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise ValidationFailed(
            f"The message is longer than {limit} characters.", fields={"body": f"at most {limit} characters"}
        )
    return body


def check_client_id(value: object) -> str:
    """A UUID chosen by the sender, in its canonical lower-case form, or MalformedRequest."""
    if not isinstance(value, str):
        raise MalformedRequest("client_id must be a UUID string.", fields={"client_id": "must be a UUID string"})
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise MalformedRequest("client_id is not a UUID.", fields={"client_id": "must be a UUID"}) from None


def new_client_id() -> str:
    """A fresh client_id for callers that sent none (a REST integration without retries)."""
    return str(uuid.uuid4())


def send_message(user: Principal, shipment_id: int, body: object, client_id: str, via: str,
                 *, authorized: bool = False) -> tuple[Message, bool]:
    """Post a text message as `user`; answers (message, created). A repeated `client_id` from
    the same author answers the original message and creates nothing.

    `authorized`: the caller has just checked, in this same transaction, that `user` may
    `Action.POST_MESSAGE` on this shipment (`get_shipment_for`, `signed_in_user_authorized_on`);
    it is not checked again.
    """
    if not authorized:
        authorize_on(user, shipment_id, Action.POST_MESSAGE)
    text = check_message_body(body)
    client_id = check_client_id(client_id)
    try:
        with thread_transaction(shipment_id):
            if db.session.get_bind().dialect.name == "postgresql":
                # Checked under the lock, in the statement that writes: a repeat writes nothing.
                message, created = _send_once_postgresql(shipment_id, user, text, via, client_id)
            else:
                # A repeat (a client's retry) is rare: the messages' unique (author, client_id)
                # refuses it, the transaction rolls back (its seq too) and it is answered below.
                message, created = add_message(shipment_id, user, text, kind="text", via=via, client_id=client_id), True
    except IntegrityError:
        # A repeat: the original may be in another shipment, or stored first by a concurrent request.
        existing = _message_by_client_id(user, client_id)
        if existing is None:
            raise
        return existing, False
    return message, created


def _message_by_client_id(user: Principal, client_id: str) -> Message | None:
    # Asked on every send and almost always answered "none": the cheap id lookup first.
    message_id = db.session.connection().execute(
        _MESSAGE_ID_BY_CLIENT_ID, {"b_author": user.id, "b_client_id": client_id}
    ).scalar()
    return db.session.get(Message, message_id) if message_id is not None else None


_MESSAGE_ID_BY_CLIENT_ID = select(Message.__table__.c.id).where(
    Message.__table__.c.author_id == bindparam("b_author"), Message.__table__.c.client_id == bindparam("b_client_id")
)


def _mentioned_user_ids(shipment_id: int, body: str, author: Principal | None) -> list[int]:
    handles = {m.group(1).lower().rstrip(".") for m in _MENTION.finditer(body)}
    if not handles:
        return []
    shipment = db.session.get(Shipment, shipment_id)
    ids = []
    for participant in shipment.participants if shipment is not None else []:
        local_part = participant.user.email.split("@", 1)[0].lower()
        if local_part in handles and (author is None or participant.user_id != author.id):
            ids.append(participant.user_id)
    return ids


# --- reading ------------------------------------------------------------------------------


def messages_after(shipment: Shipment, after_seq: int, limit: int) -> tuple[list[Message], bool]:
    """Up to `limit` messages with seq > after_seq, oldest first, and whether more follow."""
    rows = list(
        db.session.scalars(
            select(Message)
            .where(Message.shipment_id == shipment.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def list_messages(
    user: User,
    shipment_id: int,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = LIST_DEFAULT_LIMIT,
) -> tuple[list[Message], bool]:
    """A page of the thread, oldest first, and whether more exist in the direction asked.

    `after_seq`: the next `limit` after it; `before_seq`: the `limit` just before it; neither:
    the latest `limit` (`more` then says whether earlier ones exist).
    """
    shipment = get_shipment_for(user, shipment_id)
    limit = max(1, min(limit, LIST_MAX_LIMIT))
    if after_seq is not None and before_seq is not None:
        raise ValidationFailed("Give after_seq or before_seq, not both.", fields={"before_seq": "not with after_seq"})
    if after_seq is not None:
        return messages_after(shipment, after_seq, limit)
    query = select(Message).where(Message.shipment_id == shipment.id)
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    rows = list(db.session.scalars(query.order_by(Message.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    return list(reversed(rows[:limit])), more


# --- editing ------------------------------------------------------------------------------


def editable_message(user: User, message_id: int, verb: str) -> Message:
    """The message if `user` may `verb` it now: NotFound when hidden, Forbidden when not
    theirs, deleted, past MESSAGE_EDIT_WINDOW_S or when they may not post any more."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound("Message not found.")
    get_shipment_for(user, message.shipment_id)  # NotFound when the thread is hidden from them
    if message.author_id != user.id or message.kind != "text":
        raise Forbidden(f"Only the author may {verb} a message.")
    if message.deleted_at is not None:
        raise Forbidden("This message was deleted.")
    window = current_app.config["MESSAGE_EDIT_WINDOW_S"]
    if utcnow() - message.created_at > timedelta(seconds=window):
        raise Forbidden(f"Messages can be changed only within {window // 60} minutes of sending.")
    get_shipment_for(user, message.shipment_id, Action.POST_MESSAGE)  # observers write nothing
    return message


def edit_message(user: User, message_id: int, body: object) -> Message:
    """Replace a message's body (author only, within MESSAGE_EDIT_WINDOW_S); the previous body
    is kept as a revision and the room gets the edited message."""
    message = editable_message(user, message_id, "edit")
    text = check_message_body(body)
    with shipment_transaction(message.shipment_id) as shipment:
        message = db.session.get(Message, message_id, populate_existing=True)
        if message is None or message.deleted_at is not None:
            raise NotFound("Message not found.")
        if text != message.body:
            db.session.add(MessageRevision(message_id=message.id, body=message.body))
            message.body = text
            message.body_html = render_markdown(text)
            message.edited_at = utcnow()
            known = set(db.session.scalars(select(MessageMention.user_id).where(MessageMention.message_id == message.id)))
            for user_id in _mentioned_user_ids(shipment, text, user):
                if user_id not in known:
                    db.session.add(MessageMention(message_id=message.id, user_id=user_id))
            record_audit(user, "message.edit", "message", message.id, {"seq": message.seq}, shipment.id)
            db.session.flush()
            _emit_message(message)
    return message


def delete_message(user: User, message_id: int) -> Message:
    """Soft-delete a message (author only, within MESSAGE_EDIT_WINDOW_S): its body moves to
    the revision history, the thread keeps its `seq` with an empty body."""
    message = editable_message(user, message_id, "delete")
    with shipment_transaction(message.shipment_id) as shipment:
        message = db.session.get(Message, message_id, populate_existing=True)
        if message is None or message.deleted_at is not None:
            raise NotFound("Message not found.")
        db.session.add(MessageRevision(message_id=message.id, body=message.body))
        message.body = ""
        message.body_html = ""
        message.deleted_at = utcnow()
        record_audit(user, "message.delete", "message", message.id, {"seq": message.seq}, shipment.id)
        db.session.flush()
        _emit_message(message)
    return message


# --- read state ---------------------------------------------------------------------------


def mark_read(user: Principal, shipment_id: int, seq: object) -> dict[str, int]:
    """Move the caller's `last_read_seq` forward to `seq` (clamped to the thread's last seq;
    never backwards) and tell the room. Staff who are not participants have no read state.

    Answers `{"shipment_id", "last_read_seq", "last_seq", "unread_count"}`.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValidationFailed("seq must be a non-negative integer.", fields={"seq": "must be a non-negative integer"})
    shipment = get_shipment_for(user, shipment_id)
    participant = db.session.scalar(
        select(ShipmentParticipant)
        .where(ShipmentParticipant.shipment_id == shipment.id, ShipmentParticipant.user_id == user.id)
        .with_for_update(of=ShipmentParticipant)
    )
    last_seq = shipment.last_seq
    if participant is None:
        db.session.rollback()
        return {"shipment_id": shipment_id, "last_read_seq": last_seq, "last_seq": last_seq, "unread_count": 0}
    target = min(seq, last_seq)
    if target > participant.last_read_seq:
        participant.last_read_seq = target
        emit_after_commit(
            "read", {"shipment_id": shipment.id, "user_id": user.id, "seq": target}, shipment_room(shipment.id)
        )
    read = participant.last_read_seq
    db.session.commit()
    return {"shipment_id": shipment_id, "last_read_seq": read, "last_seq": last_seq,
            "unread_count": max(0, last_seq - read)}


def read_states(shipment: Shipment) -> list[dict[str, Any]]:
    """Each participant's `last_read_seq`, for read receipts ("Seen by Ana, Kenji")."""
    return [
        {"user_id": p.user_id, "name": p.user.name, "last_read_seq": p.last_read_seq}
        for p in shipment.participants
    ]
