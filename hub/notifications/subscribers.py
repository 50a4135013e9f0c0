"""Signal subscribers: each domain event writes its outbox rows (or pending digests) in the
transaction that caused it, so an email exists if and only if the change committed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.notifications.models import PendingDigest
from hub.notifications.outbox import queue_email
from hub.notifications.preferences import effective_preferences, wants, wants_with
from hub.shipments.models import Shipment
from hub.signals import document_requested, document_reviewed, message_posted, milestone_recorded
from hub.threads.models import Message, MessageMention


def recipients(shipment: Shipment, actor: User | None, what: str, milestone_code: str | None = None) -> list[User]:
    """The shipment's active participants who want this sort of email, never the actor.
    (Pending invitees are inactive until they accept; suppressed addresses get a row marked
    `suppressed` by `queue_email`.)"""
    candidates = _candidates(shipment, actor)
    preferences = effective_preferences(candidates, shipment.id)
    return [user for user in candidates if wants_with(preferences[user.id], what, milestone_code)]


def _candidates(shipment: Shipment, actor: User | None) -> list[User]:
    """The shipment's active participants but the actor (their preferences not yet asked)."""
    return [
        participant.user for participant in shipment.participants
        if participant.user.active and (actor is None or participant.user_id != actor.id)
    ]


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
    shipment = db.session.get(Shipment, message.shipment_id)
    if shipment is None:
        return
    author = message.author
    # One preference lookup serves both the mention emails and the digests.
    candidates = _candidates(shipment, author)
    preferences = effective_preferences(candidates, shipment.id)
    # A body without "@" mentions nobody (see hub.threads.services), so nothing to read.
    mentioned_ids = set(db.session.scalars(
        select(MessageMention.user_id).where(MessageMention.message_id == message.id)
    )) if "@" in message.body else set()
    for user in candidates:
        if user.id in mentioned_ids and wants_with(preferences[user.id], "direct"):
            _queue("mention", user, shipment, {"message": message, "author": author})
    due = message.created_at + timedelta(seconds=current_app.config["DIGEST_DELAY_S"])
    _upsert_digests([user.id for user in candidates if wants_with(preferences[user.id], "digest")], shipment.id, due)


def _upsert_digests(user_ids: list[int], shipment_id: int, due: Any) -> None:
    # The poster holds the shipment's row lock (shipment_transaction), and the worker takes
    # the same lock, so select-then-insert cannot race for one (user, shipment).
    if not user_ids:
        return
    existing = {
        row.user_id: row for row in db.session.scalars(
            select(PendingDigest).where(PendingDigest.shipment_id == shipment_id, PendingDigest.user_id.in_(user_ids))
        )
    }
    for user_id in user_ids:
        row = existing.get(user_id)
        if row is None:
            db.session.add(PendingDigest(user_id=user_id, shipment_id=shipment_id, due_at=due))
        elif row.due_at is None:
            row.due_at = due
        # else: an earlier unread message already set the (earlier) due time.


def _upsert_digest(user_id: int, shipment_id: int, due: Any) -> None:
    # The poster holds the shipment's row lock (shipment_transaction), and the worker takes
    # the same lock, so select-then-insert cannot race for one (user, shipment).
    row = db.session.scalar(
        select(PendingDigest).where(PendingDigest.user_id == user_id, PendingDigest.shipment_id == shipment_id)
    )
    if row is None:
        db.session.add(PendingDigest(user_id=user_id, shipment_id=shipment_id, due_at=due))
    elif row.due_at is None:
        row.due_at = due
    # else: an earlier unread message already set the (earlier) due time.


def on_document_requested(shipment: Shipment, *, actor: User, request_id: int, doc_type: str, label: str,
                          due_date: Any = None, note: str | None = None, **_: Any) -> None:
    """Email each participant but the requester (unless muted)."""
    context = {"actor": actor, "request_id": request_id, "doc_type": doc_type, "doc_label": label,
               "due_date": due_date, "note": note}
    for user in recipients(shipment, actor, "direct"):
        _queue("document_requested", user, shipment, context)


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


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent: blinker keeps one strong reference each)."""
    message_posted.connect(on_message_posted, weak=False)
    milestone_recorded.connect(on_milestone_recorded, weak=False)
    document_requested.connect(on_document_requested, weak=False)
    document_reviewed.connect(on_document_reviewed, weak=False)
