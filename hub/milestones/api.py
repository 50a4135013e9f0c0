"""API: a shipment's milestones (`/api/v1/shipments/<id>/milestones`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from hub.milestones.services import check_record_milestone, do_record_milestone, timeline
from hub.payload import json_object
from hub.permissions import Action, authorize_on, get_shipment_for

bp = Blueprint("milestones_api", __name__, url_prefix="/api/v1")


@bp.get("/shipments/<int:shipment_id>/milestones")
def list_milestones(shipment_id: int) -> Any:
    """The shipment's timeline, ordered by `occurred_at`."""
    shipment = get_shipment_for(current_user, shipment_id)
    return jsonify({"milestones": [m.to_dict() for m in timeline(shipment)]})


@bp.post("/shipments/<int:shipment_id>/milestones")
def post_milestone(shipment_id: int) -> Any:
    """Record a milestone: 201 with it, or 200 with the original when it is a repeat."""
    # Authorization comes before reading the body: who may not act gets 403/404 whatever they send.
    # The signal's `actor` outlives the request (mail rendering): pass the User, not the proxy.
    access = authorize_on(current_user._get_current_object(), shipment_id, Action.RECORD_MILESTONE)  # type: ignore[attr-defined]
    milestone, created = do_record_milestone(check_record_milestone(access, json_object(), via="api"))
    return jsonify(milestone.to_dict()), 201 if created else 200
