"""API: shipments and their participants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from hub.errors import N_, ValidationFailed, one_of_reason
from hub.extensions import limiter
from hub.limits import setting, user_key
from hub.paging import items_response, page_args
from hub.payload import json_object
from hub.permissions import Action, get_shipment_for
from hub.shipments import services
from hub.shipments.extras import list_extras
from hub.shipments.models import TRANSPORT_MODES

bp = Blueprint("shipments_api", __name__, url_prefix="/api/v1")


@bp.get("/shipments")
def list_shipments() -> Any:
    """The caller's shipments, paged, with unread counts."""
    page, per_page = page_args()
    mode = request.args.get("mode") or None
    if mode is not None and mode not in TRANSPORT_MODES:
        raise ValidationFailed(N_("Unknown transport mode."), fields={"mode": one_of_reason(TRANSPORT_MODES)})
    rows, total = services.list_shipments(
        current_user,
        search=request.args.get("q") or None,
        country=request.args.get("country") or None,
        mode=mode,
        status=request.args.get("status") or None,
        shows=request.args.get("shows") or None,
        page=page,
        per_page=per_page,
    )
    extras = list_extras(current_user, [s for s, _unread in rows])
    items = [services.shipment_view(current_user, s, unread) | extras[s.id] for s, unread in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.post("/shipments")
def create_shipment() -> Any:
    """Create a shipment (staff only)."""
    from hub.permissions import require_staff

    require_staff(current_user)
    shipment = services.create_shipment(current_user, json_object())
    return jsonify(services.shipment_view(current_user, shipment)), 201


@bp.get("/shipments/<int:shipment_id>")
def get_shipment(shipment_id: int) -> Any:
    """One shipment, with the caller's unread count and its warnings."""
    shipment = get_shipment_for(current_user, shipment_id)
    data = services.shipment_view(current_user, shipment)
    data["participants"] = [p.to_dict() for p in shipment.participants]
    from hub.shipments.extras import shipment_extras

    data.update(shipment_extras(current_user, shipment))
    return jsonify(data)


@bp.patch("/shipments/<int:shipment_id>")
def update_shipment(shipment_id: int) -> Any:
    """Edit a shipment (staff of the owner)."""
    shipment = get_shipment_for(current_user, shipment_id, Action.EDIT_SHIPMENT)
    shipment = services.update_shipment(current_user, shipment, json_object())
    return jsonify(services.shipment_view(current_user, shipment))


@bp.get("/shipments/<int:shipment_id>/participants")
def list_participants(shipment_id: int) -> Any:
    """Who takes part in the shipment."""
    shipment = get_shipment_for(current_user, shipment_id)
    return items_response(shipment.participants)


@bp.post("/shipments/<int:shipment_id>/participants")
@limiter.shared_limit(setting("RATELIMIT_INVITATIONS"), scope="invitations", key_func=user_key)
def add_participant(shipment_id: int) -> Any:
    """Add a user or invite a partner by email; 200 when they were already on it (or already
    invited). `status` says whether they take part now or once they accept."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    added = services.add_participant(current_user, shipment, json_object())
    return jsonify(added.to_dict()), 201 if added.created else 200


@bp.delete("/shipments/<int:shipment_id>/participants/<int:user_id>")
def remove_participant(shipment_id: int, user_id: int) -> Any:
    """Take a user off the shipment."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    services.remove_participant(current_user, shipment, user_id)
    return "", 204
