"""Shipments and the people taking part in them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models_base import ByUser, IntPK, OfShipment, OfUser, OptionalTimestamp, Timestamp, UpdatedAt, api_fields
from hub.timestamps import to_iso

if TYPE_CHECKING:
    from hub.accounts.models import Organization, User

TRANSPORT_MODES = ("sea", "air", "road", "rail", "courier")
#: What the transport document number is called in each mode.
TRANSPORT_DOCUMENT_NAMES = {
    "sea": "Bill of lading", "air": "Air waybill", "road": "CMR consignment note",
    "rail": "Rail waybill", "courier": "Air waybill",
}
PARTICIPANT_ROLES = ("coordinator", "agent", "broker", "forwarder", "observer")
INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")


class Shipment(db.Model):
    """One consignment crossing one border."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("owner_org_id", "reference"),)

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(String(64))
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    origin_country: Mapped[str] = mapped_column(String(2))
    destination_country: Mapped[str] = mapped_column(String(2), index=True)
    port_of_entry: Mapped[str | None] = mapped_column(String(100))
    transport_mode: Mapped[str] = mapped_column(String(10))
    incoterm: Mapped[str | None] = mapped_column(String(3))
    goods_description: Mapped[str | None] = mapped_column(String(2000))
    hs_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    declared_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    etd: Mapped[OptionalTimestamp]
    eta: Mapped[OptionalTimestamp]
    # The port of entry's subdivision (ISO 3166-2 without the country, e.g. "BY"): its regional
    # public holidays count on the clearance clock.
    port_of_entry_subdivision: Mapped[str | None] = mapped_column(String(10))
    # The numbers people look a shipment up by, and what customs needs on the record.
    transport_document_number: Mapped[str | None] = mapped_column(String(64), index=True)
    container_numbers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    carrier: Mapped[str | None] = mapped_column(String(200))
    vessel_or_flight: Mapped[str | None] = mapped_column(String(100))
    purchase_order: Mapped[str | None] = mapped_column(String(64), index=True)
    customs_entry_number: Mapped[str | None] = mapped_column(String(64), index=True)
    consignee: Mapped[str | None] = mapped_column(String(200))
    supplier: Mapped[str | None] = mapped_column(String(200))
    port_of_loading: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    # The thread's sequence counter: incremented under the row lock by each new message.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[UpdatedAt]

    owner: Mapped[Organization] = relationship(lazy="joined")
    participants: Mapped[list[ShipmentParticipant]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentParticipant.id"
    )

    def participant(self, user: User) -> ShipmentParticipant | None:
        """The participant row of `user`, if they take part."""
        return next((p for p in self.participants if p.user_id == user.id), None)

    def to_dict(self) -> dict[str, object]:
        """The shipment object of the API (without per-caller fields)."""
        return {
            **api_fields(self, "id", "reference", "origin_country", "destination_country", "port_of_entry",
                         "transport_mode", "incoterm", "goods_description"),
            "hs_codes": list(self.hs_codes or []),
            "declared_value": None if self.declared_value is None else f"{self.declared_value:.2f}",
            **api_fields(self, "currency", "etd", "eta", "port_of_entry_subdivision", "transport_document_number"),
            "container_numbers": list(self.container_numbers or []),
            **api_fields(self, "carrier", "vessel_or_flight", "purchase_order", "customs_entry_number", "consignee",
                         "supplier", "port_of_loading", "status"),
            "owner_organization": {"id": self.owner.id, "name": self.owner.name},
            **api_fields(self, "last_seq", "created_at", "updated_at"),
        }


class ShipmentParticipant(db.Model):
    """A user taking part in one shipment, with a role on it."""

    __tablename__ = "shipment_participants"
    __table_args__ = (UniqueConstraint("shipment_id", "user_id"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment]
    user_id: Mapped[OfUser] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(20))
    # Read state of the thread: the highest seq this participant has seen.
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    added_by_id: Mapped[ByUser]
    added_at: Mapped[Timestamp]

    shipment: Mapped[Shipment] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(
        back_populates="participations", foreign_keys=[user_id], lazy="joined"
    )

    def to_dict(self) -> dict[str, object]:
        """The participant as the API lists it."""
        return {
            "user": {
                "id": self.user.id,
                "name": self.user.name,
                "email": self.user.email,
                "organization": self.user.organization.name,
                "time_zone": self.user.time_zone,
                "working_hours": self.user.working_hours(),
                "active": self.user.active,
            },
            "role": self.role,
            "added_by": self.added_by_id,
            "added_at": to_iso(self.added_at),
            "last_read_seq": self.last_read_seq,
        }


class ShipmentInvitation(db.Model):
    """A pending participation: an existing user the coordinator could not already see was
    invited onto the shipment and has not yet accepted or declined. It grants nothing (no
    thread, documents, emails or room): accepting turns it into a ShipmentParticipant."""

    __tablename__ = "shipment_invitations"
    __table_args__ = (UniqueConstraint("shipment_id", "user_id"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment]
    user_id: Mapped[OfUser] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(20))
    # Part of the signed accept link: a link stops working once its invitation is answered,
    # even if a later invitation reuses the row's id (SQLite may).
    nonce: Mapped[str] = mapped_column(String(32))
    invited_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]

    shipment: Mapped[Shipment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys="ShipmentInvitation.invited_by_id")
