"""Pages: the shipment list, a new shipment, the shipment page and its participants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hub.errors import HubError
from hub.extensions import db
from hub.permissions import Action, can, can_create_shipments, get_shipment_for, require_staff
from hub.shipments import services
from hub.shipments.extras import shipment_extras
from hub.shipments.models import INCOTERMS, PARTICIPANT_ROLES, TRANSPORT_MODES

bp = Blueprint("shipments", __name__)

# Templates included on the shipment page, in order; areas add theirs with `register_panel`.
_panels: list[tuple[int, str]] = []


def register_panel(template: str, order: int) -> None:
    """Show `template` on the shipment page (lower `order` first)."""
    if (order, template) not in _panels:
        _panels.append((order, template))
        _panels.sort()


@bp.get("/shipments")
@login_required
def list_page() -> Any:
    """Shipment list with search and filters."""
    from hub.milestones_catalogue import STATUS_CODES

    filters = {k: request.args.get(k, "").strip() for k in ("q", "country", "mode", "status")}
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows, total = services.list_shipments(
        current_user,
        search=filters["q"] or None,
        country=filters["country"] or None,
        mode=filters["mode"] if filters["mode"] in TRANSPORT_MODES else None,
        status=filters["status"] or None,
        page=page,
        per_page=50,
    )
    return render_template(
        "shipments/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + 49) // 50),
        filters=filters,
        modes=TRANSPORT_MODES,
        statuses=STATUS_CODES,
        can_create=can_create_shipments(current_user),
    )


@bp.route("/shipments/new", methods=["GET", "POST"])
@login_required
def new_page() -> Any:
    """Create a shipment from a form (staff only)."""
    require_staff(current_user)
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        body: dict[str, Any] = {k: v.strip() for k, v in form.items() if k != "csrf_token" and v.strip()}
        if "hs_codes" in body:
            body["hs_codes"] = [c.strip() for c in body["hs_codes"].replace(";", ",").split(",") if c.strip()]
        try:
            shipment = services.create_shipment(current_user, body)
        except HubError as exc:
            db.session.rollback()
            return render_template(
                "shipments/new.html", form=form, errors=exc.fields or {}, message=exc.message,
                modes=TRANSPORT_MODES, incoterms=INCOTERMS,
            ), exc.status
        flash(f"Shipment {shipment.reference} created.", "success")
        return redirect(url_for("shipments.detail_page", shipment_id=shipment.id))
    return render_template(
        "shipments/new.html", form=form, errors={}, message=None, modes=TRANSPORT_MODES, incoterms=INCOTERMS
    )


@bp.get("/shipments/<int:shipment_id>")
@login_required
def detail_page(shipment_id: int) -> Any:
    """The shipment page: facts, participants and each area's panel."""
    shipment = get_shipment_for(current_user, shipment_id)
    return render_template(
        "shipments/detail.html",
        shipment=shipment,
        extras=shipment_extras(current_user, shipment),
        panels=[template for _order, template in _panels],
        can_manage=can(current_user, Action.MANAGE_PARTICIPANTS, shipment),
        can_post=can(current_user, Action.POST_MESSAGE, shipment),
        roles=PARTICIPANT_ROLES,
        Action=Action,
        can=can,
    )


@bp.post("/shipments/<int:shipment_id>/participants")
@login_required
def add_participant_page(shipment_id: int) -> Any:
    """Add or invite a participant from the shipment page."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    body: dict[str, Any] = {"email": request.form.get("email", ""), "role": request.form.get("role", "")}
    if request.form.get("organization_id"):
        try:
            body["organization_id"] = int(request.form["organization_id"])
        except ValueError:
            body["organization_id"] = request.form["organization_id"]
    elif request.form.get("org_name"):
        body["organization"] = {
            "name": request.form.get("org_name", ""),
            "kind": request.form.get("org_kind", ""),
            "country": request.form.get("org_country", ""),
        }
    if request.form.get("name"):
        body["name"] = request.form["name"]
    try:
        participant, created, invited = services.add_participant(current_user, shipment, body)
    except HubError as exc:
        db.session.rollback()
        detail = "; ".join(f"{k} {v}" for k, v in (exc.fields or {}).items())
        flash(f"{exc.message} {detail}".strip(), "error")
        return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))
    if invited:
        flash(f"Invitation sent to {participant.user.email}.", "success")
    elif created:
        flash(f"{participant.user.name} added as {participant.role}.", "success")
    else:
        flash(f"{participant.user.name} is now {participant.role}.", "success")
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))


@bp.post("/shipments/<int:shipment_id>/participants/<int:user_id>/remove")
@login_required
def remove_participant_page(shipment_id: int, user_id: int) -> Any:
    """Remove a participant from the shipment page."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    services.remove_participant(current_user, shipment, user_id)
    flash("Participant removed.", "success")
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))
