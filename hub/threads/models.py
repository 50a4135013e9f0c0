"""Thread messages, their edit history and mentions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timestamps import UTCDateTime, to_iso, utcnow

if TYPE_CHECKING:
    from hub.accounts.models import User

MESSAGE_KINDS = ("text", "system", "milestone", "document")
MESSAGE_CHANNELS = ("web", "api", "email")


class Message(db.Model):
    """One message of a shipment's thread; `seq` is 1, 2, 3, ... per shipment."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("shipment_id", "seq"),
        UniqueConstraint("author_id", "client_id"),
        Index("ix_messages_shipment_created", "shipment_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    seq: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(36))
    via: Mapped[str] = mapped_column(String(5), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(lazy="joined")

    #: The message object this process emitted for the message (not a column): after the
    #: commit the row is expired, and answering the sender must not read it again.
    sent_object = None

    def to_dict(self, author: dict[str, object] | None = None) -> dict[str, object]:
        """The message object of the API and the socket events; `author`: the author's summary
        when the caller has it at hand (else it comes from the `author` relationship)."""
        deleted = self.deleted_at is not None
        if author is None and self.author_id is not None:
            author = self.author.summary() if self.author is not None else None
        return {
            "id": self.id,
            "shipment_id": self.shipment_id,
            "seq": self.seq,
            "kind": self.kind,
            "author": author,
            "body": "" if deleted else self.body,
            "body_html": "" if deleted else self.body_html,
            "client_id": self.client_id,
            "via": self.via,
            "created_at": to_iso(self.created_at),
            "edited_at": to_iso(self.edited_at),
            "deleted_at": to_iso(self.deleted_at),
        }


class MessageRevision(db.Model):
    """A previous body of an edited or deleted message (edits keep their history)."""

    __tablename__ = "message_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageMention(db.Model):
    """A participant mentioned in a message (`@li.wei`)."""

    __tablename__ = "message_mentions"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
