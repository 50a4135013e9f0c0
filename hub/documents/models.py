"""Models of the documents area: documents and their versions, requests, rule overrides."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.documents.catalogue import doc_label
from hub.extensions import db
from hub.models_base import ByUser, IntPK, OfShipment, OptionalTimestamp, Timestamp, api_fields

if TYPE_CHECKING:
    from hub.accounts.models import User


def _person(user: User | None) -> dict[str, object] | None:
    return None if user is None else {"id": user.id, "name": user.name}


class _OfDocType:
    """Rows naming a document type (`doc_type`) get its readable label."""

    doc_type: Mapped[str]

    @property
    def label(self) -> str:
        """The readable name of the document type."""
        return doc_label(self.doc_type)


class Document(_OfDocType, db.Model):
    """One document of a shipment; its id is stable across versions. Withdrawn documents are
    kept (for the audit trail) but hidden everywhere."""

    __tablename__ = "documents"

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment] = mapped_column(index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    # The highest version number; assigned under the shipment row lock, so never repeated.
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]
    withdrawn_at: Mapped[OptionalTimestamp]
    withdrawn_by_id: Mapped[ByUser]

    created_by: Mapped[User | None] = relationship(foreign_keys="Document.created_by_id", lazy="joined")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentVersion.version"
    )

    @property
    def withdrawn(self) -> bool:
        """Whether the document was withdrawn (it then answers 404 everywhere)."""
        return self.withdrawn_at is not None

    def version_row(self, number: int | None = None) -> DocumentVersion | None:
        """Version `number`, or the current one."""
        wanted = self.current_version if number is None else number
        return next((v for v in self.versions if v.version == wanted), None)

    def to_dict(self, number: int | None = None) -> dict[str, object]:
        """The document object of the API, describing its current version (or `number`)."""
        version = self.version_row(number)
        assert version is not None, "a document always has at least one version"
        return {"id": self.id} | version.fields()


class DocumentVersion(db.Model):
    """One uploaded file of a document; the file itself is in storage under its SHA-256."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[IntPK]
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(2000))
    uploaded_by_id: Mapped[ByUser]
    uploaded_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(10), default="received")
    reviewed_by_id: Mapped[ByUser]
    reviewed_at: Mapped[OptionalTimestamp]
    review_reason: Mapped[str | None] = mapped_column(String(2000))

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys="DocumentVersion.uploaded_by_id", lazy="joined")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys="DocumentVersion.reviewed_by_id", lazy="joined")

    def fields(self) -> dict[str, object]:
        """The version's part of the document object."""
        return {
            "doc_type": self.document.doc_type,
            **api_fields(self, "version", "filename", "size", "sha256", "content_type"),
            "uploaded_by": _person(self.uploaded_by),
            **api_fields(self, "uploaded_at", "status"),
        }

    def to_dict(self) -> dict[str, object]:
        """One entry of a document's version history, with its note and review."""
        return {
            **self.fields(),
            "note": self.note,
            "reviewed_by": _person(self.reviewed_by),
            **api_fields(self, "reviewed_at", "review_reason"),
        }


class DocumentRequest(_OfDocType, db.Model):
    """A broker's or agent's request for a document type; fulfilled by the next upload of it."""

    __tablename__ = "document_requests"

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment] = mapped_column(index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(2000))
    requested_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(10), default="open")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    fulfilled_at: Mapped[OptionalTimestamp]
    # The one participant asked for it (None: anyone on the shipment).
    assignee_id: Mapped[ByUser]

    requested_by: Mapped[User | None] = relationship(foreign_keys="DocumentRequest.requested_by_id", lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys="DocumentRequest.assignee_id", lazy="joined")

    def to_dict(self) -> dict[str, object]:
        """The request object of the API."""
        return {
            **api_fields(self, "id", "doc_type", "due_date", "note"),
            "requested_by": _person(self.requested_by),
            "assignee": _person(self.assignee),
            **api_fields(self, "created_at", "status", "document_id"),
        }


class DocumentRuleOverride(_OfDocType, db.Model):
    """An admin's change to the required-document rules of the file, for the shipments of the
    admin's organization: `require` adds a type, `waive` removes one, when every condition set
    (destination country, transport mode, HS chapter) matches the shipment."""

    __tablename__ = "document_rule_overrides"

    id: Mapped[IntPK]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    effect: Mapped[str] = mapped_column(String(10))
    doc_type: Mapped[str] = mapped_column(String(40))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    transport_mode: Mapped[str | None] = mapped_column(String(10))
    hs_chapter: Mapped[str | None] = mapped_column(String(2))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]

    def to_dict(self) -> dict[str, object]:
        """The override as the admin page and API show it."""
        return api_fields(
            self, "id", "effect", "doc_type", "destination_country", "transport_mode", "hs_chapter", "note", "created_at"
        )
