"""The clearance clock follows the changes that move it: an `arrived` or `released` milestone
(late or corrected reports too) and a shipment's new ETA, mode, destination or port."""

from __future__ import annotations

from typing import Any

from hub.countries.clock import refresh_clock
from hub.extensions import db
from hub.shipments.models import Shipment
from hub.signals import milestone_recorded, shipment_saved

_CLOCK_MILESTONES = frozenset({"arrived", "released"})
_CLOCK_FIELDS = frozenset({"eta", "transport_mode", "destination_country", "port_of_entry_subdivision"})


def on_milestone_recorded(milestone: Any, **_kwargs: Any) -> None:
    """Recompute the clock in the milestone's transaction."""
    if milestone.code in _CLOCK_MILESTONES:
        shipment = db.session.get(Shipment, milestone.shipment_id)
        if shipment is not None:
            refresh_clock(shipment)


def on_shipment_saved(shipment: Shipment, *, changed: frozenset[str], created: bool, **_kwargs: Any) -> None:
    """Start the clock of a new shipment; recompute it when what it counts from changed."""
    if created or changed & _CLOCK_FIELDS:
        refresh_clock(shipment)


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent)."""
    milestone_recorded.connect(on_milestone_recorded, weak=False)
    shipment_saved.connect(on_shipment_saved, weak=False)
