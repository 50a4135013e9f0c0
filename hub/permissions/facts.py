"""The facts the permission rules decide on, loaded in as few queries as each path allows
(the rules themselves are pure: `hub.permissions.rules`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, bindparam, exists, or_, select

from hub.accounts.models import SIGNED_IN_USER_COLUMNS, Organization, Principal, SignedInUser, User
from hub.audit.models import AuditLog
from hub.database import DriverStatement
from hub.errors import N_, NotFound
from hub.extensions import db
from hub.permissions.rules import Action, allows, decide, is_staff_of, signed_in
from hub.shipments.models import Shipment, ShipmentParticipant


def is_owner_staff(user: Principal, shipment: Shipment) -> bool:
    """Admin or coordinator of the organization that owns the shipment."""
    return is_staff_of(user, shipment.owner_org_id)


@dataclass(frozen=True)
class Access:
    """What a check answers when `user` may `action` the shipment: the do step's proof."""

    user: Principal
    shipment_id: int
    action: Action


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
    if not signed_in(user):
        return False
    if is_staff_of(user, shipment.owner_org_id):
        return True
    return allows(user, shipment.owner_org_id, participant_role(user, shipment), action)


def authorize(user: Principal, action: Action, shipment: Shipment) -> Access:
    """Raise NotFound when the user may not see the shipment, Forbidden when they may not act."""
    decide(user, shipment.owner_org_id, lambda: participant_role(user, shipment), action)
    return Access(user, shipment.id, action)


def owner_and_role(user: Principal, shipment_id: int) -> tuple[int, str | None] | None:
    """(owner organization, the user's participant role or None) of a shipment, in one query;
    None when the shipment does not exist."""
    row = db.session.execute(_OWNER_AND_ROLE, {"b_shipment": shipment_id, "b_user": user.id}).first()
    return (row.owner_org_id, row.role) if row is not None else None


def authorize_on(user: Principal, shipment_id: int, action: Action) -> Access:
    """`authorize` for a shipment known by its id, in one query and without loading it (the
    path of every message sent)."""
    if not signed_in(user):
        raise NotFound(N_("Shipment not found."))
    facts = owner_and_role(user, shipment_id)
    if facts is None:
        raise NotFound(N_("Shipment not found."))
    decide(user, facts[0], facts[1], action)
    return Access(user, shipment_id, action)


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


def signed_in_user_authorized_on(user_id: int, shipment_id: int, action: Action) -> Access | None:
    """The user (as `signed_in_user`) and their access, in one query (every socket `send` and
    `typing`): None when the user is gone or deactivated; NotFound / Forbidden as `authorize_on`."""
    rows = _USER_WITH_OWNER_AND_ROLE.rows(db.session.connection(), {"b_user": user_id, "b_shipment": shipment_id})
    row = rows[0] if rows else None
    if row is None or not row.active:
        return None
    user = SignedInUser(**{column.key: getattr(row, column.key) for column in SIGNED_IN_USER_COLUMNS})
    if row.owner_org_id is None:
        raise NotFound(N_("Shipment not found."))
    decide(user, row.owner_org_id, row.participant_role, action)
    return Access(user, shipment_id, action)


def get_shipment_for(user: Principal, shipment_id: int, action: Action = Action.VIEW) -> Shipment:
    """Load a shipment the user may act on, or raise NotFound / Forbidden."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(N_("Shipment not found."))
    authorize(user, action, shipment)
    return shipment


def visible_shipments(user: User) -> Select[tuple[Shipment]]:
    """A query of every shipment the user may see."""
    query = select(Shipment)
    is_participant = exists().where(
        ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id
    )
    if user.is_staff:
        return query.where((Shipment.owner_org_id == user.organization_id) | is_participant)
    return query.where(is_participant)


def _invitable_organizations(user: Principal) -> Select[tuple[Organization]]:
    partner_orgs = select(User.organization_id).where(User.id.in_(_partner_user_ids(user)))
    return select(Organization).where(
        or_(Organization.id == user.organization_id,
            Organization.id.in_(partner_orgs) & (Organization.kind != "shipper"))
    )


def visible_organizations(user: Principal) -> list[Organization]:
    """Organizations a coordinator may pick when inviting: their own and the partner
    organizations of people who are or were on their organization's shipments (never every
    partner on the hub, which would show one shipper's partners to another, and never
    another shipper)."""
    return list(db.session.scalars(_invitable_organizations(user).order_by(Organization.name)))


def _partner_user_ids(user: Principal) -> Select[tuple[int]]:
    """Ids of people who are, or were, on a shipment of the user's organization."""
    owned = select(Shipment.id).where(Shipment.owner_org_id == user.organization_id)
    current = select(ShipmentParticipant.user_id).where(ShipmentParticipant.shipment_id.in_(owned))
    # A removal leaves no participant row; the audit log remembers who was on the shipment.
    former = select(AuditLog.target_id).where(
        AuditLog.action == "participant.remove", AuditLog.target_type == "user", AuditLog.shipment_id.in_(owned)
    )
    return current.union(former)


def visible_user_ids(user: Principal) -> Select[tuple[int]]:
    """Ids of the people a staff member may name by id: their organization's people and the
    partners who are or were on one of its shipments (nobody else's address is theirs to read)."""
    return select(User.id).where(
        or_(User.organization_id == user.organization_id, User.id.in_(_partner_user_ids(user)))
    )


def find_visible_user(user: Principal, user_id: int) -> User:
    """A user the caller may name by id, or NotFound (the same whether hidden or missing)."""
    found = db.session.scalar(select(User).where(User.id == user_id, User.id.in_(visible_user_ids(user))))
    if found is None:
        raise NotFound(N_("User not found."))
    return found


def is_visible_user(user: Principal, user_id: int) -> bool:
    """Whether the caller may already name this user (see `visible_user_ids`): then they may
    add them to a shipment directly; anyone else is invited and takes part once they accept."""
    return db.session.scalar(select(User.id).where(User.id == user_id, User.id.in_(visible_user_ids(user)))) is not None


def find_invitable_organization(user: Principal, organization_id: int) -> Organization:
    """An organization the caller may invite people into (see `visible_organizations`), or
    NotFound, the same whether hidden or missing."""
    found = db.session.scalar(_invitable_organizations(user).where(Organization.id == organization_id))
    if found is None:
        raise NotFound(N_("Organization not found."))
    return found
