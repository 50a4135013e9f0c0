"""Email notifications: the transactional outbox, preferences, pending digests, suppressed
addresses and the SendGrid events already processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.operations.context import current_request_id
from hub.timestamps import UTCDateTime, to_iso, utcnow

OUTBOX_STATUSES = ("pending", "sent", "failed", "suppressed")
#: `all`: digest of missed messages plus everything of `milestones`; `milestones`: milestones,
#: mentions, document requests and reviews; `mute`: nothing.
LEVELS = ("all", "milestones", "mute")
#: Where a sent row went: SendGrid, or the local mailbox when no API key is configured.
TRANSPORTS = ("sendgrid", "mailbox")


class OutboxEmail(db.Model):
    """One email to one recipient, sent later by the worker."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A worker owns the row until then; an expired lease (a crashed worker) frees it again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transport: Mapped[str | None] = mapped_column(String(10))
    delivery_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The unit of work that queued the email (request, socket event, job): the worker's log
    # lines about it carry the same request id.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    def summary(self) -> dict[str, Any]:
        """The row as the mailbox and the admin API list it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "to_email": self.to_email,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "transport": self.transport,
            "delivery_status": self.delivery_status,
            "shipment_id": self.shipment_id,
            "last_error": self.last_error,
            "created_at": to_iso(self.created_at),
            "sent_at": to_iso(self.sent_at),
        }


class NotificationPreference(db.Model):
    """A user's choice: their default (`shipment_id` NULL) or for one shipment."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "shipment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    muted_milestones: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PendingDigest(db.Model):
    """One recipient's digest of a thread: due `DIGEST_DELAY_S` after their oldest unread
    message; `due_at` is NULL when nothing is pending."""

    __tablename__ = "email_digests"
    __table_args__ = (UniqueConstraint("user_id", "shipment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The highest seq already sent in a digest: a message is digested at most once.
    last_digested_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SuppressedAddress(db.Model):
    """An address SendGrid reported as bounced or as spam: no further email until an admin
    lifts the suppression."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        """The suppression as the admin API shows it."""
        return {
            "id": self.id,
            "email": self.email,
            "reason": self.reason,
            "detail": self.detail,
            "created_at": to_iso(self.created_at),
        }


class EmailEvent(db.Model):
    """A SendGrid event already processed (deduplicated by `sg_event_id`)."""

    __tablename__ = "email_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
