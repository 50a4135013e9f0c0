"""In Chromium against the real server: a coordinator opens the dashboard from the top bar, reads
its server-drawn charts (no CSP complaint), changes the period, downloads a figure as CSV, and
finds on the list whose move it is with the "waiting on partners" filter and the "needs me" one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from hub.countries.models import ClearanceClock
from hub.extensions import db
from hub.handovers.models import Handover
from hub.shipments.models import ShipmentParticipant
from hub.threads.services import send_message
from hub.timestamps import utcnow
from tests import factories
from tests.milestones.test_browser import browser, live, servers, signed_in_page  # noqa: F401  (fixtures)


@pytest.fixture
def figures(app, world) -> None:
    """Six shipments released over the last weeks, a partner's answered question, and the world's
    shipment waiting on Li Wei."""
    today = utcnow().date()
    for n in range(6):
        shipment = factories.shipment(world.staff, f"PAST-{n}", destination_country=["DE", "CN", "MX"][n % 3],
                                      transport_mode=["sea", "air"][n % 2])
        shipment.status = "released"
        db.session.add(ShipmentParticipant(shipment_id=shipment.id, user_id=world.agent.id, role="agent"))
        released = today - timedelta(days=3 + 4 * n)
        db.session.add(ClearanceClock(shipment_id=shipment.id, basis="arrived", basis_on=released,
                                      expected_release_on=released - timedelta(days=n % 2), released_on=released,
                                      business_days_taken=1 + n))
        db.session.add(Handover(shipment_id=shipment.id, party="partner", user_id=world.agent.id,
                                organization_id=world.agent.organization_id, cause="mention",
                                since=utcnow() - timedelta(days=6 + n), until=utcnow() - timedelta(days=5 + n)))
    db.session.commit()
    send_message(world.staff, world.shipment.id, "@li.wei could you confirm the duties?", str(uuid.uuid4()), via="web")


def test_the_coordinator_reads_the_dashboard_and_whose_move_it_is(figures, live, browser, world):  # noqa: F811
    page = signed_in_page(browser, live, world.staff.email, "/shipments")
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text) if "Content Security Policy" in message.text else None)
    page.click(".topbar a[href='/dashboard']")
    page.wait_for_url(lambda url: url.endswith("/dashboard"))
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("svg.chart").count() == 6
    assert page.locator("#released-count").inner_text().startswith("6 ")
    rows = page.locator("#figure-clearance_by_agent table tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").first.inner_text() == "Shenzhen Agency"
    assert page.locator("#figure-response table tbody tr").count() == 1
    # A shorter period: the last ten days hold two of the six.
    start = (utcnow().date() - timedelta(days=10)).isoformat()
    page.fill("input[name=from]", start)
    page.click("#period-form button[type=submit]")
    page.wait_for_url(lambda url: f"from={start}" in url)
    assert page.locator("#released-count").inner_text().startswith("2 ")
    with page.expect_download() as download:
        page.click("#figure-clearance_by_country a.csv-link")
    assert download.value.suggested_filename.startswith("clearance_by_country_")
    assert complaints == []
    # The list: whose move it is, and the filters.
    page.goto(live.url + "/shipments?shows=waiting_on_partners")
    assert [a.inner_text() for a in page.locator("table.shipments td.ref a").all()] == ["ACME-001"]
    assert page.locator("table.shipments .waiting-on").first.inner_text().startswith("Waiting on Li Wei (Shenzhen Agency)")
    page.goto(live.url + "/shipments?shows=needs_me")
    assert page.locator("h1").count() == 1
    page.goto(live.url + f"/shipments/{world.shipment.id}")
    assert page.locator("#waiting-on-line").inner_text().startswith("Waiting on Li Wei (Shenzhen Agency) for ")
