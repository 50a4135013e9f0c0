"""The coordinators' morning view: counts, clearance-time and response-time figures, charts."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Select, select


def register(app: Flask) -> None:
    """Register the dashboard pages and its top-bar link (staff only)."""
    from hub.dashboard.routes import bp
    from hub.dashboard.services import register_at_risk
    from hub.risks.models import RiskFlag
    from hub.templating import register_nav_item

    app.register_blueprint(bp)
    register_nav_item("Dashboard", "dashboard.index", "staff")

    def open_flags(ids: Select[Any]) -> Select[Any]:
        # Shipments with an open risk flag (resolved_at unset), among `ids`.
        return select(RiskFlag.shipment_id).where(RiskFlag.resolved_at.is_(None), RiskFlag.shipment_id.in_(ids)).distinct()

    register_at_risk(open_flags)
