"""The audit log: one row for every change of state, written in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models_base import ByUser, IntPK, Timestamp


class AuditLog(db.Model):
    """Who did what to which thing, when and from where."""

    __tablename__ = "audit_log"

    id: Mapped[IntPK]
    actor_id: Mapped[ByUser] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    shipment_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[Timestamp]
