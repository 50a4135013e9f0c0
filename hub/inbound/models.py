"""Emails received through SendGrid's Inbound Parse: what each came to (posted or rejected,
and why), deduplicated by the email's Message-ID header."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.accounts.models import User
from hub.extensions import db
from hub.shipments.models import Shipment
from hub.timestamps import UTCDateTime, to_iso, utcnow

#: `processing` while its message and files are being posted (a retry finishes it), then
#: `posted` or `rejected` (`reason` says why; a posted email may carry the reason of a
#: refused attachment).
INBOUND_STATUSES = ("processing", "posted", "rejected")


class InboundEmail(db.Model):
    """One email received for a shipment thread (or refused before one was known)."""

    __tablename__ = "inbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header (a digest when longer than the column): the same email delivered
    # twice is found here and posts once.
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="processing")
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    posted_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    # [{"id": document id, "filename": ...}] of the attachments stored as documents.
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    shipment: Mapped[Shipment | None] = relationship()

    def to_dict(self) -> dict[str, Any]:
        """The record as the admin page and the tests read it."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "user_id": self.user_id,
            "shipment_id": self.shipment_id,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "posted_message_id": self.posted_message_id,
            "documents": list(self.documents or []),
            "received_at": to_iso(self.received_at),
        }
