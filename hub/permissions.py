"""The one place that answers "may this user do this to this shipment".

Staff (admin, coordinator) of the owner organization may do everything to its
shipments. Partners see only shipments they take part in; an observer only reads.
A shipment the user may not see is reported as not found, never forbidden.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from sqlalchemy import Select, bindparam, exists, select

from hub.accounts.models import SIGNED_IN_USER_COLUMNS, Organization, Principal, SignedInUser, User
from hub.database import DriverStatement
from hub.errors import Forbidden, NotFound
from hub.extensions import db
from hub.shipments.models import Shipment, ShipmentParticipant


class Action(Enum):
    """What a user may try to do to a shipment."""

    VIEW = "view"
    POST_MESSAGE = "post_message"
    RECORD_MILESTONE = "record_milestone"
    UPLOAD_DOCUMENT = "upload_document"
    REQUEST_DOCUMENT = "request_document"
    REVIEW_DOCUMENT = "review_document"
    EDIT_SHIPMENT = "edit_shipment"
    MANAGE_PARTICIPANTS = "manage_participants"


# Participant roles allowed each action; staff of the owner may do all of them.
_ROLES_FOR: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset({"coordinator", "agent", "broker", "forwarder", "observer"}),
    Action.POST_MESSAGE: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.RECORD_MILESTONE: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.UPLOAD_DOCUMENT: frozenset({"coordinator", "agent", "broker", "forwarder"}),
    Action.REQUEST_DOCUMENT: frozenset({"coordinator", "agent", "broker"}),
    Action.REVIEW_DOCUMENT: frozenset({"coordinator", "agent", "broker"}),
    Action.EDIT_SHIPMENT: frozenset(),
    Action.MANAGE_PARTICIPANTS: frozenset(),
}


def is_owner_staff(user: Principal, shipment: Shipment) -> bool:
    """Admin or coordinator of the organization that owns the shipment."""
    return _is_staff_of(user, shipment.owner_org_id)


def _is_staff_of(user: Principal, owner_org_id: int) -> bool:
    return user.is_active and user.is_staff and user.organization_id == owner_org_id


def participant_role(user: Principal, shipment: Shipment) -> str | None:
    """The user's role on the shipment, or None."""
    return db.session.execute(  # the session's: it flushes a participant added just before
        _PARTICIPANT_ROLE, {"b_shipment": shipment.id, "b_user": user.id}
    ).scalar()


# Asked by nearly every request and socket event: built once.
_PARTICIPANT_ROLE = select(ShipmentParticipant.__table__.c.role).where(
    ShipmentParticipant.__table__.c.shipment_id == bindparam("b_shipment"),
    ShipmentParticipant.__table__.c.user_id == bindparam("b_user"),
)
_OWNER_AND_ROLE = (
    select(Shipment.__table__.c.owner_org_id, ShipmentParticipant.__table__.c.role)
    .select_from(Shipment.__table__.outerjoin(
        ShipmentParticipant.__table__,
        (ShipmentParticipant.__table__.c.shipment_id == Shipment.__table__.c.id)
        & (ShipmentParticipant.__table__.c.user_id == bindparam("b_user")),
    ))
    .where(Shipment.__table__.c.id == bindparam("b_shipment"))
)


def can(user: Principal, action: Action, shipment: Shipment) -> bool:
    """Whether `user` may do `action` to `shipment`."""
    if not _signed_in(user):
        return False
    if is_owner_staff(user, shipment):
        return True
    role = participant_role(user, shipment)
    return role is not None and role in _ROLES_FOR[action]


def authorize(user: Principal, action: Action, shipment: Shipment) -> None:
    """Raise NotFound when the user may not see the shipment, Forbidden when they may not act."""
    if not _signed_in(user):
        raise NotFound("Shipment not found.")
    _decide(user, shipment.owner_org_id, lambda: participant_role(user, shipment), action)


def authorize_on(user: Principal, shipment_id: int, action: Action) -> None:
    """`authorize` for a shipment known by its id, in one query and without loading it (the
    path of every message sent)."""
    if not _signed_in(user):
        raise NotFound("Shipment not found.")
    row = db.session.execute(_OWNER_AND_ROLE, {"b_shipment": shipment_id, "b_user": user.id}).first()
    if row is None:
        raise NotFound("Shipment not found.")
    _decide(user, row.owner_org_id, lambda: row.role, action)


_users = User.__table__
_USER_WITH_OWNER_AND_ROLE = DriverStatement(
    select(*SIGNED_IN_USER_COLUMNS, Shipment.__table__.c.owner_org_id,
           ShipmentParticipant.__table__.c.role.label("participant_role"))
    .select_from(
        _users.join(Organization.__table__, Organization.__table__.c.id == _users.c.organization_id)
        .outerjoin(Shipment.__table__, Shipment.__table__.c.id == bindparam("b_shipment"))
        .outerjoin(ShipmentParticipant.__table__,
                   (ShipmentParticipant.__table__.c.shipment_id == Shipment.__table__.c.id)
                   & (ShipmentParticipant.__table__.c.user_id == _users.c.id))
    )
    .where(_users.c.id == bindparam("b_user"))
)


def signed_in_user_authorized_on(user_id: int, shipment_id: int, action: Action) -> SignedInUser | None:
    """`signed_in_user` and `authorize_on` in one query (every socket `send` and `typing`):
    None when the user is gone or deactivated; NotFound / Forbidden as `authorize_on`."""
    rows = _USER_WITH_OWNER_AND_ROLE.rows(db.session.connection(), {"b_user": user_id, "b_shipment": shipment_id})
    row = rows[0] if rows else None
    if row is None or not row.active:
        return None
    user = SignedInUser(**{column.key: getattr(row, column.key) for column in SIGNED_IN_USER_COLUMNS})
    if row.owner_org_id is None:
        raise NotFound("Shipment not found.")
    _decide(user, row.owner_org_id, lambda: row.participant_role, action)
    return user


def _signed_in(user: Principal | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _decide(user: Principal, owner_org_id: int, role: Callable[[], str | None], action: Action) -> None:
    """The rule of `authorize`, whichever way the facts were read: staff of the owner may do
    everything; anyone else acts by their participant role (asked for only then)."""
    if _is_staff_of(user, owner_org_id):
        return
    _check_role(role(), action)


def _check_role(role: str | None, action: Action) -> None:
    # One lookup of the role decides both questions (as `can` would for VIEW, then `action`).
    if role is None or role not in _ROLES_FOR[Action.VIEW]:
        raise NotFound("Shipment not found.")
    if role not in _ROLES_FOR[action]:
        raise Forbidden(_forbidden_message(action))


def get_shipment_for(user: Principal, shipment_id: int, action: Action = Action.VIEW) -> Shipment:
    """Load a shipment the user may act on, or raise NotFound / Forbidden."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("Shipment not found.")
    authorize(user, action, shipment)
    return shipment


def can_create_shipments(user: User) -> bool:
    """Only staff of a shipper create shipments."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def require_staff(user: User) -> None:
    """Raise Forbidden unless the user is staff (admin or coordinator)."""
    if not can_create_shipments(user):
        raise Forbidden("Only coordinators and admins may do this.")


def require_admin(user: User) -> None:
    """Raise Forbidden unless the user is an admin."""
    if not (user and user.is_authenticated and user.is_active and user.role == "admin"):
        raise Forbidden("Only admins may do this.")


def visible_shipments(user: User) -> Select[tuple[Shipment]]:
    """A query of every shipment the user may see."""
    query = select(Shipment)
    is_participant = exists().where(
        ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id
    )
    if user.is_staff:
        return query.where((Shipment.owner_org_id == user.organization_id) | is_participant)
    return query.where(is_participant)


def _forbidden_message(action: Action) -> str:
    return {
        Action.POST_MESSAGE: "Observers read the thread but may not post.",
        Action.RECORD_MILESTONE: "You may not record milestones on this shipment.",
        Action.UPLOAD_DOCUMENT: "You may not upload documents to this shipment.",
        Action.REQUEST_DOCUMENT: "You may not request documents on this shipment.",
        Action.REVIEW_DOCUMENT: "You may not review documents on this shipment.",
        Action.EDIT_SHIPMENT: "Only the owner's coordinators may edit this shipment.",
        Action.MANAGE_PARTICIPANTS: "Only the owner's coordinators may manage participants.",
    }.get(action, "You may not do this.")
