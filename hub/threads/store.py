"""The thread's fast statements: what every message send writes, in as few round trips and as
little SQLAlchemy machinery as each backend allows (see the README's Performance section).

`write_message` (every backend) and `write_message_once` (PostgreSQL: with the repeat check in
the same statement) are what the thread's services call. `ReferenceStore` writes the same rows
through the ORM's unit of work, plainly; the tests run both on both backends and compare the
rows, so the fast path can never drift from what the models mean.

Runs inside the caller's `thread_transaction` / `shipment_transaction` (the ordering layer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hub.accounts.models import Principal, User
from hub.database import DriverStatement
from hub.errors import N_, NotFound
from hub.extensions import db
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.models import Message

_shipments = Shipment.__table__
_participants = ShipmentParticipant.__table__
_messages = Message.__table__

#: A message row's values but `seq` and `id`, in the order the fast statements bind them.
MESSAGE_COLUMNS = ("shipment_id", "author_id", "kind", "body", "body_html", "client_id", "via", "created_at",
                   "edited_at", "deleted_at", "facts")


def write_message(values: dict[str, Any], author: Principal | None) -> Message:
    """Write a new message (`values`: MESSAGE_COLUMNS): the next `seq` from the shipment's
    counter, the row, the author's read mark. Answers the message, in the session."""
    connection = db.session.connection()
    values.setdefault("facts", None)  # text messages say nothing as data
    counter = _NEXT_SEQ.rows(connection, {"b_shipment": values["shipment_id"], "b_now": values["created_at"]})
    if not counter:
        raise NotFound(N_("Shipment not found."))
    values["seq"] = seq = counter[0].last_seq
    message_id = _INSERT_MESSAGE.rows(connection, values)[0].id
    if author is not None:
        # The author has read their own message.
        _MARK_READ.rows(connection, {"b_shipment": values["shipment_id"], "b_user": author.id, "b_seq": seq})
    return _into_session(message_id, values, author)


def write_message_once(values: dict[str, Any], author: Principal) -> tuple[Message, bool]:
    """PostgreSQL: `write_message` unless the author already sent this `client_id`, in one
    statement (one round trip instead of four). Answers (message, created)."""
    values.setdefault("facts", None)
    parameters = {f"b_{name}": values[name] for name in _SEND_ONCE_COLUMNS}
    row = _SEND_ONCE.rows(db.session.connection(), parameters)[0]
    if row.existing_id is not None:
        return db.session.get_one(Message, row.existing_id), False
    if row.id is None:
        raise NotFound(N_("Shipment not found."))
    values["seq"] = row.seq
    return _into_session(row.id, values, author), True


def message_by_client_id(author_id: int, client_id: str) -> Message | None:
    """The author's message sent with this `client_id`, if any."""
    message_id = db.session.connection().execute(
        _MESSAGE_ID_BY_CLIENT_ID, {"b_author": author_id, "b_client_id": client_id}
    ).scalar()
    return db.session.get(Message, message_id) if message_id is not None else None


def _into_session(message_id: int, values: dict[str, Any], author: Principal | None) -> Message:
    """A message row just written (with its seq, the counter and the read mark) into the
    session as if just loaded, without reading it back."""
    loaded = db.session.identity_map.get(Session.identity_key(Shipment, values["shipment_id"]))
    if loaded is not None:  # keep a shipment this session has read in step with the row
        set_committed_value(loaded, "last_seq", values["seq"])
        set_committed_value(loaded, "updated_at", values["created_at"])
    # A SignedInUser author is no ORM object: `message.author` loads the User when asked.
    message = Message(id=message_id, **values)
    if isinstance(author, User):
        message.author = author
    make_transient_to_detached(message)
    db.session.add(message)
    return message


class ReferenceStore:
    """The same writes through the ORM, plainly: what the fast statements must equal."""

    @staticmethod
    def write_message(values: dict[str, Any], author: Principal | None) -> Message:
        """As `write_message`."""
        shipment = db.session.scalar(select(Shipment).where(Shipment.id == values["shipment_id"])
                                     .with_for_update(of=Shipment))
        if shipment is None:
            raise NotFound(N_("Shipment not found."))
        shipment.last_seq += 1
        shipment.updated_at = values["created_at"]
        values["seq"] = shipment.last_seq
        message = Message(**values)
        db.session.add(message)
        if author is not None:
            participant = db.session.scalar(select(ShipmentParticipant).where(
                ShipmentParticipant.shipment_id == shipment.id, ShipmentParticipant.user_id == author.id))
            if participant is not None and participant.last_read_seq < message.seq:
                participant.last_read_seq = message.seq
        db.session.flush()
        return message


# --- the statements ---------------------------------------------------------------------------

_NEXT_SEQ = DriverStatement(
    update(_shipments)
    .where(_shipments.c.id == bindparam("b_shipment"))
    .values(last_seq=_shipments.c.last_seq + 1, updated_at=bindparam("b_now"))
    .returning(_shipments.c.last_seq)
)
_INSERT_MESSAGE = DriverStatement(insert(_messages).returning(_messages.c.id), (*MESSAGE_COLUMNS, "seq"))
_MARK_READ = DriverStatement(
    update(_participants)
    .where(_participants.c.shipment_id == bindparam("b_shipment"), _participants.c.user_id == bindparam("b_user"),
           _participants.c.last_read_seq < bindparam("b_seq"))
    .values(last_read_seq=bindparam("b_seq"))
)
_MESSAGE_ID_BY_CLIENT_ID = select(_messages.c.id).where(
    _messages.c.author_id == bindparam("b_author"), _messages.c.client_id == bindparam("b_client_id")
)
_SEND_ONCE_COLUMNS = ("shipment_id", "author_id", "kind", "body", "body_html", "client_id", "via", "created_at")


def _send_once_statement() -> Any:
    """The one statement of `write_message_once`. Its data-modifying CTEs all run, in one
    snapshot, under the shipment's locks (the process's, and the advisory lock when processes
    share a message queue): no other send of this shipment from them is between the repeat
    check and the insert; a repeat writes nothing (the counter is not advanced). A repeat racing
    in from another process is refused by the unique (author, client_id) index instead, and
    answered the original by the caller."""
    existing = (
        select(_messages.c.id)
        .where(_messages.c.author_id == bindparam("b_author_id"), _messages.c.client_id == bindparam("b_client_id"))
        .cte("existing")
    )
    next_seq = (
        update(_shipments)
        .where(_shipments.c.id == bindparam("b_shipment_id"), ~exists(select(existing.c.id)))
        .values(last_seq=_shipments.c.last_seq + 1,
                updated_at=bindparam("b_created_at", type_=_messages.c.created_at.type))
        .returning(_shipments.c.last_seq)
        .cte("next_seq")
    )
    posted = (
        insert(_messages)
        .from_select(
            [*_SEND_ONCE_COLUMNS, "seq"],
            # Typed: the driver then casts each parameter to its column's type. (Named unlike any
            # column: SQLAlchemy takes a parameter named as a column for that column's value.)
            select(*(bindparam(f"b_{name}", type_=_messages.c[name].type) for name in _SEND_ONCE_COLUMNS),
                   next_seq.c.last_seq),
        )
        .returning(_messages.c.id, _messages.c.seq)
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


_SEND_ONCE = DriverStatement(_send_once_statement())
