"""Risk flags: automatic rules (holds, inspections, documents missing before arrival,
clearance overdue, unreachable partners, no agent or broker) and flags raised by hand, each
with an owner, escalated in the thread, live and by email."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from hub.accounts.models import User
from hub.shipments.models import Shipment


def shipment_risks(user: User, shipment: Shipment) -> dict[str, Any]:
    """The shipment API's `risks`: its open flags."""
    from hub.risks.services import flags_view, open_flags_of

    return {"risks": flags_view(open_flags_of([shipment.id])[shipment.id])}


def thread_facts_context(shipment: Shipment) -> dict[str, Any]:
    """What the thread's "turn into a fact" actions need: the facts already made and the
    milestone codes."""
    from hub.i18n import milestone_label
    from hub.milestones_catalogue import CATALOGUE
    from hub.risks.services import shipment_message_facts

    return {"shipment_id": shipment.id, "facts": {str(k): v for k, v in shipment_message_facts(shipment.id).items()},
            "milestones": [{"code": m.code, "label": milestone_label(m.code)} for m in CATALOGUE]}


def register(app: Flask) -> None:
    """Register the risks API, the panels, the list's icons, filter and order, the re-checks
    (events, after requests, the worker's schedule) and the subscribers."""
    from hub.notifications.worker import register_periodic_job
    from hub.risks.api import bp as api_bp
    from hub.risks.page import list_risks, needs_me_filter, urgency_order
    from hub.risks.services import check_all, milestone_evidence, run_pending_rechecks
    from hub.risks.subscribers import connect_subscribers
    from hub.shipments.extras import register_extra, register_list_extra, register_list_filter, register_list_order
    from hub.shipments.routes import register_panel

    app.register_blueprint(api_bp)
    connect_subscribers()
    register_extra(shipment_risks)
    register_list_extra(list_risks)
    register_list_filter("needs_me", "Needs me", needs_me_filter)
    register_list_order(urgency_order)
    register_panel("risks/_panel.html", 2)
    register_periodic_job("risks", "RISK_CHECK_INTERVAL_S", check_all)
    register_panel("risks/_message_facts.html", 99)
    app.add_template_global(thread_facts_context, "thread_facts_context")
    app.add_template_global(milestone_evidence, "milestone_evidence")

    @app.after_request
    def _rechecks(response: Any) -> Any:
        # Events outside a shipment's transaction asked for a re-check once committed.
        if 200 <= response.status_code < 400:
            try:
                run_pending_rechecks()
            except Exception:  # noqa: BLE001  (the request's own change is committed; the worker re-checks)
                logging.getLogger("hub.risks").exception("risk re-check after the request failed")
        return response
