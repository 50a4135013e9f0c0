"""API: risk flags (`/api/v1/risks`, `/api/v1/shipments/<id>/risks`) and thread messages turned
into facts (`/api/v1/messages/<id>/risk`, `/api/v1/messages/<id>/milestone`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from hub.paging import page_args
from hub.payload import json_object
from hub.risks import services

bp = Blueprint("risks_api", __name__, url_prefix="/api/v1")


def _user() -> Any:
    # Signals and emails outlive the request: hand the services the User, not the proxy.
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.get("/shipments/<int:shipment_id>/risks")
def shipment_risks(shipment_id: int) -> Any:
    """Every flag of the shipment, open ones first."""
    return jsonify({"items": services.flags_view(services.shipment_flags(_user(), shipment_id))})


@bp.post("/shipments/<int:shipment_id>/risks")
def raise_risk(shipment_id: int) -> Any:
    """Raise a policy or tariff change on the shipment (the owner's staff)."""
    checked = services.check_raise_flag(_user(), shipment_id, json_object)
    return jsonify(services.flag_view(services.do_raise_flag(checked))), 201


@bp.get("/risks")
def list_risks() -> Any:
    """Flags of every shipment the caller sees: `?open=1&severity=high&owner=me`, paged."""
    page, per_page = page_args()
    filters = services.check_list_filters(request.args)
    rows, total = services.list_flags(_user(), filters, page, per_page)
    return jsonify({"items": services.flags_view(rows), "page": page, "per_page": per_page, "total": total})


@bp.post("/risks")
def raise_for_hs_codes() -> Any:
    """Raise a policy or tariff change on every open shipment of the caller's organisation with
    one of the HS codes (staff)."""
    user, values, shipment_ids = services.check_raise_for_hs_codes(_user(), json_object)
    flags = services.do_raise_for_hs_codes(user, values, shipment_ids)
    return jsonify({"items": services.flags_view(flags), "total": len(flags)}), 201


@bp.patch("/risks/<int:flag_id>")
def change_risk(flag_id: int) -> Any:
    """Reassign the owner and/or resolve with a note (the owner's staff)."""
    checked = services.check_change_flag(_user(), flag_id, json_object)
    return jsonify(services.flag_view(services.do_change_flag(checked)))


@bp.post("/messages/<int:message_id>/risk")
def message_to_risk(message_id: int) -> Any:
    """Turn a thread message into a risk flag (its text as the note, the message as evidence)."""
    checked = services.check_message_to_risk(_user(), message_id, lambda: json_object(allow_empty=True))
    return jsonify(services.flag_view(services.do_message_to_risk(checked))), 201


@bp.post("/messages/<int:message_id>/milestone")
def message_to_milestone(message_id: int) -> Any:
    """Record the milestone a message reports, with the message as evidence."""
    checked, report = services.check_message_to_milestone(_user(), message_id, json_object)
    milestone = services.do_message_to_milestone(checked, report)
    data = milestone.to_dict()
    data["evidence"] = {"message_id": checked.message_id}
    return jsonify(data), 201
