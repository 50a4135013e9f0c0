"""REST equivalents of the thread's socket events: same service functions, same message objects."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from hub.errors import ValidationFailed
from hub.payload import MAX_ID, check_fields, json_object
from hub.permissions import Action, authorize_on, get_shipment_for
from hub.threads import services

bp = Blueprint("threads_api", __name__, url_prefix="/api/v1")


def _uuid(value: Any) -> str:
    try:
        return services.check_client_id(value)
    except services.MalformedRequest as exc:
        raise ValueError(exc.fields["client_id"]) from None


def _query_int(name: str, minimum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an integer.", fields={name: "must be an integer"}) from None
    if value < minimum:
        raise ValidationFailed(f"{name} must be at least {minimum}.", fields={name: f"must be at least {minimum}"})
    if value > MAX_ID:
        raise ValidationFailed(f"{name} must be at most {MAX_ID}.", fields={name: f"must be at most {MAX_ID}"})
    return value


def _channel() -> str:
    """`api` for token callers, `web` for the signed-in browser."""
    return "api" if getattr(g, "api_token", None) is not None else "web"


@bp.get("/shipments/<int:shipment_id>/messages")
def list_messages(shipment_id: int) -> Any:
    """A page of the thread by `seq` (after_seq / before_seq / limit), oldest first."""
    shipment = get_shipment_for(current_user, shipment_id)
    after_seq, before_seq = _query_int("after_seq", 0), _query_int("before_seq", 1)
    limit = _query_int("limit", 1)
    messages, more = services.list_messages(
        shipment, after_seq=after_seq, before_seq=before_seq,
        limit=services.LIST_DEFAULT_LIMIT if limit is None else limit,
    )
    return jsonify({"messages": [m.to_dict() for m in messages], "more": more})


@bp.post("/shipments/<int:shipment_id>/messages")
def post_message(shipment_id: int) -> Any:
    """Post `{"body", "client_id"}`: 201 with the message, 200 with the original on a repeat."""
    access = authorize_on(current_user, shipment_id, Action.POST_MESSAGE)
    values = check_fields(json_object(), {"body": lambda v: v, "client_id": _uuid}, required={"body"})
    client_id = values.get("client_id") or services.new_client_id()
    message, created = services.do_send_message(
        services.check_send_message(access, values["body"], client_id, via=_channel()))
    return jsonify(services.message_object(message)), 201 if created else 200


@bp.patch("/messages/<int:message_id>")
def edit_message(message_id: int) -> Any:
    """Edit `{"body"}` (author only, within MESSAGE_EDIT_WINDOW_S)."""
    change = services.check_change_message(current_user, message_id, "edit")
    values = check_fields(json_object(), {"body": lambda v: v}, required={"body"})
    return jsonify(services.message_object(services.do_edit_message(change, values["body"])))


@bp.delete("/messages/<int:message_id>")
def delete_message(message_id: int) -> Any:
    """Soft-delete (author only, within MESSAGE_EDIT_WINDOW_S); answers the emptied message."""
    return jsonify(services.message_object(services.delete_message(current_user, message_id)))


@bp.post("/shipments/<int:shipment_id>/read")
def mark_read(shipment_id: int) -> Any:
    """`{"seq"}`: the caller has read the thread up to `seq`."""
    authorize_on(current_user, shipment_id, Action.VIEW)
    values = check_fields(json_object(), {"seq": lambda v: v}, required={"seq"})
    return jsonify(services.mark_read(current_user, shipment_id, values["seq"]))
