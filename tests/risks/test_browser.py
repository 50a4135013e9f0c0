"""In Chromium against the real server: the list's "needs me" shows the shipment whose flag the
coordinator owns, with its severity icon; on the shipment page staff turn a partner's message
into a risk flag and the flags panel shows it live, without a reload."""

from __future__ import annotations

import uuid

import pytest

from hub.extensions import db
from hub.risks.services import open_flag
from hub.shipment_tx import shipment_transaction
from hub.threads.services import add_message
from tests import factories
from tests.milestones.test_browser import browser, servers, signed_in_page  # noqa: F401  (fixtures)
from tests.milestones.test_browser import live as _live  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(app, world):
    """A second shipment with nothing for Ana, a flag she owns on ACME-001, a partner's message."""
    factories.shipment(world.staff, "CALM-002")
    with shipment_transaction(world.shipment.id) as locked:
        open_flag(locked, "policy_change", "high", detail="Tariff on HS 7318 up to 25%")
        add_message(locked, world.agent, "Customs found undeclared batteries in the pallets", client_id=str(uuid.uuid4()))
    return world


def test_needs_me_and_a_message_made_a_risk_live(seeded, _live, browser):  # noqa: F811
    live = _live
    page = signed_in_page(browser, live, "ana@acme.example", "/shipments")
    rows = page.locator("table.shipments tbody tr")
    assert rows.count() == 2
    assert "ACME-001" in rows.first.inner_text()  # the urgent one first
    assert page.locator("table.shipments .risk-flag.severity-high").count() == 1
    page.select_option("select[name=shows]", "needs_me")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: "shows=needs_me" in url)
    assert page.locator("table.shipments tbody tr").count() == 1
    assert "ACME-001" in page.locator("table.shipments tbody tr").first.inner_text()

    # Li Wei's page has no fact to show yet, so it has not loaded the script that shows them.
    partner = signed_in_page(browser, live, seeded.agent.email, f"/shipments/{seeded.shipment.id}")
    partner.wait_for_selector('#thread-status[data-state="live"]')
    assert partner.locator("#message-facts-data").count() == 0

    page.click("text=ACME-001")
    page.wait_for_selector("#risk-list li.risk")
    assert page.locator("#risk-list li.risk").count() == 1
    page.locator("li.thread-message.kind-text button:has-text('Make it a risk flag')").first.click()
    page.wait_for_selector("#risk-list li.risk:nth-child(2)")  # the panel re-read its flags on the `risk` event
    page.wait_for_selector("li.thread-message .fact:has-text('Turned into a risk flag by Ana Coordinator')")
    # ... and the fact shows under the message on his open page at once, in his language.
    fact = partner.locator("li.thread-message .fact")
    fact.wait_for()
    assert "Ana Coordinator" in fact.inner_text() and "Turned into" not in fact.inner_text()
    assert partner.locator("li.thread-message button:has-text('Make it a risk flag')").count() == 0
    page.wait_for_selector("li.thread-message.kind-system:has-text('turned message #')")
    db.session.rollback()
