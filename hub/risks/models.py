"""Models of the risks area: a shipment's risk flags, each raised by a named rule or by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models_base import ByUser, IntPK, OfShipment, OptionalTimestamp, Timestamp
from hub.timestamps import to_iso

if TYPE_CHECKING:
    from hub.accounts.models import User

SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
#: How a flag ended: its cause went away (`auto`), or someone resolved it with a note (`manual`).
RESOLUTIONS = ("auto", "manual")
NOTE_MAX_CHARS = 2000
DETAIL_MAX_CHARS = 500


class RiskFlag(db.Model):
    """One risk on one shipment, open until resolved.

    `open_key` is the rule's name while an automatic flag is open and NULL otherwise: the
    unique (shipment_id, open_key) lets a rule hold at most one open flag per shipment on
    SQLite and PostgreSQL alike (NULLs never collide), even when two checks race. Flags raised
    by hand keep it NULL: several policy changes may stand at once.
    `cause_key` names the instance of the cause that raised it (the hold's milestone, the
    suppressed addresses, ...): a flag resolved by hand is raised again only for another one.
    """

    __tablename__ = "risk_flags"
    __table_args__ = (UniqueConstraint("shipment_id", "open_key"),)

    id: Mapped[IntPK]
    shipment_id: Mapped[OfShipment] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX_CHARS), default="")
    note: Mapped[str | None] = mapped_column(Text)
    hs_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_key: Mapped[str | None] = mapped_column(String(40))
    cause_key: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[ByUser] = mapped_column(index=True)
    opened_by_id: Mapped[ByUser]
    opened_at: Mapped[Timestamp]
    resolved_at: Mapped[OptionalTimestamp]
    resolved_by_id: Mapped[ByUser]
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    evidence_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    owner: Mapped[User | None] = relationship(foreign_keys="RiskFlag.owner_id", lazy="joined")
    opened_by: Mapped[User | None] = relationship(foreign_keys="RiskFlag.opened_by_id", lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys="RiskFlag.resolved_by_id", lazy="joined")

    @property
    def is_open(self) -> bool:
        """Not resolved yet."""
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        """The risk flag object of the API and the `risk` socket event."""
        from hub.risks.rules import label_of

        def person(user: User | None) -> dict[str, Any] | None:
            return {"id": user.id, "name": user.name} if user is not None else None

        return {
            "id": self.id,
            "shipment_id": self.shipment_id,
            "rule": self.rule,
            "label": label_of(self.rule),
            "severity": self.severity,
            "open": self.is_open,
            "detail": self.detail,
            "note": self.note,
            "hs_codes": list(self.hs_codes or []),
            "owner": person(self.owner),
            "opened_by": person(self.opened_by),
            "opened_at": to_iso(self.opened_at),
            "resolved_at": to_iso(self.resolved_at),
            "resolved_by": person(self.resolved_by),
            "resolution": self.resolution,
            "resolution_note": self.resolution_note,
            "evidence_message_id": self.evidence_message_id,
        }


class MessageFact(db.Model):
    """A thread message that staff turned into a fact (a risk flag or a milestone): the
    message is its evidence, and the thread shows who did it."""

    __tablename__ = "message_facts"
    __table_args__ = (UniqueConstraint("message_id", "kind"),)

    id: Mapped[IntPK]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[OfShipment] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(10))
    risk_flag_id: Mapped[int | None] = mapped_column(ForeignKey("risk_flags.id", ondelete="CASCADE"))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    created_by_id: Mapped[ByUser]
    created_at: Mapped[Timestamp]

    created_by: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        """What the thread shows under the message."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "kind": self.kind,
            "risk_flag_id": self.risk_flag_id,
            "milestone_id": self.milestone_id,
            "created_by": {"id": self.created_by.id, "name": self.created_by.name} if self.created_by else None,
            "created_at": to_iso(self.created_at),
        }
