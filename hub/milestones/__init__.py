"""Clearance milestones: the shipment's timeline, from which its status follows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from hub.timestamps import to_iso, utcnow


def register(app: Flask) -> None:
    """Register the milestone API, the page form route, the shipment page panel and the
    template helpers the panel uses."""
    from hub.milestones.api import bp as api_bp
    from hub.milestones.models import LOCATION_MAX_CHARS, NOTE_MAX_CHARS
    from hub.milestones.routes import bp as pages_bp
    from hub.milestones.services import timeline
    from hub.milestones_catalogue import CATALOGUE, STATUS_CODES, label
    from hub.shipments.routes import register_panel

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    register_panel("milestones/_panel.html", 10)

    app.add_template_global(timeline, "milestone_timeline")
    app.add_template_global(CATALOGUE, "milestone_catalogue")
    app.add_template_global(frozenset(m.code for m in CATALOGUE if m.exception), "milestone_exception_codes")
    app.add_template_global({"location": LOCATION_MAX_CHARS, "note": NOTE_MAX_CHARS}, "milestone_limits")
    app.add_template_global(lambda: {code: label(code) for code in STATUS_CODES}, "milestone_status_labels")
    app.add_template_global(_now_local, "milestone_now_local")
    app.add_template_filter(to_iso, "milestone_iso")


def _now_local() -> str:
    """The viewer's current wall-clock time as a `datetime-local` input value (the form default)."""
    zone = current_user.time_zone if current_user.is_authenticated else "UTC"
    now: datetime = utcnow().astimezone(ZoneInfo(zone))
    return now.strftime("%Y-%m-%dT%H:%M")
