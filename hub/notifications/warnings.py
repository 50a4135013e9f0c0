"""Email problems shown on a shipment (`warnings` of `GET /api/v1/shipments/<id>` and the
page): failed outbox rows of the shipment and suppressed participant addresses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.notifications.models import OutboxEmail, SuppressedAddress
from hub.permissions import is_owner_staff
from hub.shipments.models import Shipment
from hub.timestamps import to_iso


def sees_email_warnings(user: User, shipment: Shipment) -> bool:
    """Coordinators act on delivery problems: the owner's staff and coordinator participants."""
    if is_owner_staff(user, shipment):
        return True
    participant = shipment.participant(user)
    return participant is not None and participant.role == "coordinator"


def email_warnings(user: User, shipment: Shipment) -> dict[str, Any]:
    """The `warnings` list for this viewer."""
    if not sees_email_warnings(user, shipment):
        return {"warnings": []}
    warnings: list[dict[str, Any]] = []
    emails = {p.user.email for p in shipment.participants}
    if emails:
        for entry in db.session.scalars(
            select(SuppressedAddress).where(SuppressedAddress.email.in_(emails)).order_by(SuppressedAddress.id)
        ):
            if entry.reason == "spam":
                warnings.append({"kind": "email_spam", "text": f"email to {entry.email} was reported as spam",
                                 "created_at": to_iso(entry.created_at)})
            else:
                warnings.append({"kind": "email_bounced", "text": f"email to {entry.email} bounced",
                                 "created_at": to_iso(entry.created_at)})
    for row in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.shipment_id == shipment.id, OutboxEmail.status == "failed")
        .order_by(OutboxEmail.id)
    ):
        warnings.append({
            "kind": "email_failed",
            "text": f"email to {row.to_email} ({row.subject}) could not be sent: {row.last_error or 'unknown error'}",
            "created_at": to_iso(row.created_at),
        })
    return {"warnings": warnings}
