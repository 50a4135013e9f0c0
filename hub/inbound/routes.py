"""The Inbound Parse webhook and the admins' "Inbound email" page."""

from __future__ import annotations

import hmac
from email.utils import parseaddr
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hub.accounts.models import User, normalize_email
from hub.accounts.security import csrf_exempt, public_endpoint
from hub.errors import HubError, NotFound
from hub.extensions import db, limiter
from hub.inbound import services
from hub.inbound.models import InboundEmail
from hub.inbound.parsing import decode_field, prepare_request, read_post
from hub.paging import page_args
from hub.permissions import require_admin, visible_user_ids
from hub.shipments.models import Shipment
from hub.signals import inbound_email_received

bp = Blueprint("inbound", __name__)


def _sender_key() -> str:
    """Rate limits count per sender address (the `from` field), else per client address."""
    prepare_request(request)
    try:
        sender = normalize_email(parseaddr(decode_field(request.form.get("from", ""), None))[1])
    except Exception:  # noqa: BLE001 (a malformed post is answered 400 by the view)
        sender = ""
    return f"inbound:{sender or get_remote_address()}"


def _secret_matches(secret: str) -> bool:
    expected = current_app.config.get("INBOUND_WEBHOOK_SECRET") or ""
    return bool(expected) and hmac.compare_digest(secret.encode(), expected.encode())


@bp.post("/webhooks/sendgrid/inbound/<secret>")
@limiter.limit(lambda: current_app.config["INBOUND_RATE_LIMIT"], key_func=_sender_key)
@public_endpoint
@csrf_exempt
def sendgrid_inbound(secret: str) -> Any:
    """SendGrid's Inbound Parse post: 404 for a wrong secret, 400 when malformed, 503 when
    the database is unavailable; every other outcome 200, recorded."""
    if not _secret_matches(secret):
        raise NotFound("Not found.")
    prepare_request(request)
    post = read_post(request)
    try:
        outcome = services.receive_email(post)
    except (OperationalError, InterfaceError, PoolTimeout):
        raise  # transient: 503 (hub.errors), SendGrid delivers it again later
    except HubError as error:
        if error.status >= 500:
            raise  # the file store is unavailable for the moment: the same
        outcome = services.record_failure(post, error)
    except Exception as error:  # noqa: BLE001 (retrying would fail the same way: record it, answer 200)
        current_app.logger.exception("inbound email failed")
        outcome = services.record_failure(post, error)
    inbound_email_received.send(outcome.status, reason=outcome.record.reason if outcome.record else None)
    return jsonify(outcome.to_dict())


@bp.get("/admin/inbound-email")
@login_required
def admin_page() -> Any:
    """Emails received for threads, newest first: sender, shipment, outcome, reason, time (admins)."""
    require_admin(current_user)
    page, per_page = page_args()
    owned = select(Shipment.id).where(Shipment.owner_org_id == current_user.organization_id)
    # An email for no known shipment shows only to admins who already see its sender (their
    # people, or partners on their shipments): another shipper's correspondents stay theirs.
    people = visible_user_ids(current_user)
    people_addresses = select(func.lower(User.email)).where(User.id.in_(people))
    unplaced = InboundEmail.shipment_id.is_(None) & (
        InboundEmail.user_id.in_(people) | func.lower(InboundEmail.sender).in_(people_addresses))
    query = select(InboundEmail).where(InboundEmail.shipment_id.in_(owned) | unplaced)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(InboundEmail.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return render_template("inbound/admin.html", rows=list(rows), reasons=services.REASONS, page=page,
                           per_page=per_page, total=total)
