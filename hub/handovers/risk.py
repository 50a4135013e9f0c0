"""The `no_response` risk rule: a partner has held the ball longer than RISK_RESPONSE_HOURS of
their own working hours (their time zone, working days and public holidays)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from hub.handovers.services import day_seconds, duration_text, waiting_on_of
from hub.risks.rules import CLOSED_STATUSES, Cause, Rule
from hub.shipments.models import Shipment


def no_response(shipment: Shipment, now: datetime) -> Cause | None:
    """A partner holds the ball past RISK_RESPONSE_HOURS of their working hours, shipment not released."""
    if shipment.status in CLOSED_STATUSES:
        return None
    waiting = waiting_on_of([shipment]).get(shipment.id)
    if waiting is None or waiting.party != "partner":
        return None
    seconds = waiting.seconds(now)
    if seconds <= current_app.config["RISK_RESPONSE_HOURS"] * 3600:
        return None
    who = waiting.user.name if waiting.user is not None else "The partner"
    organization = f" ({waiting.organization.name})" if waiting.organization is not None else ""
    # Each hand-over to a partner is its own instance of the cause (a flag resolved by hand
    # comes back only when they are asked again and again do not answer).
    return Cause(f"{who}{organization} has not answered for {duration_text(seconds, day_seconds(waiting.hours))} "
                 f"of their working hours"[:500], f"handover:{waiting.since.isoformat()}:{waiting.user.id if waiting.user else ''}")


NO_RESPONSE = Rule("no_response", "No response from a partner", "medium", no_response, time_based=True)


def register_rule(rules: dict[str, Any]) -> None:
    """Add `no_response` to the risks' rule registry (idempotent)."""
    rules.setdefault(NO_RESPONSE.name, NO_RESPONSE)
