"""Audit trail of every change of state."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from hub.audit.models import AuditLog
from hub.extensions import db


def record_audit(
    actor: Any,
    action: str,
    target_type: str,
    target_id: int | None,
    details: dict[str, Any] | None = None,
    shipment_id: int | None = None,
) -> AuditLog:
    """Add an audit row to the current transaction (the caller commits)."""
    remote = None
    if has_request_context():
        remote = request.headers.get("X-Forwarded-For", request.remote_addr or "").split(",")[0].strip() or None
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        shipment_id=shipment_id,
        details=details or {},
        remote_addr=remote,
    )
    db.session.add(entry)
    return entry
