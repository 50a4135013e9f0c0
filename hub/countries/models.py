"""Models of the countries area: country profiles with their revisions, and each shipment's
clearance clock."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.timestamps import UTCDateTime, to_iso, utcnow

if TYPE_CHECKING:
    from hub.accounts.models import User

#: The fields of a profile an admin edits; a revision keeps all of them.
PROFILE_FIELDS = ("time_zone", "working_days", "clearance_days", "documents", "notes", "source")


class CountryProfile(db.Model):
    """What a destination country's customs usually takes and requires.

    A profile not yet saved in the database comes from the seed file (`revision` 0).
    """

    __tablename__ = "country_profiles"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    working_days: Mapped[list[str]] = mapped_column(JSON)
    clearance_days: Mapped[dict[str, int]] = mapped_column(JSON)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(1000), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    updated_by: Mapped[User | None] = relationship(lazy="joined")

    def snapshot(self) -> dict[str, Any]:
        """The editable fields, as a revision keeps them."""
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


class CountryProfileRevision(db.Model):
    """One saved state of a profile: who changed what, and when."""

    __tablename__ = "country_profile_revisions"
    __table_args__ = (UniqueConstraint("country_code", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(
        ForeignKey("country_profiles.code", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, object]:
        """The revision as the API lists it."""
        return {
            "revision": self.revision,
            "changed_fields": list(self.changed_fields or []),
            "changed_by": None if self.changed_by is None else {"id": self.changed_by.id, "name": self.changed_by.name},
            "changed_at": to_iso(self.changed_at),
            "notes": self.snapshot.get("notes", ""),
        }


class ClearanceClock(db.Model):
    """A shipment's clearance clock as last computed: its basis (the `arrived` milestone, else
    the ETA), the expected release date, and once released the business days it took.

    Recomputed whenever a milestone, the shipment's ETA or mode, or the destination's profile
    changes; "days left" and "overdue" depend on today and are worked out when read.
    """

    __tablename__ = "clearance_clocks"

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True)
    basis: Mapped[str | None] = mapped_column(String(8))
    basis_on: Mapped[date | None] = mapped_column(Date)
    expected_release_on: Mapped[date | None] = mapped_column(Date, index=True)
    released_on: Mapped[date | None] = mapped_column(Date)
    business_days_taken: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
