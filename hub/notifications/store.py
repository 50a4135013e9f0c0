"""The notification area's fast statements: what every message send asks of it (who wants
which email, the pending digests), run on the driver (see `hub.database.DriverStatement`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.accounts.models import User
from hub.database import DriverStatement
from hub.extensions import db
from hub.notifications.models import NotificationPreference, PendingDigest
from hub.shipments.models import ShipmentParticipant
from hub.timestamps import utcnow


def participants_with_preferences(shipment_id: int, actor_id: int | None) -> list[Any]:
    """The shipment's active participants but the actor, each with their preference rows for
    the shipment and their default (none: one row of NULLs), lowest preference id first, and
    whether a digest of the thread is already due for them (`digest_due`)."""
    return _PARTICIPANTS_WITH_PREFERENCES.rows(db.session.connection(),
                                               {"b_shipment": shipment_id, "b_author": actor_id or 0})


def upsert_digests(user_ids: list[int], shipment_id: int, due: datetime) -> None:
    """Make each user's digest of the thread due at `due` unless one is already due earlier;
    one statement (the poster holds the shipment's lock, as does the digest worker)."""
    if not user_ids:
        return
    connection = db.session.connection()
    now = utcnow()
    _UPSERT_DIGEST[connection.dialect.name].run_many(connection, [
        {"b_user": user_id, "b_shipment": shipment_id, "b_due": due, "b_now": now} for user_id in user_ids
    ])


_participant = ShipmentParticipant.__table__
_user = User.__table__
_preference = NotificationPreference.__table__
_digest = PendingDigest.__table__
_PARTICIPANTS_WITH_PREFERENCES = DriverStatement(
    select(_user.c.id.label("person_id"), _user.c.role.label("person_role"), _preference.c.user_id,
           _preference.c.shipment_id, _preference.c.level, _preference.c.muted_milestones,
           select(_digest.c.id)
           .where(_digest.c.user_id == _user.c.id, _digest.c.shipment_id == _participant.c.shipment_id,
                  _digest.c.due_at.is_not(None))
           .exists().label("digest_due"))
    .select_from(
        _participant.join(_user, _user.c.id == _participant.c.user_id).outerjoin(
            _preference,
            and_(_preference.c.user_id == _user.c.id,
                 or_(_preference.c.shipment_id == _participant.c.shipment_id, _preference.c.shipment_id.is_(None))),
        )
    )
    .where(_participant.c.shipment_id == bindparam("b_shipment"), _user.c.active.is_(True),
           _user.c.id != bindparam("b_author"))
    .order_by(_user.c.id, _preference.c.id)
)


def _upsert_digest_statement(insert: Any) -> Any:
    table = PendingDigest.__table__
    statement = insert(table).values(user_id=bindparam("b_user"), shipment_id=bindparam("b_shipment"),
                                     due_at=bindparam("b_due"), last_digested_seq=0, updated_at=bindparam("b_now"))
    return statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.shipment_id],
        set_={"due_at": statement.excluded.due_at, "updated_at": statement.excluded.updated_at},
        # An earlier unread message already set the (earlier) due time: leave it.
        where=table.c.due_at.is_(None),
    )


_UPSERT_DIGEST = {"postgresql": DriverStatement(_upsert_digest_statement(postgresql_insert)),
                  "sqlite": DriverStatement(_upsert_digest_statement(sqlite_insert))}


