"""Hand-overs: the periods during which a shipment waited on one party ("whose move it is")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models_base import IntPK, OfShipment, OptionalTimestamp
from hub.timestamps import UTCDateTime

if TYPE_CHECKING:
    from hub.accounts.models import Organization, User

PARTIES = ("us", "partner")
#: What passed the ball (the rule that fired), kept for the figures and for debugging.
CAUSES = ("mention", "follow_up", "document_request", "document_rejected", "message", "upload", "milestone",
          "request")


class Handover(db.Model):
    """One period of waiting on a party: `until` is NULL while it lasts (one open row per shipment)."""

    __tablename__ = "handovers"
    # The send path reads the open period of one shipment: (shipment_id, until IS NULL).
    __table_args__ = (Index("ix_handovers_shipment_id_until", "shipment_id", "until"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment]
    party: Mapped[str] = mapped_column(String(10))
    # The partner holding the ball (NULL for `us`: the shipper's staff as a team).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[OptionalTimestamp]
    cause: Mapped[str] = mapped_column(String(20))
    # While the ball is with us: the partner whose message we owe an answer (the next staff
    # message passes the ball back to them).
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id], lazy="joined")
