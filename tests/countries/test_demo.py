"""The demo shows the point of the clearance desk on the first page: realistic profiles, an
overdue shipment, one about to be overdue and one whose clearance window crosses a public
holiday, whatever day the demo is seeded on."""

from __future__ import annotations

from sqlalchemy import select

from hub.countries.clock import clearance_view
from hub.countries.profiles import profile_for
from hub.demo import seed
from hub.extensions import db
from hub.reference_data import container_number
from hub.shipments.models import Shipment
from tests import factories


def test_the_demo_has_an_overdue_a_nearly_overdue_and_a_holiday_crossing_shipment(app, client):
    assert seed() is True
    shipments = db.session.scalars(select(Shipment).order_by(Shipment.reference)).all()
    views = {s.reference: clearance_view(s) for s in shipments}
    assert all(profile_for(s.destination_country) is not None for s in shipments)
    overdue = [ref for ref, view in views.items() if view["overdue"]]
    nearly = [ref for ref, view in views.items() if view["business_days_left"] in (0, 1) and not view["overdue"]]
    crossing = [ref for ref, view in views.items() if view["holidays"]]
    assert "NW-2026-013" in overdue and "NW-2026-014" in nearly and "NW-2026-015" in crossing
    holiday = views["NW-2026-015"]["holidays"][0]["date"]
    assert views["NW-2026-015"]["expected_release_on"] > holiday
    # The customs record is filled in, with valid container numbers.
    recorded = [s for s in shipments if s.transport_document_number]
    assert len(recorded) >= 10
    assert all(container_number(c) == c for s in shipments for c in s.container_numbers)
    # A coordinator sees it on the list: an overdue countdown and the filter finding it.
    from hub.accounts.models import find_user_by_email

    factories.session_for(client, find_user_by_email("ana@northwind.example"))
    html = client.get("/shipments").get_data(as_text=True)
    assert "business day overdue" in html or "business days overdue" in html
    filtered = client.get("/shipments?shows=overdue").get_data(as_text=True)
    assert "NW-2026-013" in filtered and "NW-2026-014" not in filtered
