"""Thread messages, their edit history and mentions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models_base import ByUser, IntPK, OfShipment, OfUser, OptionalTimestamp, Timestamp, api_fields

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

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment]
    seq: Mapped[int]
    author_id: Mapped[ByUser]
    kind: Mapped[str] = mapped_column(String(10), default="text")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(36))
    via: Mapped[str] = mapped_column(String(5), default="web")
    created_at: Mapped[Timestamp]
    edited_at: Mapped[OptionalTimestamp]
    deleted_at: Mapped[OptionalTimestamp]
    # What a milestone or document message says, as data beside its (English) text, so each
    # reader's page and email renders it in their language and time zone (hub.i18n.facts_text):
    # {"kind": "milestone", "code", "time", "location", "note"} or {"kind": "document",
    # "action", "document_id", "doc_type", "file_name", "version", ...}. None for text messages.
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)

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
            **api_fields(self, "id", "shipment_id", "seq", "kind"),
            "author": author,
            "body": "" if deleted else self.body,
            "body_html": "" if deleted else self.body_html,
            **api_fields(self, "client_id", "via", "created_at", "edited_at", "deleted_at"),
            "facts": None if deleted else self.facts,
        }


class MessageRevision(db.Model):
    """A previous body of an edited or deleted message (edits keep their history)."""

    __tablename__ = "message_revisions"

    id: Mapped[IntPK]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[Timestamp]


class MessageMention(db.Model):
    """A participant mentioned in a message (`@li.wei`)."""

    __tablename__ = "message_mentions"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[IntPK]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    user_id: Mapped[OfUser] = mapped_column(index=True)
