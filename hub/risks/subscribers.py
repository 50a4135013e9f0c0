"""The rules are re-checked when something they read changes: inside the shipment's own
transaction when the event happens under its lock (milestones, documents), else once the
event's transaction has committed (participants, shipment edits, bounced addresses)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.risks import services
from hub.shipments.models import Shipment
from hub.signals import (
    document_requested,
    document_reviewed,
    document_uploaded,
    email_suppressed,
    milestone_recorded,
    participant_added,
    participant_removed,
    shipment_saved,
    subscribe,
)

_log = logging.getLogger("hub.risks")


def _evaluate_now(shipment: Shipment | None) -> None:
    """Re-check inside the sender's shipment transaction (it holds the shipment's lock)."""
    if shipment is None:
        return
    try:
        with db.session.begin_nested():
            services.evaluate(shipment)
    except IntegrityError:
        # Raised meanwhile by another process's check: that one's flag stands.
        _log.info("risk flag already raised elsewhere", extra={"shipment_id": shipment.id})


def on_milestone_recorded(milestone: Any, **_: Any) -> None:
    """Holds, inspections, arrival and release change what the rules see."""
    _evaluate_now(db.session.get(Shipment, milestone.shipment_id))


def on_document_changed(shipment: Shipment, **_: Any) -> None:
    """A review, an upload or a request changes the checklist."""
    _evaluate_now(shipment)


def on_outside_change(shipment: Shipment, **_: Any) -> None:
    """A participant added or removed, the ETA or destination edited: re-check after the commit."""
    services.recheck_later([shipment.id])


def on_email_suppressed(email: str, **_: Any) -> None:
    """An agent's or broker's address bounced (or was let through again)."""
    services.recheck_later(services.participant_shipments(email))


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent)."""
    subscribe({
        milestone_recorded: on_milestone_recorded,
        document_reviewed: on_document_changed,
        document_uploaded: on_document_changed,
        document_requested: on_document_changed,
        participant_added: on_outside_change,
        participant_removed: on_outside_change,
        shipment_saved: on_outside_change,
        email_suppressed: on_email_suppressed,
    })
