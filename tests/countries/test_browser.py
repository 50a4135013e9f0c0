"""In Chromium against the real server: a coordinator sees the clearance countdown on the
shipment list and on the shipment page, picks the overdue ones with the list's filter, and reads
the destination's profile notes on a shipment to that country."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.countries.clock import clearance_view, countdown_for
from hub.extensions import db
from hub.milestones.services import record_milestone
from hub.shipments.models import Shipment
from hub.shipments.services import update_shipment
from hub.timestamps import utcnow
from tests import factories
from tests.milestones.test_browser import browser, live, servers, signed_in_page  # noqa: F401  (fixtures)


@pytest.fixture
def desk(app, world) -> dict[str, str]:
    """The world's shipment to Germany due in a few business days, and an overdue one to China;
    answers their countdowns as the server will show them."""
    update_shipment(world.staff, world.shipment, {"eta": (utcnow() + timedelta(days=4)).isoformat(),
                                                  "container_numbers": ["CSQU3054383"]})
    late = factories.shipment(world.staff, "ACME-LATE", destination_country="CN", origin_country="DE")
    record_milestone(world.staff, late.id, {"code": "arrived", "occurred_at": (utcnow() - timedelta(days=21)).isoformat()})
    db.session.commit()
    countdowns = {}
    for shipment in db.session.query(Shipment).all():
        countdowns[shipment.reference] = countdown_for(shipment, clearance_view(shipment))
    assert "left" in countdowns["ACME-001"] and countdowns["ACME-LATE"].endswith("overdue")
    return countdowns


def test_the_coordinator_sees_the_countdown_and_the_destinations_notes(desk, live, browser, world):  # noqa: F811
    page = signed_in_page(browser, live, world.staff.email, "/shipments")
    rows = {row.locator("td.ref a").inner_text(): row for row in page.locator("table.shipments tbody tr").all()}
    assert rows["ACME-001"].locator(".countdown").inner_text() == desk["ACME-001"]
    late = rows["ACME-LATE"].locator(".countdown")
    assert late.inner_text() == desk["ACME-LATE"] and "overdue" in (late.get_attribute("class") or "")

    page.select_option("select[name=shows]", "overdue")
    page.click(".filters button[type=submit]")
    page.wait_for_url(lambda url: "shows=overdue" in url)
    assert [a.inner_text() for a in page.locator("table.shipments td.ref a").all()] == ["ACME-LATE"]

    page.goto(live.url + f"/shipments/{world.shipment.id}")
    assert page.locator("#clearance-countdown").inner_text() == desk["ACME-001"]
    notes = page.locator("#profile-notes")
    assert notes.is_visible()
    assert "Einfuhrumsatzsteuer" in notes.inner_text() and notes.locator("strong").first.inner_text() == "Taxes."
    assert "Germany: customs profile" in page.locator("#country-profile summary").inner_text()
    assert "CSQU3054383" in page.locator("#fact-containers").inner_text()
    # Each person's local time is named by the city.
    assert " in Shanghai, " in page.locator(f"li[data-user-id='{world.agent.id}'] .local-time").inner_text()
