"""Turning due pending digests into digest emails (run by the worker)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from hub.errors import NotFound
from hub.extensions import db
from hub.notifications.models import PendingDigest
from hub.notifications.outbox import queue_email
from hub.notifications.preferences import wants
from hub.shipment_tx import shipment_transaction
from hub.threads.models import Message
from hub.timestamps import utcnow


def next_digest_due() -> datetime | None:
    """When the earliest pending digest is due (for the worker's sleep)."""
    return db.session.scalar(select(PendingDigest.due_at).where(PendingDigest.due_at.is_not(None))
                             .order_by(PendingDigest.due_at).limit(1))


def process_due_digests(now: datetime | None = None, limit: int = 100) -> int:
    """Queue a digest email for each due row that still has unread text messages, drop the
    others; answers how many emails were queued. Each row is handled under its shipment's
    lock, so a message posted meanwhile is either in this digest or schedules the next."""
    now = now or utcnow()
    due = db.session.execute(
        select(PendingDigest.id, PendingDigest.shipment_id)
        .where(PendingDigest.due_at.is_not(None), PendingDigest.due_at <= now)
        .order_by(PendingDigest.due_at).limit(limit)
    ).all()
    db.session.rollback()
    queued = 0
    for digest_id, shipment_id in due:
        try:
            with shipment_transaction(shipment_id) as shipment:
                queued += _process(digest_id, shipment, now)
        except NotFound:
            continue
    return queued


def _process(digest_id: int, shipment, now: datetime) -> int:  # noqa: ANN001 (Shipment)
    digest = db.session.execute(
        select(PendingDigest).where(PendingDigest.id == digest_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if digest is None or digest.due_at is None or digest.due_at > now:
        return 0  # another worker handled it, or it was rescheduled
    participant = next((p for p in shipment.participants if p.user_id == digest.user_id), None)
    user = participant.user if participant else None
    if participant is None or not user.active or not wants(user, shipment.id, "digest"):
        digest.due_at = None
        return 0
    after = max(participant.last_read_seq, digest.last_digested_seq)
    unread = list(db.session.scalars(
        select(Message).where(
            Message.shipment_id == shipment.id, Message.seq > after, Message.kind == "text",
            Message.deleted_at.is_(None), (Message.author_id.is_(None)) | (Message.author_id != user.id),
        ).order_by(Message.seq)
    ))
    if not unread:
        digest.due_at = None  # read in the meantime: nothing to send
        return 0
    delay = timedelta(seconds=current_app.config["DIGEST_DELAY_S"])
    if unread[0].created_at + delay > now:
        # What was unread when the row was set has been read; wait for the oldest unread one.
        digest.due_at = unread[0].created_at + delay
        return 0
    queue_email(kind="digest", to_email=user.email, to_name=user.name, template="digest",
                context={"messages": unread}, user_id=user.id, shipment_id=shipment.id)
    digest.last_digested_seq = unread[-1].seq
    digest.due_at = None
    return 1
