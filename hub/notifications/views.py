"""Routes of the notifications area: preferences (API and settings page), the unsubscribe
link, the local mailbox, suppressions (admin) and SendGrid's event webhook."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.accounts.security import csrf_exempt, public_endpoint
from hub.errors import N_, HubError, NotFound
from hub.extensions import db, limiter
from hub.limits import setting
from hub.milestones_catalogue import CATALOGUE
from hub.notifications import preferences as prefs
from hub.notifications.models import LEVELS, OutboxEmail, SuppressedAddress
from hub.notifications.rendering import read_unsubscribe_token, recipient_context
from hub.notifications.webhook import lift_suppression, parse_events, process_events, verify_signed_request
from hub.paging import items_response, page_args
from hub.payload import json_object
from hub.permissions import is_admin, require_admin, visible_shipments, visible_user_ids
from hub.shipments.models import Shipment

bp = Blueprint("notifications", __name__)


# --- API -------------------------------------------------------------------------------------

@bp.get("/api/v1/me/notifications")
def get_preferences() -> Any:
    """The caller's default and per-shipment notification choices."""
    return jsonify(prefs.preferences_of(current_user))


@bp.put("/api/v1/me/notifications")
def put_preference() -> Any:
    """Set the default (no `shipment_id`) or one shipment's choice; answers the whole object."""
    values = prefs.check_preference(current_user, json_object())
    return jsonify(prefs.set_preference(current_user, values))


@bp.get("/api/v1/admin/email-suppressions")
def list_suppressions() -> Any:
    """Addresses no email goes to (admins)."""
    require_admin(current_user)
    rows = db.session.scalars(_visible_suppressions().order_by(SuppressedAddress.id))
    return items_response(rows)


@bp.delete("/api/v1/admin/email-suppressions/<int:suppression_id>")
def delete_suppression(suppression_id: int) -> Any:
    """Lift a suppression (admins): email goes to the address again."""
    require_admin(current_user)
    entry = _visible_suppression(suppression_id)
    lift_suppression(current_user, entry)
    return Response(status=204)


@bp.post("/webhooks/sendgrid/events")
@limiter.limit(setting("RATELIMIT_WEBHOOKS"))
@public_endpoint
@csrf_exempt
def sendgrid_events() -> Any:
    """SendGrid's signed event webhook (403 unsigned/forged/stale, 400 not an array)."""
    raw = request.get_data(as_text=True)  # verified exactly as received
    verify_signed_request(
        raw,
        request.headers.get("X-Twilio-Email-Event-Webhook-Signature"),
        request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp"),
    )
    return jsonify(process_events(parse_events(raw)))


# --- Pages -----------------------------------------------------------------------------------

@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings_page() -> Any:
    """Choose the default level, muted milestones and per-shipment levels."""
    if request.method == "POST":
        body: dict[str, Any] = {"level": request.form.get("level", "")}
        if request.form.get("shipment_id"):
            try:
                body["shipment_id"] = int(request.form["shipment_id"])
            except ValueError:
                body["shipment_id"] = request.form["shipment_id"]
        if request.form.get("milestones_form") == "1":
            body["muted_milestones"] = request.form.getlist("muted_milestones")
            body["risks"] = request.form.get("risks") == "1"
        try:
            if body.get("shipment_id") and body["level"] == "default":
                # "Use my default": the shipment's own choice goes; the default applies again.
                prefs.clear_preference(current_user, prefs.check_preference(current_user, {**body, "level": "all"}))
            else:
                prefs.set_preference(current_user, prefs.check_preference(current_user, body))
        except HubError as exc:
            flash(exc.localized(), "error")
            return redirect(url_for("notifications.settings_page"))
        flash(_("Notification settings saved."), "success")
        return redirect(url_for("notifications.settings_page"))
    current = prefs.preferences_of(current_user)
    shipments = list(db.session.scalars(visible_shipments(current_user).order_by(Shipment.reference)))
    overrides = {s["shipment_id"]: s for s in current["shipments"]}
    return render_template(
        "notifications/settings.html", current=current, shipments=shipments, overrides=overrides,
        levels=LEVELS, catalogue=CATALOGUE, default_level=prefs.default_level(current_user),
    )


def _unsubscribe_target(token: str) -> tuple[User, Shipment]:
    found = read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    shipment = db.session.get(Shipment, found[1]) if found else None
    if user is None or shipment is None:
        abort(404, "This unsubscribe link is not valid (or the shipment no longer exists).")
    return user, shipment


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf_exempt
def unsubscribe(token: str) -> Any:
    """GET shows what will change (mail scanners follow links: it changes nothing); POST (the
    RFC 8058 one-click or the page's button) mutes the shipment for that user, no login."""
    user, shipment = _unsubscribe_target(token)
    level, _muted = prefs.effective_preference(user, shipment.id)
    done = changed = False
    if request.method == "POST":
        via = "one-click" if request.form.get("List-Unsubscribe") == "One-Click" else "page"
        level, changed = prefs.mute_shipment(user, shipment, via)
        done = True
    # The page speaks the recipient's language: they came from their email, maybe signed out.
    with recipient_context(user.locale, user.time_zone):
        return render_template("notifications/unsubscribe.html", user=user, shipment=shipment, level=level,
                               done=done, changed=changed)


#: Emails whose links are credentials (set a password, accept an invitation).
ACCOUNT_EMAIL_KINDS = frozenset({"invitation", "shipment_invitation", "password_reset"})
_ANY_LINK = re.compile(r"https?://[^\s\"'<>]+")
MASKED_LINK = "[link hidden: only its recipient sees it]"


def _require_local_mailbox() -> None:
    """The mailbox exists only where emails are not sent (no SendGrid key): 404 otherwise."""
    if current_app.config.get("SENDGRID_API_KEY"):
        abort(404)


def _mailbox_rows() -> Any:
    """An admin sees emails about shipments they can see and emails without a shipment to
    people of their organization; everyone else only the emails addressed to them (about
    shipments they still see)."""
    from hub.accounts.models import User as Recipient

    visible = visible_shipments(current_user).with_only_columns(Shipment.id)
    if not is_admin(current_user):
        # Someone taken off a shipment loses its emails with the rest of it.
        return select(OutboxEmail).where(
            OutboxEmail.user_id == current_user.id,
            OutboxEmail.shipment_id.is_(None) | OutboxEmail.shipment_id.in_(visible),
        )
    own_people = select(Recipient.id).where(Recipient.organization_id == current_user.organization_id)
    return select(OutboxEmail).where(
        OutboxEmail.shipment_id.in_(visible)
        | (OutboxEmail.shipment_id.is_(None) & OutboxEmail.user_id.in_(own_people))
    )


def _mailbox_email(email_id: int) -> OutboxEmail:
    """One email of the viewer's mailbox: 404 when it is not theirs to see."""
    _require_local_mailbox()
    row = db.session.scalar(_mailbox_rows().where(OutboxEmail.id == email_id))
    if row is None:
        raise NotFound(N_("Email not found."))
    return row


def shown_body(row: OutboxEmail, body: str) -> str:
    """The body as the viewer may see it: an account email's links (credentials) are masked
    for everyone but its recipient."""
    if row.kind in ACCOUNT_EMAIL_KINDS and row.user_id != current_user.id:
        return _ANY_LINK.sub(MASKED_LINK, body)
    return body


@bp.get("/dev/mailbox")
@login_required
def mailbox_page() -> Any:
    """The local mailbox (only without SendGrid): the emails the viewer may see, newest first."""
    _require_local_mailbox()
    page, per_page = page_args()
    query = _mailbox_rows()
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(OutboxEmail.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return render_template("notifications/mailbox.html", rows=list(rows), page=page, per_page=per_page, total=total)


@bp.get("/dev/mailbox/<int:email_id>")
@login_required
def mailbox_email_page(email_id: int) -> Any:
    """One email: headers, text part and the HTML part in a sandboxed frame."""
    row = _mailbox_email(email_id)
    return render_template("notifications/mailbox_email.html", row=row, text_body=shown_body(row, row.text_body))


@bp.get("/dev/mailbox/<int:email_id>/html")
@login_required
def mailbox_email_html(email_id: int) -> Any:
    """The HTML part as sent, served sandboxed (no scripts, no forms, no navigation)."""
    row = _mailbox_email(email_id)
    response = Response(shown_body(row, row.html_body), mimetype="text/html")
    # Shown in the mailbox page's frame (same origin), nowhere else. Nothing in it may run
    # (no allow-scripts, default-src 'none'); keeping its origin only lets the page measure the
    # email's height, so the frame shows the whole email instead of a box that scrolls.
    response.headers["Content-Security-Policy"] = ("sandbox allow-same-origin; default-src 'none'; "
                                                   "style-src 'unsafe-inline'; img-src *; frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _visible_suppressions() -> Any:
    """Suppressions an admin may see and lift: addresses of people their organization sees."""
    from hub.accounts.models import User as Person

    addresses = select(Person.email).where(Person.id.in_(visible_user_ids(current_user)))
    return select(SuppressedAddress).where(SuppressedAddress.email.in_(addresses))


def _visible_suppression(suppression_id: int) -> SuppressedAddress:
    entry = db.session.scalar(_visible_suppressions().where(SuppressedAddress.id == suppression_id))
    if entry is None:
        raise NotFound(N_("Suppression not found."))
    return entry


@bp.get("/admin/email-suppressions")
@login_required
def suppressions_page() -> Any:
    """Suppressed addresses with a button to lift each (admins)."""
    require_admin(current_user)
    rows = db.session.scalars(_visible_suppressions().order_by(SuppressedAddress.id))
    return render_template("notifications/suppressions.html", rows=list(rows))


@bp.post("/admin/email-suppressions/<int:suppression_id>/lift")
@login_required
def lift_suppression_page(suppression_id: int) -> Any:
    """Lift one suppression from the admin page."""
    require_admin(current_user)
    entry = _visible_suppression(suppression_id)
    lift_suppression(current_user, entry)
    flash(_("Email to %(email)s is allowed again.", email=entry.email), "success")
    return redirect(url_for("notifications.suppressions_page"))
