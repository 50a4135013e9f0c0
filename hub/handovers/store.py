"""The hand-over statements: the open period of a shipment (with its author's facts, in one
indexed read on the send path) and the writes when the ball changes hands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, insert, select, update

from hub.accounts.models import STAFF_ROLES, User
from hub.database import DriverStatement
from hub.extensions import db
from hub.handovers.models import Handover
from hub.handovers.rules import Change, Holder, Person
from hub.shipments.models import ShipmentParticipant
from hub.threads.models import MessageMention

_handovers = Handover.__table__
_users = User.__table__
_answerers = _users.alias("answerer")


@dataclass(frozen=True)
class OpenPeriod:
    """The open period's row id and who it says holds the ball."""

    row_id: int
    holder: Holder


_OPEN_COLUMNS = (_handovers.c.id, _handovers.c.party, _handovers.c.user_id, _handovers.c.organization_id,
                 _handovers.c.answered_by_id, _answerers.c.organization_id.label("answerer_org"),
                 _answerers.c.role.label("answerer_role"))

# The author's facts and the shipment's open period in one statement: the author's row drives
# it, the open period joins on (shipment_id, until IS NULL), which the index answers. Run as
# driver statements (hub.database), like the thread's own send statements: the ORM's work
# around an execution costs more than the database's.
_AUTHOR_AND_OPEN = DriverStatement(
    select(_users.c.role.label("author_role"), _users.c.organization_id.label("author_org"), *_OPEN_COLUMNS)
    .select_from(
        _users.outerjoin(_handovers, and_(_handovers.c.shipment_id == bindparam("b_shipment"),
                                          _handovers.c.until.is_(None)))
        .outerjoin(_answerers, _answerers.c.id == _handovers.c.answered_by_id)
    )
    .where(_users.c.id == bindparam("b_author"))
    .order_by(_handovers.c.id.desc())
    .limit(1)
)
_OPEN = DriverStatement(
    select(*_OPEN_COLUMNS)
    .select_from(_handovers.outerjoin(_answerers, _answerers.c.id == _handovers.c.answered_by_id))
    .where(_handovers.c.shipment_id == bindparam("b_shipment"), _handovers.c.until.is_(None))
    .order_by(_handovers.c.id.desc())
    .limit(1)
)


def _period(row: object) -> OpenPeriod | None:
    if row is None or row.id is None:
        return None
    answered_by = None
    if row.answered_by_id is not None:
        answered_by = Person(row.answered_by_id, row.answerer_org, row.answerer_role in STAFF_ROLES)
    return OpenPeriod(row.id, Holder(row.party, row.user_id, row.organization_id, answered_by))


def author_and_open_period(author_id: int, shipment_id: int) -> tuple[Person | None, OpenPeriod | None]:
    """The author as a `Person` and the shipment's open period: one indexed read."""
    rows = _AUTHOR_AND_OPEN.rows(db.session.connection(), {"b_shipment": shipment_id, "b_author": author_id})
    row = rows[0] if rows else None
    if row is None:
        return None, None
    return Person(author_id, row.author_org, row.author_role in STAFF_ROLES), _period(row)


def open_period(shipment_id: int) -> OpenPeriod | None:
    """The shipment's open period, if the ball has been passed at all."""
    rows = _OPEN.rows(db.session.connection(), {"b_shipment": shipment_id})
    return _period(rows[0] if rows else None)


def person(user: User) -> Person:
    """A loaded user as a `Person`."""
    return Person(user.id, user.organization_id, user.is_staff)


def apply_change(shipment_id: int, current: OpenPeriod | None, change: Change, at: datetime) -> None:
    """Store `change` in the caller's transaction: close the open period and open the next, or
    (same holder) remember whom staff owe an answer."""
    holder = change.holder
    answered_by = holder.answered_by.user_id if holder.answered_by is not None else None
    connection = db.session.connection()
    if not change.handed and current is not None:
        _SET_ANSWERED.rows(connection, {"b_id": current.row_id, "b_answered": answered_by})
        return
    if current is not None:
        _CLOSE.rows(connection, {"b_id": current.row_id, "b_until": at})
    _INSERT.rows(connection, {
        "shipment_id": shipment_id, "party": holder.party, "user_id": holder.user_id,
        "organization_id": holder.organization_id, "since": at, "until": None, "cause": change.cause,
        "answered_by_id": answered_by,
    })


_SET_ANSWERED = DriverStatement(update(_handovers).where(_handovers.c.id == bindparam("b_id"))
                                .values(answered_by_id=bindparam("b_answered")))
_CLOSE = DriverStatement(update(_handovers).where(_handovers.c.id == bindparam("b_id"))
                         .values(until=bindparam("b_until", type_=_handovers.c.until.type)))
_INSERT = DriverStatement(insert(_handovers), ("shipment_id", "party", "user_id", "organization_id", "since", "until",
                                               "cause", "answered_by_id"))

def mentioned_partners(message_id: int, shipment_id: int, body: str) -> list[Person]:
    """The partners a message mentions (no staff, no observers), in the order the body names them."""
    rows = db.session.execute(
        select(User.id, User.email, User.role, User.organization_id)
        .join(MessageMention, MessageMention.user_id == User.id)
        .join(ShipmentParticipant, and_(ShipmentParticipant.user_id == User.id,
                                        ShipmentParticipant.shipment_id == shipment_id))
        .where(MessageMention.message_id == message_id, ShipmentParticipant.role != "observer")
    ).all()
    lowered = body.lower()
    found = []
    for user_id, email, role, organization_id in rows:
        if role in STAFF_ROLES:
            continue
        position = lowered.find("@" + email.split("@", 1)[0].lower())
        found.append((position if position >= 0 else len(lowered), user_id, Person(user_id, organization_id, False)))
    return [person for _position, _id, person in sorted(found, key=lambda item: (item[0], item[1]))]
