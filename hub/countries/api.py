"""API: country profiles (`/api/v1/countries/<code>`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from hub.countries import services
from hub.payload import json_object
from hub.permissions import require_admin

bp = Blueprint("countries_api", __name__, url_prefix="/api/v1")


@bp.get("/countries/<code>")
def get_country(code: str) -> Any:
    """A destination's profile: clearance days, working days, documents, notes, revisions."""
    return jsonify(services.profile_view(services.get_profile(code)))


@bp.put("/countries/<code>")
def put_country(code: str) -> Any:
    """Change a profile (admins); the fields given replace the profile's, the others stay."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    require_admin(user)  # who may not act gets 403 whatever the body
    country, values = services.check_profile_update(user, code, json_object())
    return jsonify(services.profile_view(services.do_update_profile(user, country, values)))
