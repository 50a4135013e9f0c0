"""API: tokens and the caller's profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify
from flask_login import current_user
from sqlalchemy import select

from hub.accounts import services
from hub.accounts.models import TOKEN_SCOPES, ApiToken
from hub.accounts.security import csrf_exempt, public_endpoint
from hub.errors import NotFound, Unauthorized
from hub.extensions import db, limiter
from hub.limits import account_key, setting, user_key
from hub.paging import items_response
from hub.payload import check_fields, integer_id, json_object, one_of, optional, text
from hub.timestamps import parse_timestamp, utcnow


def future_timestamp(value: Any) -> Any:
    """An ISO 8601 date-time or date in the future."""
    moment = parse_timestamp(value)
    if moment <= utcnow():
        raise ValueError("must be in the future")
    return moment

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")

TOKEN_FIELDS = {"name": text(100), "scope": optional(one_of(TOKEN_SCOPES)), "expires_at": optional(future_timestamp)}


@bp.post("/auth/token")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@limiter.limit(setting("RATELIMIT_LOGIN_ACCOUNT"), key_func=account_key)
@public_endpoint
@csrf_exempt
def create_token_with_password() -> Any:
    """Exchange email and password for an API token."""
    body = json_object()
    values = check_fields(
        body, {"email": text(254, 1), "password": text(200, 1), "name": text(100)}, required={"email", "password"}
    )
    user = services.authenticate(values["email"], body["password"])
    if user is None:
        raise Unauthorized("Wrong email or password.")
    token, secret = services.create_token(user, values.get("name", ""))
    return jsonify({"token": secret, "id": token.id}), 201


@bp.get("/auth/tokens")
def list_tokens() -> Any:
    """The caller's tokens (metadata only)."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    ).all()
    return items_response(tokens)


@bp.post("/auth/tokens")
@limiter.limit(setting("RATELIMIT_TOKENS"), key_func=user_key)
def create_token() -> Any:
    """Create another token for the caller (optionally read-only, optionally expiring); the
    secret is shown once."""
    values = check_fields(json_object(allow_empty=True), TOKEN_FIELDS)
    token, secret = services.create_token(current_user, values.get("name", ""), scope=values.get("scope") or "write",
                                          expires_at=values.get("expires_at"))
    return jsonify({**token.to_dict(), "token": secret}), 201


@bp.delete("/auth/tokens")
def revoke_token_by_body() -> Any:
    """Revoke one of the caller's tokens (`{"id": N}`), or without a body the token in use."""
    values = check_fields(json_object(allow_empty=True), {"id": integer_id})
    token_id = values.get("id")
    if token_id is None:
        current = g.get("api_token")
        if current is None:
            raise NotFound("No token in use; name one with {\"id\": N}.")
        token_id = current.id
    services.revoke_token(current_user, token_id)
    return "", 204


@bp.delete("/auth/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Any:
    """Revoke one of the caller's tokens."""
    services.revoke_token(current_user, token_id)
    return "", 204


@bp.get("/me")
def me() -> Any:
    """The caller, with organization, locale and time zone."""
    return jsonify(current_user.to_dict())


@bp.patch("/me")
def update_me() -> Any:
    """Change the caller's locale, time zone, name or working hours."""
    values = services.check_profile(json_object(), current_user)
    return jsonify(services.update_profile(current_user, values).to_dict())
