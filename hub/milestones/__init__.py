"""Clearance milestones: the shipment's timeline, from which its status follows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from hub.timestamps import to_iso, utcnow


def register(app: Flask) -> None:
    """Register the milestone API, the page form route, the shipment page panel and the
    template helpers the panel uses."""
    from hub.i18n import milestone_label
    from hub.milestones.api import bp as api_bp
    from hub.milestones.models import LOCATION_MAX_CHARS, NOTE_MAX_CHARS
    from hub.milestones.routes import bp as pages_bp
    from hub.milestones.services import timeline
    from hub.milestones_catalogue import CATALOGUE, STATUS_CODES, next_code
    from hub.shipments.routes import register_panel

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    register_panel("milestones/_panel.html", 10)

    app.add_template_global(timeline, "milestone_timeline")
    app.add_template_global(CATALOGUE, "milestone_catalogue")
    app.add_template_global(frozenset(m.code for m in CATALOGUE if m.exception), "milestone_exception_codes")
    app.add_template_global({"location": LOCATION_MAX_CHARS, "note": NOTE_MAX_CHARS}, "milestone_limits")
    app.add_template_global(lambda: {code: milestone_label(code) for code in STATUS_CODES}, "milestone_status_labels")
    app.add_template_global(_now_local, "milestone_now_local")
    app.add_template_global(_zone_names, "milestone_zone_names")
    app.add_template_global(lambda milestones: next_code([m.code for m in milestones]), "milestone_next_code")
    app.add_template_filter(to_iso, "milestone_iso")


def _now_local() -> str:
    """The viewer's current wall-clock time as a `datetime-local` input value (the form default)."""
    zone = current_user.time_zone if current_user.is_authenticated else "UTC"
    now: datetime = utcnow().astimezone(ZoneInfo(zone))
    return now.strftime("%Y-%m-%dT%H:%M")


def _zone_names(zone: str) -> dict[str, str]:
    """{UTC offset in minutes: abbreviation} of `zone` over the last and next year, so the
    panel's script names the zone as the server's `local_time` filter does ("CST", not "GMT+8")."""
    tz = ZoneInfo(zone)
    start = utcnow().replace(day=1, hour=12, minute=0, second=0, microsecond=0) - timedelta(days=366)
    names: dict[str, str] = {}
    for week in range(0, 106):
        local = (start + timedelta(weeks=week)).astimezone(tz)
        offset = local.utcoffset()
        if offset is not None:
            names.setdefault(str(int(offset.total_seconds() // 60)), local.tzname() or "")
    return names
