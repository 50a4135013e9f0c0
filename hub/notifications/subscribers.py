"""Signal subscribers: each domain event writes its outbox rows (or pending digests) in the
transaction that caused it, so an email exists if and only if the change committed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.notifications import store
from hub.notifications.outbox import queue_email
from hub.notifications.preferences import preferences_from_rows, wants, wants_risks, wants_with
from hub.notifications.rendering import public_url
from hub.shipments.models import Shipment
from hub.signals import (
    document_requested,
    document_reviewed,
    document_uploaded,
    inbound_email_refused,
    message_posted,
    milestone_recorded,
    participant_added,
    participant_invited,
    password_reset_requested,
    risk_flag_changed,
    subscribe,
)
from hub.threads.models import Message, MessageMention


def recipients(shipment: Shipment, actor: User | None, what: str, milestone_code: str | None = None) -> list[User]:
    """The shipment's active participants who want this sort of email, never the actor.
    (Pending invitees are inactive until they accept; suppressed addresses get a row marked
    `suppressed` by `queue_email`.)"""
    preferences = participant_preferences(shipment.id, actor.id if actor is not None else None)
    wanted = [user_id for user_id, preference in preferences.items() if wants_with(preference, what, milestone_code)]
    if not wanted:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id)))


def participant_preferences(shipment_id: int, actor_id: int | None) -> dict[int, tuple[str, list[str]]]:
    """(level, muted milestone codes) of each active participant of the shipment but the actor,
    by user id, in one statement (a message reads the same rows, with whose digest is due, in
    `on_message_posted`)."""
    return _preferences(_participant_rows(shipment_id, actor_id))


def _participant_rows(shipment_id: int, actor_id: int | None) -> list[Any]:
    db.session.flush()  # a participant added just before counts (no-op when nothing is pending)
    return store.participants_with_preferences(shipment_id, actor_id)


def _preferences(rows: list[Any]) -> dict[int, tuple[str, list[str]]]:
    people = list({row.person_id: row.person_role for row in rows}.items())
    return preferences_from_rows(people, rows)


def _queue(kind: str, user: User, shipment: Shipment, context: dict[str, Any]) -> None:
    queue_email(kind=kind, to_email=user.email, to_name=user.name, template=kind, context=context,
                user_id=user.id, shipment_id=shipment.id)


def on_milestone_recorded(milestone: Any, actor: User | None = None, **_: Any) -> None:
    """Email each participant who wants this milestone."""
    shipment = db.session.get(Shipment, milestone.shipment_id)
    if shipment is None:
        return
    for user in recipients(shipment, actor, "milestone", milestone.code):
        _queue("milestone", user, shipment, {"milestone": milestone, "actor": actor})


def on_message_posted(message: Message, **_: Any) -> None:
    """Mentions are emailed at once; every other `all` participant gets the message in a
    digest due DIGEST_DELAY_S after their oldest unread message."""
    if message.kind != "text":
        return
    # One lookup serves both the mention emails and the digests.
    rows = _participant_rows(message.shipment_id, message.author_id)
    preferences = _preferences(rows)
    # A body without "@" mentions nobody (see hub.threads.services), so nothing to read.
    mentioned_ids = set(db.session.scalars(
        select(MessageMention.user_id).where(MessageMention.message_id == message.id)
    )) if "@" in message.body else set()
    shipment = db.session.get(Shipment, message.shipment_id) if mentioned_ids else None
    for user_id in sorted(mentioned_ids):
        user = db.session.get(User, user_id)
        if shipment is not None and user is not None and user_id in preferences \
                and wants_with(preferences[user_id], "direct"):
            _queue("mention", user, shipment, {"message": message, "author": message.author})
    # A digest already due keeps its earlier time (the upsert would leave it): in a lively
    # thread, where everyone's is due, a message writes no digest at all. (Read under the
    # shipment's lock, which the digest worker takes too: it cannot end one meanwhile.)
    already_due = {row.person_id for row in rows if row.digest_due}
    due = message.created_at + timedelta(seconds=current_app.config["DIGEST_DELAY_S"])
    store.upsert_digests([user_id for user_id, preference in preferences.items()
                          if user_id not in already_due and wants_with(preference, "digest")], message.shipment_id, due)


def _owner_staff(shipment: Shipment, user: User) -> bool:
    """Whether `user` is one of the staff of the organization that owns the shipment."""
    return user.is_staff and user.organization_id == shipment.owner_org_id


def on_document_requested(shipment: Shipment, *, actor: User, request_id: int, doc_type: str, label: str,
                          due_date: Any = None, note: str | None = None, assignee_id: int | None = None,
                          **_: Any) -> None:
    """Email each participant but the requester (unless muted); a request addressed to one
    participant goes to them and the owner's staff only."""
    context = {"actor": actor, "request_id": request_id, "doc_type": doc_type, "doc_label": label,
               "due_date": due_date, "note": note}
    for user in recipients(shipment, actor, "direct"):
        if assignee_id is None or user.id == assignee_id or _owner_staff(shipment, user):
            _queue("document_requested", user, shipment, context)


def on_document_uploaded(shipment: Shipment, *, actor: User, document_id: int, doc_type: str, label: str,
                         filename: str, version: int, **_: Any) -> None:
    """A partner's upload is emailed to the owner's staff on the shipment whose level is
    "all" (everything); uploads by the staff themselves reach the others through the thread."""
    if actor is None or _owner_staff(shipment, actor):
        return
    context = {"actor": actor, "document_id": document_id, "doc_type": doc_type, "doc_label": label,
               "filename": filename, "version": version}
    for user in recipients(shipment, actor, "digest"):
        if _owner_staff(shipment, user):
            _queue("document_uploaded", user, shipment, context)


def on_document_reviewed(shipment: Shipment, *, actor: User, uploader: User, document_id: int, doc_type: str,
                         label: str, filename: str, version: int, decision: str, reason: str | None = None,
                         **_: Any) -> None:
    """Email the uploader unless muted (or gone from the shipment, or the reviewer)."""
    if uploader is None or (actor is not None and uploader.id == actor.id) or not uploader.active:
        return
    if shipment.participant(uploader) is None or not wants(uploader, shipment.id, "direct"):
        return
    _queue("document_reviewed", uploader, shipment, {
        "actor": actor, "document_id": document_id, "doc_type": doc_type, "doc_label": label,
        "filename": filename, "version": version, "decision": decision, "reason": reason,
    })


def on_participant_added(shipment: Shipment, *, actor: User, user: User, role: str,
                         invitation_link: str | None = None, **_: Any) -> None:
    """Email an invitation to someone who must accept before they can sign in."""
    if invitation_link is None:
        return
    queue_email(
        kind="invitation", to_email=user.email, to_name=user.name, user_id=user.id, shipment_id=shipment.id,
        subject=f"{actor.name} invites you to shipment {shipment.reference} on Clearance Hub",
        template="invitation",
        context={"inviter": actor, "invitee": user, "shipment": shipment, "role": role, "link": invitation_link},
    )


def on_participant_invited(shipment: Shipment, *, actor: User, user: User, role: str, accept_link: str,
                           account_link: str | None = None, **_: Any) -> None:
    """Email an existing user the invitation they accept or decline. The row names no shipment:
    the inviting shipper's mailbox must not show it (it would show the invitee's name), and it
    is an account email, its links masked for anyone but its recipient."""
    queue_email(
        kind="shipment_invitation", to_email=user.email, to_name=user.name, user_id=user.id,
        subject=f"{actor.name} invites you to shipment {shipment.reference} on Clearance Hub",
        template="shipment_invitation",
        context={"inviter": actor, "invitee": user, "invited_shipment": shipment, "role": role, "link": accept_link,
                 "account_link": account_link},
    )


def on_password_reset_requested(user: User, *, link: str, hours: int, stand_in: bool = False, **_: Any) -> None:
    """Email the reset link to its owner; for a stand-in (no account) render the same email
    and queue nothing, so both take as long."""
    queue_email(kind="password_reset", to_email=user.email, to_name=user.name,
                user_id=None if stand_in else user.id, recipient=user,
                subject="Reset your Clearance Hub password", template="password_reset",
                context={"user": user, "link": link, "hours": hours}, discard=stand_in)


def on_inbound_email_refused(_record: Any, *, user: User, reason: str, detail: str | None = None,
                             shipment: Shipment | None = None, **_: Any) -> None:
    """Tell a known sender, in their language, why their emailed reply was not posted and
    how to answer instead (the shipment is named only when they still take part in it)."""
    link = public_url("shipments.detail_page", shipment_id=shipment.id) if shipment is not None else public_url("index")
    queue_email(kind="inbound_refused", to_email=user.email, to_name=user.name, template="inbound_refused",
                context={"reason": reason, "detail": detail, "refused_shipment": shipment, "link": link,
                         "limit": current_app.config["MESSAGE_MAX_CHARS"]},
                user_id=user.id)


#: Severity names, marked for the catalogue (translated in the email).
_SEVERITY_NAMES = {"high": "high", "medium": "medium", "low": "low"}


def on_risk_flag_changed(flag: Any, *, change: str, label: str, actor: User | None = None, **_: Any) -> None:
    """Escalate an opened or resolved flag to the shipment's coordinators who want risk emails
    (preference `risks`, on by default; `mute` hears nothing), never to the person who did it."""
    if change not in ("opened", "resolved"):
        return
    shipment = db.session.get(Shipment, flag.shipment_id)
    if shipment is None:
        return
    context = {"flag": flag, "actor": actor, "risk_label": label,
               "severity_name": _SEVERITY_NAMES.get(flag.severity, flag.severity)}
    for participant in shipment.participants:
        user = participant.user
        if participant.role != "coordinator" or not user.active or (actor is not None and user.id == actor.id):
            continue
        if wants_risks(user, shipment.id):
            _queue(f"risk_{change}", user, shipment, context)


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent)."""
    subscribe({
        message_posted: on_message_posted,
        milestone_recorded: on_milestone_recorded,
        document_requested: on_document_requested,
        document_reviewed: on_document_reviewed,
        document_uploaded: on_document_uploaded,
        participant_added: on_participant_added,
        participant_invited: on_participant_invited,
        password_reset_requested: on_password_reset_requested,
        inbound_email_refused: on_inbound_email_refused,
        risk_flag_changed: on_risk_flag_changed,
    })
