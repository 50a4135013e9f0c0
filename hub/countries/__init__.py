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
    from hub.accounts.working_hours import (
        agents_away_note,
        day_numbers,
        days_off_ahead,
        local_time_line,
        working_hours_of,
        zone_city,
    )
    from hub.countries.api import bp as api_bp
    from hub.countries.clock import arriving_this_week_filter, countdown_for, list_clearance, overdue_filter
    from hub.countries.profiles import document_rules_for, known_codes, profile_for, seed_profiles
    from hub.countries.routes import bp as pages_bp
    from hub.countries.subscribers import connect_subscribers
    from hub.documents.rules import CountryRulesSource, register_country_rules
    from hub.shipments.extras import register_extra, register_list_extra, register_list_filter
    from hub.shipments.models import TRANSPORT_DOCUMENT_NAMES
    from hub.shipments.routes import register_panel
    from hub.templating import register_nav_item
    from hub.threads.markup import render_markdown

    seed_profiles()  # a faulty seed file stops start-up, naming the entry
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    connect_subscribers()
    register_country_rules(CountryRulesSource(rules_for=document_rules_for, countries=known_codes))
    register_extra(shipment_clearance)
    register_list_extra(list_clearance)
    register_list_filter("overdue", "Overdue", overdue_filter)
    register_list_filter("arriving_this_week", "Arriving this week", arriving_this_week_filter)
    register_panel("countries/_panel.html", 5)
    register_nav_item("Countries", "countries.list_page", "admin")
    app.add_template_global(profile_for, "country_profile")
    app.add_template_global(countdown_for, "clearance_countdown")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(TRANSPORT_DOCUMENT_NAMES, "transport_document_names")
    # People's local time and working hours beside their names, and the composer's note.
    app.add_template_global(working_hours_of, "working_hours_of")
    app.add_template_global(local_time_line, "local_time_line")
    app.add_template_global(zone_city, "zone_city")
    app.add_template_global(days_off_ahead, "days_off_ahead")
    app.add_template_global(agents_away_note, "agents_away_note")
    app.add_template_global(day_numbers, "working_day_numbers")
