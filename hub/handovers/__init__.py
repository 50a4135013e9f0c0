"""Whose move it is: hand-overs of the ball between the shipper's staff (`us`) and the partners,
counted in the holding party's working hours and business days."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Connect the hand-over rules to the signals; add `waiting_on` to the shipment API and
    pages, the list's filters and the shipment page's line; register the `no_response` risk rule."""
    from hub.handovers.risk import register_rule
    from hub.handovers.services import (
        list_waiting_on,
        shipment_waiting_on,
        waiting_line_of,
        waiting_on_me_filter,
        waiting_on_partners_filter,
    )
    from hub.handovers.subscribers import connect_subscribers
    from hub.risks.rules import RULES
    from hub.shipments.extras import register_extra, register_list_extra, register_list_filter
    from hub.shipments.routes import register_panel
    from hub.timestamps import parse_timestamp

    connect_subscribers()
    register_rule(RULES)  # the worker's scheduled re-check raises and resolves `no_response`
    register_extra(shipment_waiting_on)
    register_list_extra(list_waiting_on)
    register_list_filter("waiting_on_me", "Waiting on me", waiting_on_me_filter)
    register_list_filter("waiting_on_partners", "Waiting on partners", waiting_on_partners_filter)
    register_panel("handovers/_panel.html", 1)
    app.add_template_global(waiting_line_of, "waiting_line_of")
    app.add_template_filter(parse_timestamp, "parse_timestamp")
