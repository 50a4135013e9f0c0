"""Queueing emails into the outbox (inside the caller's transaction)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from hub.extensions import db
from hub.notifications.models import OutboxEmail


def queue_email(
    *,
    kind: str,
    to_email: str,
    to_name: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    user_id: int | None = None,
    shipment_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Render `templates/email/<template>.txt` and `.html` and add an outbox row; the caller commits."""
    row = OutboxEmail(
        kind=kind,
        to_email=to_email,
        to_name=to_name,
        user_id=user_id,
        shipment_id=shipment_id,
        subject=subject,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        headers=headers or {},
    )
    db.session.add(row)
    return row
