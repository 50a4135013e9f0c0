"""Pages: the countries' profiles for admins (list, edit with revisions)."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hub.business_days import WEEKDAYS
from hub.countries import services
from hub.countries.profiles import known_codes, profile_for
from hub.errors import N_, HubError, Text, ValidationFailed, translate
from hub.extensions import db
from hub.permissions import require_admin
from hub.shipments.models import TRANSPORT_MODES

bp = Blueprint("countries", __name__, url_prefix="/admin/countries")


@bp.get("/")
@login_required
def list_page() -> Any:
    """Every profile with its clearance days per mode (admins); `?code=FR` opens that one."""
    require_admin(current_user)
    code = request.args.get("code", "").strip().upper()
    if code:
        return redirect(url_for("countries.edit_page", code=code))
    profiles = [profile_for(code) for code in known_codes()]
    return render_template("countries/list.html", profiles=profiles, modes=TRANSPORT_MODES)


def form_body(form: Any) -> dict[str, Any]:
    """The API body of the edit form: a number per mode, weekday boxes, documents as YAML."""
    body: dict[str, Any] = {
        "time_zone": form.get("time_zone", "").strip(),
        "working_days": form.getlist("working_days"),
        "notes": form.get("notes", ""),
        "source": form.get("source", ""),
    }
    days: dict[str, Any] = {}
    for mode in TRANSPORT_MODES:
        raw = form.get(f"clearance_days_{mode}", "").strip()
        days[mode] = int(raw) if raw.isdigit() else raw
    body["clearance_days"] = days
    try:
        body["documents"] = yaml.safe_load(form.get("documents", "")) or []
    except yaml.YAMLError as exc:
        raise ValidationFailed(N_("Some fields are invalid."), fields={"documents": Text(N_("is not valid YAML: %(error)s"), error=str(exc))}) from None
    return body


@bp.route("/<code>", methods=["GET", "POST"])
@login_required
def edit_page(code: str) -> Any:
    """One profile: the edit form, what it looks like on a shipment, and its revisions (admins)."""
    require_admin(current_user)
    country = services.check_country(code)
    profile = profile_for(country)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            _code, values = services.check_profile_update(user, country, form_body(request.form))
            profile = services.do_update_profile(user, country, values)
            flash(_("Profile of %(country)s saved (revision %(revision)s).", country=country, revision=profile.revision), "success")
            return redirect(url_for("countries.edit_page", code=country))
        except HubError as exc:
            db.session.rollback()
            errors = exc.fields or {"form": exc.message}
            flash(exc.localized() if exc.fields else translate(exc.message), "error")
    view = services.profile_view(profile) if profile is not None else None
    documents_yaml = yaml.safe_dump(view["documents"], allow_unicode=True, sort_keys=False, width=100) if view else ""
    return render_template(
        "countries/edit.html", code=country, profile=view, modes=TRANSPORT_MODES, weekdays=WEEKDAYS,
        documents_yaml="" if documents_yaml.strip() == "[]" else documents_yaml, errors=errors,
        form=request.form if request.method == "POST" else None,
    ), 422 if errors else 200
