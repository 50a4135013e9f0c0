"""The hand-over rules follow the domain signals, inside the writing transaction: a message
(every channel: page, socket, REST and email replies post through the threads service), a
document request, review or upload, a milestone. On the send path this costs one indexed read,
and a write only when the ball changes hands."""

from __future__ import annotations

from typing import Any

from hub.accounts.models import User
from hub.handovers import rules, store
from hub.shipments.models import Shipment
from hub.signals import document_requested, document_reviewed, document_uploaded, message_posted, milestone_recorded
from hub.timestamps import utcnow


def _handle(user: User) -> str:
    return "@" + user.email.split("@", 1)[0].lower()


def on_message_posted(message: Any, **_kwargs: Any) -> None:
    """Apply `rules.after_message` to a text message with an author."""
    if message.kind != "text" or message.author_id is None:
        return
    author, current = store.author_and_open_period(message.author_id, message.shipment_id)
    if author is None:
        return
    # A body without "@" mentions nobody (hub.threads.services): only then a second read.
    mentioned = store.mentioned_partners(message.id, message.shipment_id, message.body) \
        if author.is_staff and "@" in message.body else []
    change = rules.after_message(current.holder if current else None, author, mentioned)
    if change is not None:
        store.apply_change(message.shipment_id, current, change, message.created_at)


def _apply(shipment_id: int, decide: Any, *args: Any) -> None:
    current = store.open_period(shipment_id)
    change = decide(current.holder if current else None, *args)
    if change is not None:
        store.apply_change(shipment_id, current, change, utcnow())


def request_meant_for(shipment: Shipment, note: str | None) -> rules.Person | None:
    """The partner a staff document request asks: the first partner its note mentions, else the
    shipment's first agent, broker or forwarder."""
    partners = [p for p in shipment.participants if not p.user.is_staff and p.role != "observer" and p.user.active]
    if note:
        lowered = note.lower()
        named = sorted((lowered.find(_handle(p.user)), p.id, p) for p in partners if _handle(p.user) in lowered)
        if named:
            return store.person(named[0][2].user)
    for role in rules.REQUEST_ROLES:
        for participant in partners:
            if participant.role == role:
                return store.person(participant.user)
    return None


def on_document_requested(shipment: Shipment, *, actor: User, note: str | None = None, **_kwargs: Any) -> None:
    """Apply `rules.after_document_request`."""
    meant_for = request_meant_for(shipment, note) if actor.is_staff else None
    _apply(shipment.id, rules.after_document_request, store.person(actor), meant_for)


def on_document_reviewed(shipment: Shipment, *, actor: User, uploader: User | None, decision: str,
                         **_kwargs: Any) -> None:
    """Apply `rules.after_review`."""
    _apply(shipment.id, rules.after_review, store.person(actor), store.person(uploader) if uploader else None,
           decision == "reject")


def on_document_uploaded(shipment: Shipment, *, actor: User, **_kwargs: Any) -> None:
    """Apply `rules.after_upload` (uploads and new versions)."""
    if not actor.is_staff:
        _apply(shipment.id, rules.after_upload, store.person(actor))


def on_milestone_recorded(milestone: Any, *, actor: User, **_kwargs: Any) -> None:
    """Apply `rules.after_milestone`."""
    if not actor.is_staff:
        _apply(milestone.shipment_id, rules.after_milestone, store.person(actor))


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent)."""
    message_posted.connect(on_message_posted, weak=False)
    document_requested.connect(on_document_requested, weak=False)
    document_reviewed.connect(on_document_reviewed, weak=False)
    document_uploaded.connect(on_document_uploaded, weak=False)
    milestone_recorded.connect(on_milestone_recorded, weak=False)
