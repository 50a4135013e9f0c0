"""Models of the milestones area: the clearance events of a shipment's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.milestones_catalogue import label
from hub.models_base import ByUser, IntPK, OfShipment, Timestamp
from hub.timestamps import UTCDateTime, to_iso

if TYPE_CHECKING:
    from hub.accounts.models import User

LOCATION_MAX_CHARS = 200
NOTE_MAX_CHARS = 1000


class Milestone(db.Model):
    """One clearance event (`code` from the catalogue) that happened to a shipment at `occurred_at`.

    `occurred_at` is stored in UTC and truncated to the second: two reports of the same code at
    the same second are the same milestone, which the unique constraint enforces even when two
    requests race.
    """

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("shipment_id", "code", "occurred_at"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment]
    code: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(LOCATION_MAX_CHARS))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_CHARS))
    recorded_by_id: Mapped[ByUser]
    recorded_at: Mapped[Timestamp]

    recorded_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """The catalogue's label of the code."""
        return label(self.code)

    def to_dict(self) -> dict[str, object]:
        """The milestone object of the API and the `milestone` socket event."""
        return {
            "id": self.id,
            "code": self.code,
            "label": self.label,
            "occurred_at": to_iso(self.occurred_at),
            "location": self.location,
            "note": self.note,
            "recorded_by": (
                {"id": self.recorded_by.id, "name": self.recorded_by.name} if self.recorded_by is not None else None
            ),
            "recorded_at": to_iso(self.recorded_at),
        }
