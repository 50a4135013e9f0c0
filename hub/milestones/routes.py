"""Pages: recording a milestone from the shipment page's form.

The form works without JavaScript (redirect back with a flash message); `milestones.js` posts
the same form with `Accept: application/json` and shows the answer in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hub.errors import ValidationFailed, wants_json
from hub.i18n import milestone_label
from hub.milestones.services import check_record_milestone, do_record_milestone
from hub.permissions import Action, authorize_on

bp = Blueprint("milestones", __name__)


def form_values(form: Any, time_zone: str) -> dict[str, Any]:
    """The form's fields as the service takes them.

    A `datetime-local` value has no offset: it is the viewer's wall-clock time in their time
    zone (the one the timeline is shown in), so it gets that zone's offset. Anything else is
    passed on unchanged and the service reports what is wrong with it.
    """
    values: dict[str, Any] = {}
    for name in ("code", "occurred_at", "location", "note"):
        value = form.get(name, "").strip()
        if value:
            values[name] = value
    raw = values.get("occurred_at")
    if raw is not None:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None and "T" in raw:
            values["occurred_at"] = parsed.replace(tzinfo=ZoneInfo(time_zone)).isoformat()
    return values


@bp.post("/shipments/<int:shipment_id>/milestones")
@login_required
def record_page(shipment_id: int) -> Any:
    """Record a milestone from the shipment page."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]  (the User, not the proxy)
    access = authorize_on(user, shipment_id, Action.RECORD_MILESTONE)
    values = form_values(request.form, current_user.time_zone)
    back = url_for("shipments.detail_page", shipment_id=shipment_id, _anchor="milestones")
    try:
        milestone, created = do_record_milestone(check_record_milestone(access, values, via="web"))
    except ValidationFailed as exc:
        if wants_json():
            raise
        flash(f"{_('The milestone was not recorded.')} {exc.localized()}", "error")
        return redirect(back)
    if wants_json():
        return jsonify(milestone.to_dict()), 201 if created else 200
    if created:
        flash(_("%(milestone)s recorded.", milestone=milestone_label(milestone.code)), "success")
    else:
        flash(_("%(milestone)s at that time was already recorded; nothing changed.", milestone=milestone_label(milestone.code)), "info")
    return redirect(back)
