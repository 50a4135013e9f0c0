"""Country profiles and the clearance clock: what each destination's customs takes and
requires, counted in its business days around its public holidays."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hub.accounts.models import User
from hub.shipments.models import Shipment


def shipment_clearance(user: User, shipment: Shipment) -> dict[str, Any]:
    """The shipment API's `clearance` object and the business days clearance took once released."""
    from hub.countries.clock import clearance_taken, clearance_view

    return {"clearance": clearance_view(shipment), "clearance_business_days_taken": clearance_taken(shipment)}


def register(app: Flask) -> None:
    """Register the countries API, the admin pages, the shipment page panel, the list's
    countdown and filters, and the clock's subscribers."""
    from hub.countries.api import bp as api_bp
    from hub.countries.clock import arriving_this_week_filter, countdown_for, list_clearance, overdue_filter
    from hub.countries.profiles import profile_for, seed_profiles
    from hub.countries.routes import bp as pages_bp
    from hub.countries.subscribers import connect_subscribers
    from hub.shipments.extras import register_extra, register_list_extra, register_list_filter
    from hub.shipments.routes import register_panel
    from hub.templating import register_nav_item
    from hub.threads.markup import render_markdown

    seed_profiles()  # a faulty seed file stops start-up, naming the entry
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    connect_subscribers()
    register_extra(shipment_clearance)
    register_list_extra(list_clearance)
    register_list_filter("overdue", "Overdue", overdue_filter)
    register_list_filter("arriving_this_week", "Arriving this week", arriving_this_week_filter)
    register_panel("countries/_panel.html", 5)
    register_nav_item("Countries", "countries.list_page", "admin")
    app.add_template_global(profile_for, "country_profile")
    app.add_template_global(countdown_for, "clearance_countdown")
    app.add_template_filter(render_markdown, "markdown")
