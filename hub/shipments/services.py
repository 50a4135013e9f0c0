"""Shipment actions: create, edit, list, participants and invitations."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from hub import reference_data as ref
from hub.accounts import services as accounts
from hub.accounts.models import LOCALES, ORGANIZATION_KINDS, User, find_user_by_email
from hub.audit import record_audit
from hub.business_days import supported_subdivisions
from hub.database import flush_new
from hub.errors import N_, Conflict, NotFound, Text, ValidationFailed
from hub.extensions import db
from hub.payload import Parser, check_fields, integer_id, one_of, optional, text
from hub.permissions import (
    Action,
    authorize,
    find_invitable_organization,
    find_visible_user,
    is_visible_user,
    require_staff,
    visible_shipments,
)
from hub.shipment_tx import shipment_transaction
from hub.shipments.extras import apply_list_filter, list_order_terms
from hub.shipments.models import (
    INCOTERMS,
    PARTICIPANT_ROLES,
    TRANSPORT_MODES,
    Shipment,
    ShipmentInvitation,
    ShipmentParticipant,
)
from hub.signals import participant_added, participant_invited, participant_removed, shipment_saved
from hub.timestamps import parse_timestamp, to_iso, utcnow

SHIPMENT_FIELDS: dict[str, Parser] = {
    "reference": text(64, 1),
    "origin_country": ref.country_code,
    "destination_country": ref.country_code,
    "port_of_entry": optional(text(100)),
    "transport_mode": one_of(TRANSPORT_MODES),
    "incoterm": optional(one_of(INCOTERMS)),
    "goods_description": optional(text(2000, multiline=True)),
    "hs_codes": ref.hs_codes,
    "declared_value": optional(ref.money),
    "currency": optional(ref.currency_code),
    "etd": optional(parse_timestamp),
    "eta": optional(parse_timestamp),
    "port_of_entry_subdivision": optional(text(10)),
    "transport_document_number": optional(ref.document_number),
    "container_numbers": ref.container_numbers,
    "carrier": optional(text(200)),
    "vessel_or_flight": optional(text(100)),
    "purchase_order": optional(ref.document_number),
    "customs_entry_number": optional(ref.document_number),
    "consignee": optional(text(200)),
    "supplier": optional(text(200)),
    "port_of_loading": optional(text(100)),
}
REQUIRED_ON_CREATE = frozenset({"reference", "origin_country", "destination_country", "transport_mode"})


def check_shipment(body: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """Parse shipment fields (422 with `fields` when invalid)."""
    values = check_fields(body, SHIPMENT_FIELDS, REQUIRED_ON_CREATE if creating else frozenset())
    return values


def _check_consistency(shipment_values: Mapping[str, Any]) -> None:
    errors = {}
    etd, eta = shipment_values.get("etd"), shipment_values.get("eta")
    if etd and eta and eta < etd:
        errors["eta"] = N_("must not be before etd")
    if shipment_values.get("declared_value") is not None and not shipment_values.get("currency"):
        errors["currency"] = N_("is required with declared_value")
    subdivision = shipment_values.get("port_of_entry_subdivision")
    if subdivision:
        known = supported_subdivisions(shipment_values.get("destination_country") or "")
        if subdivision.upper() not in known:
            errors["port_of_entry_subdivision"] = (
                Text(N_("must be one of the destination's subdivisions: %(choices)s"), choices=", ".join(known))
                if known else N_("the destination country has no subdivisions with their own holidays")
            )
    if errors:
        raise ValidationFailed(N_("Some fields are invalid."), fields=errors)


def _normalize(values: dict[str, Any]) -> dict[str, Any]:
    # Empty texts of optional fields mean "none"; subdivision codes are upper case.
    for key, value in values.items():
        if key != "reference" and value == "":
            values[key] = None
    if values.get("port_of_entry_subdivision"):
        values["port_of_entry_subdivision"] = values["port_of_entry_subdivision"].upper()
    return values


def create_shipment(user: User, body: Mapping[str, Any]) -> Shipment:
    """Create a shipment owned by the user's organization; the creator becomes its coordinator."""
    require_staff(user)
    values = _normalize(check_shipment(body, creating=True))
    _check_consistency(values)
    if _reference_taken(user.organization_id, values["reference"]):
        raise Conflict(N_("A shipment with this reference already exists."), fields={"reference": N_("already used")})
    shipment = Shipment(owner_org_id=user.organization_id, created_by_id=user.id, **values)
    shipment.participants.append(ShipmentParticipant(user=user, role="coordinator", added_by_id=user.id))
    flush_new(shipment, Conflict("A shipment with this reference already exists.", fields={"reference": N_("already used")}))
    record_audit(user, "shipment.create", "shipment", shipment.id, {"reference": shipment.reference}, shipment.id)
    shipment_saved.send(shipment, actor=user, changed=frozenset(values), created=True)
    db.session.commit()
    return shipment


def update_shipment(user: User, shipment: Shipment, body: Mapping[str, Any]) -> Shipment:
    """Edit a shipment's fields (staff of the owner only)."""
    authorize(user, Action.EDIT_SHIPMENT, shipment)
    values = _normalize(check_shipment(body, creating=False))
    for required in REQUIRED_ON_CREATE & values.keys():
        if values[required] is None:
            raise ValidationFailed(N_("Some fields are invalid."), fields={required: N_("is required")})
    merged = {k: getattr(shipment, k) for k in SHIPMENT_FIELDS} | values
    _check_consistency(merged)
    if "reference" in values and values["reference"] != shipment.reference:
        if _reference_taken(shipment.owner_org_id, values["reference"]):
            raise Conflict(N_("A shipment with this reference already exists."), fields={"reference": N_("already used")})
    changed = {k: str(v) for k, v in values.items() if getattr(shipment, k) != v}
    for key, value in values.items():
        setattr(shipment, key, value)
    record_audit(user, "shipment.update", "shipment", shipment.id, {"changed": changed}, shipment.id)
    try:
        db.session.flush()
        shipment_saved.send(shipment, actor=user, changed=frozenset(changed), created=False)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("A shipment with this reference already exists."), fields={"reference": N_("already used")}) from None
    return shipment


def _reference_taken(org_id: int, reference: str) -> bool:
    return (
        db.session.scalar(
            select(Shipment.id).where(Shipment.owner_org_id == org_id, Shipment.reference == reference)
        )
        is not None
    )


def list_shipments(
    user: User,
    *,
    search: str | None = None,
    country: str | None = None,
    mode: str | None = None,
    status: str | None = None,
    shows: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[tuple[Shipment, int]], int]:
    """The user's visible shipments, most urgent first (the orders areas register, e.g. open
    risk flags), then newest first, with the caller's unread count each.

    `search` looks in the reference, goods, HS codes, transport document, container, purchase
    order and customs entry numbers; `shows` is one of the filters areas register (`overdue`,
    `arriving_this_week`). Two queries whatever the page size: the count and the page with
    unread counts.
    """
    query = visible_shipments(user)
    if search and search.strip():
        query = query.where(search_condition(search))
    if shows:
        query = apply_list_filter(shows, user, query)
    if country:
        query = query.where(or_(Shipment.destination_country == country.upper(), Shipment.origin_country == country.upper()))
    if mode:
        query = query.where(Shipment.transport_mode == mode)
    if status:
        query = query.where(Shipment.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    read_seq = (
        select(ShipmentParticipant.last_read_seq)
        .where(ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id)
        .correlate(Shipment)
        .scalar_subquery()
    )
    unread = (Shipment.last_seq - func.coalesce(read_seq, Shipment.last_seq)).label("unread")
    ordering = (*list_order_terms(user), Shipment.updated_at.desc(), Shipment.id.desc())
    # The page's ids are chosen first and only then are their rows (with the unread count)
    # read: sorting the ids alone keeps the database from carrying every visible shipment's
    # whole row through the sort (a third of the time at 1,000 shipments on SQLite).
    page_ids = query.with_only_columns(Shipment.id).order_by(*ordering).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(
        select(Shipment).where(Shipment.id.in_(page_ids)).add_columns(unread).order_by(*ordering)
    ).all()
    return [(row[0], int(row[1] or 0)) for row in rows], total


def search_condition(search: str) -> ColumnElement[bool]:
    """Any of the numbers and words people look a shipment up by contains `search`."""
    term = search.strip()
    # Container numbers are stored without spaces or dashes: "CSQU 305438 3" finds CSQU3054383.
    compact = "".join(term.split()).replace("-", "").upper()
    return or_(
        Shipment.reference.icontains(term, autoescape=True),
        Shipment.goods_description.icontains(term, autoescape=True),
        cast(Shipment.hs_codes, String).icontains(term, autoescape=True),
        Shipment.transport_document_number.icontains(term, autoescape=True),
        cast(Shipment.container_numbers, String).icontains(compact or term, autoescape=True),
        Shipment.purchase_order.icontains(term, autoescape=True),
        Shipment.customs_entry_number.icontains(term, autoescape=True),
    )


def unread_count(user: User, shipment: Shipment) -> int:
    """Messages after the caller's last read seq (0 for staff who are not participants)."""
    participant = shipment.participant(user)
    if participant is None:
        return 0
    return max(0, shipment.last_seq - participant.last_read_seq)


def shipment_view(user: User, shipment: Shipment, unread: int | None = None) -> dict[str, Any]:
    """The shipment object with the caller's `unread_count`."""
    data = shipment.to_dict()
    data["unread_count"] = unread_count(user, shipment) if unread is None else unread
    return data


# --- participants -------------------------------------------------------------------------

PARTICIPANT_FIELDS: dict[str, Parser] = {
    "user_id": integer_id,
    "email": accounts.check_email,
    "role": one_of(PARTICIPANT_ROLES),
    "organization_id": integer_id,
    "organization": lambda v: v,
    "name": text(200, 1),
    # A new partner's language and time zone (invitations only; an existing user keeps theirs).
    "locale": one_of(LOCALES),
    "time_zone": ref.time_zone,
}


def _check_new_organization(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationFailed(N_("Some fields are invalid."), fields={"organization": N_("must be an object")})
    return check_fields(
        value,
        {"name": text(200, 1), "kind": one_of(ORGANIZATION_KINDS), "country": ref.country_code, "time_zone": ref.time_zone},
        required={"name", "kind", "country"},
    )


@dataclass(frozen=True)
class ParticipantAdded:
    """What adding or inviting someone did: a participant (added, or already on it), or a
    pending invitation of someone the coordinator could not already see."""

    participant: ShipmentParticipant | None
    invitation: ShipmentInvitation | None
    created: bool
    invited: bool
    #: The address as the coordinator typed it (all a pending answer tells them).
    typed_email: str | None = None

    @property
    def pending(self) -> bool:
        """Whether the person takes part only once they accept."""
        return self.invitation is not None

    def to_dict(self) -> dict[str, Any]:
        """The answer to `POST .../participants`: the participant object with `invited` and
        `status`; a pending one tells nothing the coordinator did not type."""
        if self.invitation is not None:
            invitation = self.invitation
            return {
                "user": {"email": self.typed_email}, "role": invitation.role, "added_by": invitation.invited_by_id,
                "added_at": to_iso(invitation.created_at), "last_read_seq": 0,
                "invited": self.invited, "status": "pending",
            }
        assert self.participant is not None
        return self.participant.to_dict() | {"invited": self.invited, "status": "active"}


def add_participant(actor: User, shipment: Shipment, body: Mapping[str, Any]) -> ParticipantAdded:
    """Add a user, or invite one by email.

    `{"user_id", "role"}` adds an existing active user the coordinator already sees (their
    organization's people, partners who are or were on one of its shipments). `{"email",
    "role", "organization_id"}` or `{"email", "role", "organization": {...}}` adds the user
    owning that email at once when the coordinator already sees them, invites anyone else who
    has an account (pending until they accept: `invite_existing_user`), or creates a pending
    account and emails a signed invitation link.
    """
    authorize(actor, Action.MANAGE_PARTICIPANTS, shipment)
    values = check_fields(body, PARTICIPANT_FIELDS, required={"role"})
    if ("user_id" in values) == ("email" in values):
        raise ValidationFailed(N_("Give either user_id or email."), fields={"user_id": N_("give user_id or email")})
    invited = False
    if "user_id" in values:
        if "organization_id" in values or "organization" in values:
            raise ValidationFailed(N_("Organization is only for invitations."), fields={"organization": N_("only with email")})
        # By id only people the coordinator already sees; anyone else is invited by email.
        user = find_visible_user(actor, values["user_id"])
        if not user.active:
            raise ValidationFailed(N_("No such active user."), fields={"user_id": N_("no such active user")})
    else:
        user = find_user_by_email(values["email"])
        if user is None:
            user = _create_invitee(actor, values)
            invited = True
        elif not is_visible_user(actor, user.id):
            # Someone the coordinator cannot see takes part only if they accept (issue 14).
            return invite_existing_user(actor, shipment, user, values["role"], values["email"])
        else:
            # An existing user keeps their organization; one who never accepted an earlier
            # invitation gets a link for this shipment too.
            invited = not user.active and user.password_hash is None
    existing = shipment.participant(user)
    if existing is not None:
        if existing.role != values["role"]:
            record_audit(actor, "participant.role_change", "user", user.id,
                         {"from": existing.role, "to": values["role"]}, shipment.id)
            existing.role = values["role"]
            db.session.commit()
        return ParticipantAdded(existing, None, created=False, invited=False)
    participant = ShipmentParticipant(user=user, role=values["role"], added_by_id=actor.id)
    shipment.participants.append(participant)
    db.session.flush()
    record_audit(actor, "participant.add", "user", user.id, {"role": values["role"], "invited": invited}, shipment.id)
    link = accounts.invitation_link(user, shipment.id) if invited else None
    participant_added.send(shipment, actor=actor, user=user, role=values["role"], invitation_link=link)
    db.session.commit()
    return ParticipantAdded(participant, None, created=True, invited=invited)


# --- pending invitations of people the coordinator cannot see --------------------------------

_INVITATION_SALT = "shipment-invitation"


def invite_existing_user(actor: User, shipment: Shipment, user: User, role: str, typed_email: str) -> ParticipantAdded:
    """Invite an existing user the coordinator cannot see: a pending invitation (granting
    nothing) and an email with a signed, expiring, single-use accept link (commits). Asked
    again while pending: the role changes, no second email; once expired: a fresh one."""
    invitation = db.session.scalar(select(ShipmentInvitation).where(
        ShipmentInvitation.shipment_id == shipment.id, ShipmentInvitation.user_id == user.id))
    if invitation is not None and not invitation_expired(invitation):
        if invitation.role != role:
            invitation.role = role
            record_audit(actor, "invitation.role_change", "user", user.id, {"to": role}, shipment.id)
            db.session.commit()
        return ParticipantAdded(None, invitation, created=False, invited=True, typed_email=typed_email)
    if invitation is None:
        invitation = ShipmentInvitation(shipment_id=shipment.id, user_id=user.id)
        db.session.add(invitation)
    invitation.role, invitation.invited_by_id = role, actor.id
    invitation.nonce, invitation.created_at = secrets.token_hex(16), utcnow()
    db.session.flush()
    record_audit(actor, "invitation.send", "user", user.id, {"role": role}, shipment.id)
    # One who never set up their account chooses a password first, then lands on their invitations.
    account_link = (accounts.invitation_link(user, shipment.id, landing=url_for("shipments.invitations_page"))
                    if user.password_hash is None else None)
    participant_invited.send(shipment, actor=actor, user=user, role=role,
                             accept_link=invitation_link(invitation), account_link=account_link)
    db.session.commit()
    return ParticipantAdded(None, invitation, created=True, invited=True, typed_email=typed_email)


def invitation_expired(invitation: ShipmentInvitation) -> bool:
    """Whether the invitation is older than INVITATION_MAX_AGE_S (then it is not shown)."""
    age = utcnow() - invitation.created_at
    return age.total_seconds() > current_app.config["INVITATION_MAX_AGE_S"]


def invitation_link(invitation: ShipmentInvitation) -> str:
    """The signed link of the invitation email: it opens the invitee's invitations page on
    this one; it stops working once the invitation is answered or expired."""
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_INVITATION_SALT).dumps(
        {"iid": invitation.id, "n": invitation.nonce})
    return current_app.config["PUBLIC_BASE_URL"] + url_for("shipments.invitations_page", token=token)


def invitation_for_link(user: User, token: str) -> ShipmentInvitation | None:
    """The signed-in user's pending invitation a link names, or None (bad, expired, answered,
    or someone else's)."""
    try:
        data = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_INVITATION_SALT).loads(
            token, max_age=current_app.config["INVITATION_MAX_AGE_S"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("iid"), int) or not isinstance(data.get("n"), str):
        return None
    invitation = db.session.get(ShipmentInvitation, data["iid"])
    if invitation is None or invitation.user_id != user.id or not secrets.compare_digest(invitation.nonce, data["n"]):
        return None
    return None if invitation_expired(invitation) else invitation


def pending_invitations(user: User) -> list[ShipmentInvitation]:
    """The user's invitations still waiting for an answer, newest first."""
    rows = db.session.scalars(select(ShipmentInvitation).where(ShipmentInvitation.user_id == user.id)
                              .order_by(ShipmentInvitation.created_at.desc(), ShipmentInvitation.id.desc()))
    return [row for row in rows if not invitation_expired(row)]


@dataclass(frozen=True)
class CheckedAnswer:
    """An invitation its invitee may answer now."""

    user: User
    invitation_id: int
    shipment_id: int


def check_answer_invitation(user: User, invitation_id: int) -> CheckedAnswer:
    """The user's own pending invitation, or NotFound (someone else's, answered, expired or
    missing answer alike)."""
    invitation = db.session.get(ShipmentInvitation, invitation_id)
    if invitation is None or invitation.user_id != user.id or invitation_expired(invitation) or not user.active:
        raise NotFound(N_("Invitation not found."))
    return CheckedAnswer(user, invitation.id, invitation.shipment_id)


def do_accept_invitation(checked: CheckedAnswer) -> Shipment:
    """The invitee joins the shipment with the invited role, as if added then: the
    participant_added signal (its system message, emails, rooms), the invitation gone."""
    with shipment_transaction(checked.shipment_id) as shipment:
        invitation = db.session.get(ShipmentInvitation, checked.invitation_id)
        if invitation is None:  # answered meanwhile (another tab)
            raise NotFound(N_("Invitation not found."))
        user = checked.user
        db.session.delete(invitation)
        if shipment.participant(user) is None:
            participant = ShipmentParticipant(user=user, role=invitation.role, added_by_id=invitation.invited_by_id)
            shipment.participants.append(participant)
            db.session.flush()
            record_audit(user, "participant.add", "user", user.id,
                         {"role": invitation.role, "invited": True, "accepted": True}, shipment.id)
            participant_added.send(shipment, actor=user, user=user, role=invitation.role, invitation_link=None,
                                   accepted=True)
    return shipment


def do_decline_invitation(checked: CheckedAnswer) -> None:
    """The invitee says no: the invitation is gone, nothing else changes (commits)."""
    invitation = db.session.get(ShipmentInvitation, checked.invitation_id)
    if invitation is not None:
        db.session.delete(invitation)
        record_audit(checked.user, "invitation.decline", "user", checked.user.id, {"role": invitation.role},
                     checked.shipment_id)
    db.session.commit()


def _create_invitee(actor: User, values: Mapping[str, Any]) -> User:
    if "organization_id" in values and "organization" in values:
        raise ValidationFailed(N_("Give organization_id or organization, not both."), fields={"organization": N_("not both")})
    if "organization_id" in values:
        org = find_invitable_organization(actor, values["organization_id"])
    elif "organization" in values:
        spec = _check_new_organization(values["organization"])
        # A new organization takes the invitee's zone when it names none (never silently UTC).
        org = accounts.create_organization(actor, spec["name"], spec["kind"], spec["country"],
                                           spec.get("time_zone") or values.get("time_zone") or "UTC")
    else:
        raise ValidationFailed(
            N_("An invitation needs the partner's organization."),
            fields={"organization_id": N_("give organization_id or organization")},
        )
    name = values.get("name") or values["email"].split("@", 1)[0]
    role = "partner" if org.kind != "shipper" or org.id != actor.organization_id else "coordinator"
    if org.kind == "shipper" and org.id != actor.organization_id:
        role = "partner"
    return accounts.create_user(
        actor, email=values["email"], name=name, organization_id=org.id, role=role, password=None, active=False,
        locale=values.get("locale", "en"), tz=values.get("time_zone"),
    )


def remove_participant(actor: User, shipment: Shipment, user_id: int) -> None:
    """Take a user off the shipment; their sockets leave its room at once."""
    authorize(actor, Action.MANAGE_PARTICIPANTS, shipment)
    participant = next((p for p in shipment.participants if p.user_id == user_id), None)
    if participant is None:
        raise NotFound(N_("That user is not on this shipment."))
    shipment.participants.remove(participant)
    record_audit(actor, "participant.remove", "user", user_id, {"role": participant.role}, shipment.id)
    participant_removed.send(shipment, actor=actor, user_id=user_id, role=participant.role)
    db.session.commit()


def visible_countries(user: User) -> list[str]:
    """Origin and destination countries of the user's shipments, for the list's filter."""
    visible = visible_shipments(user).subquery()
    codes = set(db.session.scalars(select(visible.c.origin_country).distinct()))
    codes |= set(db.session.scalars(select(visible.c.destination_country).distinct()))
    return sorted(codes)
