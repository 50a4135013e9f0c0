"""Email notifications: the transactional outbox, preferences, pending digests, suppressed
addresses and the SendGrid events already processed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models_base import IntPK, OfShipment, OfUser, OptionalTimestamp, Timestamp, UpdatedAt, api_fields
from hub.request_context import current_request_id

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

    id: Mapped[IntPK]
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
    next_attempt_at: Mapped[Timestamp]
    # A worker owns the row until then; an expired lease (a crashed worker) frees it again.
    lease_until: Mapped[OptionalTimestamp]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[Timestamp]
    sent_at: Mapped[OptionalTimestamp]
    transport: Mapped[str | None] = mapped_column(String(10))
    delivery_updated_at: Mapped[OptionalTimestamp]
    # The unit of work that queued the email (request, socket event, job): the worker's log
    # lines about it carry the same request id.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    def summary(self) -> dict[str, Any]:
        """The row as the mailbox and the admin API list it."""
        return api_fields(
            self, "id", "kind", "to_email", "subject", "status", "attempts", "transport", "delivery_status",
            "shipment_id", "last_error", "created_at", "sent_at",
        )


class NotificationPreference(db.Model):
    """A user's choice: their default (`shipment_id` NULL) or for one shipment."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "shipment_id"),)

    id: Mapped[IntPK]
    user_id: Mapped[OfUser] = mapped_column(index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    muted_milestones: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[UpdatedAt]
    #: Risk flag escalations (opened, resolved) to the shipment's coordinators; on by default.
    risks: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class PendingDigest(db.Model):
    """One recipient's digest of a thread: due `DIGEST_DELAY_S` after their oldest unread
    message; `due_at` is NULL when nothing is pending."""

    __tablename__ = "email_digests"
    __table_args__ = (UniqueConstraint("user_id", "shipment_id"),)

    id: Mapped[IntPK]
    user_id: Mapped[OfUser] = mapped_column(index=True)
    shipment_id: Mapped[OfShipment] = mapped_column(index=True)
    due_at: Mapped[OptionalTimestamp] = mapped_column(index=True)
    # The highest seq already sent in a digest: a message is digested at most once.
    last_digested_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[UpdatedAt]


class SuppressedAddress(db.Model):
    """An address SendGrid reported as bounced or as spam: no further email until an admin
    lifts the suppression."""

    __tablename__ = "email_suppressions"

    id: Mapped[IntPK]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Timestamp]

    def to_dict(self) -> dict[str, Any]:
        """The suppression as the admin API shows it."""
        return api_fields(self, "id", "email", "reason", "detail", "created_at")


class EmailEvent(db.Model):
    """A SendGrid event already processed (deduplicated by `sg_event_id`)."""

    __tablename__ = "email_events"

    id: Mapped[IntPK]
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"), index=True)
    occurred_at: Mapped[OptionalTimestamp]
    received_at: Mapped[Timestamp]
