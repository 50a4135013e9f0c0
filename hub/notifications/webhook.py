"""SendGrid's signed event webhook: verify, deduplicate by `sg_event_id`, update the outbox
rows, suppress bounced and spam-reporting addresses."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import normalize_email
from hub.audit import record_audit
from hub.errors import Forbidden, MalformedRequest
from hub.extensions import db
from hub.notifications.models import EmailEvent, OutboxEmail, SuppressedAddress
from hub.payload import MAX_ID
from hub.signals import email_bounced, email_suppressed
from hub.timestamps import utcnow

MAX_SKEW_S = 600
#: Events that update the row's delivery status.
TRACKED_EVENTS = ("processed", "delivered", "deferred", "bounce", "dropped", "spamreport", "open", "click", "blocked")


def verify_signed_request(raw_body: str, signature: str | None, timestamp: str | None) -> None:
    """Raise Forbidden unless SENDGRID_WEBHOOK_PUBLIC_KEY signed `timestamp + raw_body` and
    the timestamp is an integer within 10 minutes of now (either way)."""
    from sendgrid.helpers.eventwebhook import EventWebhook

    public_key = current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    if not public_key:
        raise Forbidden("The event webhook is not configured (SENDGRID_WEBHOOK_PUBLIC_KEY).")
    if not signature or not timestamp:
        raise Forbidden("The webhook signature headers are missing.")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise Forbidden("The webhook timestamp is not an integer.") from None
    if abs(time.time() - stamp) > MAX_SKEW_S:
        raise Forbidden("The webhook timestamp is too old or in the future.")
    try:
        helper = EventWebhook()
        key = helper.convert_public_key_to_ecdsa(public_key)
        valid = helper.verify_signature(raw_body, signature, timestamp, key)
    except Exception:  # noqa: BLE001 (a malformed key or signature is a forgery too)
        valid = False
    if not valid:
        raise Forbidden("The webhook signature is not valid.")


def parse_events(raw_body: str) -> list[dict[str, Any]]:
    """The body as a JSON array of event objects, or 400."""
    try:
        events = json.loads(raw_body)
    except (ValueError, RecursionError):
        raise MalformedRequest("The body is not valid JSON.") from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise MalformedRequest("The body must be a JSON array of event objects.")
    return events


def _outbox_id(event: dict[str, Any]) -> int | None:
    raw = event.get("outbox_id")
    if raw is None and isinstance(event.get("custom_args"), dict):
        raw = event["custom_args"].get("outbox_id")
    try:
        value = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and 0 < value <= MAX_ID else None


def _occurred_at(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def process_events(events: list[dict[str, Any]]) -> dict[str, int]:
    """Apply each new event once; answers counts of processed and duplicate events."""
    processed = duplicates = 0
    for event in events:
        event_id = str(event.get("sg_event_id") or "")[:100]
        kind = str(event.get("event") or "")[:20]
        if not event_id or not kind:
            continue
        outbox_id = _outbox_id(event)
        row = db.session.get(OutboxEmail, outbox_id) if outbox_id is not None else None
        email = normalize_email(str(event.get("email") or (row.to_email if row else "")))[:254] or None
        try:
            with db.session.begin_nested():
                db.session.add(EmailEvent(sg_event_id=event_id, event=kind, email=email,
                                          outbox_id=row.id if row else None, occurred_at=_occurred_at(event)))
        except IntegrityError:
            duplicates += 1  # SendGrid retries deliveries: the same event arrives again
            continue
        processed += 1
        if kind in ("bounce", "dropped"):
            email_bounced.send(kind, email=email)
        if row is not None and kind in TRACKED_EVENTS:
            row.delivery_status = kind
            row.delivery_updated_at = utcnow()
        if email and (kind == "spamreport" or (kind == "bounce" and event.get("type", "bounce") == "bounce")):
            suppress(email, "spam" if kind == "spamreport" else "bounce", str(event.get("reason") or "")[:2000] or None,
                     row.shipment_id if row else None)
    db.session.commit()
    return {"processed": processed, "duplicates": duplicates}


def suppress(email: str, reason: str, detail: str | None, shipment_id: int | None) -> None:
    """Stop emailing `email` (pending rows to it are marked suppressed when attempted)."""
    existing = db.session.scalar(select(SuppressedAddress).where(SuppressedAddress.email == email))
    if existing is not None:
        return
    entry = SuppressedAddress(email=email, reason=reason, detail=detail)
    db.session.add(entry)
    db.session.flush()
    record_audit(None, "email.suppressed", "email_suppression", entry.id, {"email": email, "reason": reason},
                 shipment_id=shipment_id)
    email_suppressed.send(email, suppressed=True)


def lift_suppression(actor: Any, suppression: SuppressedAddress) -> None:
    """An admin lets email go to the address again."""
    record_audit(actor, "email.suppression_lifted", "email_suppression", suppression.id,
                 {"email": suppression.email, "reason": suppression.reason})
    db.session.delete(suppression)
    db.session.flush()
    email_suppressed.send(suppression.email, suppressed=False)
    db.session.commit()
