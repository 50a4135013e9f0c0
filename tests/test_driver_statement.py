"""`DriverStatement`: a Core statement run on the driver's cursor reads and writes values exactly
as the ORM does (the application's column types), and fails with SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import User
from hub.database import DriverStatement
from hub.extensions import db
from hub.notifications.models import NotificationPreference
from hub.shipments.models import Shipment
from hub.threads.models import Message

_messages = Message.__table__
_INSERT = DriverStatement(
    insert(_messages).returning(_messages.c.id, _messages.c.created_at),
    ("shipment_id", "author_id", "kind", "body", "body_html", "client_id", "via", "created_at", "seq"),
)
_shipments = Shipment.__table__
_NEXT = DriverStatement(
    update(_shipments).where(_shipments.c.id == bindparam("b_id"))
    .values(last_seq=_shipments.c.last_seq + 1, updated_at=bindparam("b_now")).returning(_shipments.c.last_seq)
)
_PREFERENCES = DriverStatement(
    select(NotificationPreference.__table__.c.muted_milestones, User.__table__.c.active.label("user_active"))
    .join_from(NotificationPreference.__table__, User.__table__)
    .where(NotificationPreference.__table__.c.user_id == bindparam("b_user"))
)


def _row(world, at: datetime, client_id: str = "c-1") -> dict[str, object]:
    return {"shipment_id": world.shipment.id, "author_id": world.agent.id, "kind": "text", "body": "b",
            "body_html": "<p>b</p>", "client_id": client_id, "via": "api", "created_at": at, "seq": 1}


def test_written_values_read_back_through_the_orm_unchanged(app, world):
    at = datetime(2026, 11, 30, 13, 45, 7, 123456, tzinfo=UTC)
    [row] = _INSERT.rows(db.session.connection(), _row(world, at))
    db.session.commit()

    assert row.created_at == at  # RETURNING converted by the column's own type
    message = db.session.get(Message, row.id)
    assert message.created_at == at and message.created_at.tzinfo is not None
    assert (message.body, message.client_id, message.seq) == ("b", "c-1", 1)


def test_literals_of_the_statement_are_bound_with_the_callers_values(app, world):
    before = world.shipment.last_seq
    connection = db.session.connection()
    now = datetime.now(UTC)
    assert [r.last_seq for r in _NEXT.rows(connection, {"b_id": world.shipment.id, "b_now": now})] == [before + 1]
    assert [r.last_seq for r in _NEXT.rows(connection, {"b_id": world.shipment.id, "b_now": now})] == [before + 2]
    assert _NEXT.rows(connection, {"b_id": 999_999, "b_now": now}) == []


def test_a_column_left_to_its_python_default_is_refused_not_written_empty(app, world):
    # `updated_at` has onupdate=utcnow, which only SQLAlchemy's own execution would compute.
    without_updated_at = DriverStatement(
        update(_shipments).where(_shipments.c.id == bindparam("b_id")).values(last_seq=_shipments.c.last_seq + 1)
    )
    with pytest.raises(ValueError, match="updated_at"):
        without_updated_at.rows(db.session.connection(), {"b_id": world.shipment.id})


def test_rows_come_back_named_and_typed(app, world):
    db.session.add(NotificationPreference(user_id=world.broker.id, shipment_id=None, level="all",
                                          muted_milestones=["customs_hold"]))
    db.session.commit()

    [row] = _PREFERENCES.rows(db.session.connection(), {"b_user": world.broker.id})

    assert row.muted_milestones == ["customs_hold"]  # JSON decoded
    assert row.user_active is True  # a boolean, also where the database stores 1


def test_a_constraint_fails_with_sqlalchemys_error_and_the_transaction_rolls_back(app, world):
    at = datetime(2026, 11, 30, tzinfo=UTC)
    _INSERT.rows(db.session.connection(), _row(world, at, "same"))
    db.session.commit()

    with pytest.raises(IntegrityError):
        _INSERT.rows(db.session.connection(), _row(world, at, "same"))
    db.session.rollback()

    assert db.session.scalar(select(_messages.c.client_id).where(_messages.c.client_id == "same")) == "same"
    assert len(db.session.scalars(select(Message)).all()) == 1


def test_the_engines_cursor_events_see_it(app, world):
    seen: list[tuple[str, object]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many):
        seen.append(("before", statement))

    def after(_conn, _cursor, statement, parameters, _context, _many):
        seen.append(("after", statement))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        _NEXT.rows(db.session.connection(), {"b_id": world.shipment.id, "b_now": datetime.now(UTC)})
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)

    assert [when for when, statement in seen if statement.startswith("UPDATE shipments")] == ["before", "after"]
