"""Headless Chromium on the shipment page: a reply sent by email appears in the open thread at
once, marked "via email"."""

from __future__ import annotations

import pytest
import requests

from hub.inbound.tokens import reply_address
from tests.inbound.conftest import BOUNDARY, DOMAIN, SECRET, WEBHOOK, InboundEmailPost
from tests.live import LIVE_SECRET_KEY, LiveServer
from tests.threads.conftest import detach_world
from tests.threads.test_browser import _sign_in, browser  # noqa: F401 (the Chromium fixture)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_emailed_reply_shows_via_email_on_the_open_page(app, database_url, world, browser):  # noqa: F811
    app.config.update(INBOUND_EMAIL_DOMAIN=DOMAIN, SECRET_KEY=LIVE_SECRET_KEY)
    shipment_id = world.shipment.id
    email = InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei",
                             to=reply_address(world.agent.id, shipment_id), subject="Re: ACME-001: Arrived",
                             text="Truck booked for **Monday**.\n\nSent from my iPhone\n")
    detach_world(world)
    with LiveServer(database_url, env={"INBOUND_EMAIL_DOMAIN": DOMAIN, "INBOUND_WEBHOOK_SECRET": SECRET}) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server.url, "ana@acme.example", shipment_id)
        answer = requests.post(server.url + WEBHOOK, data=email.body(), timeout=20,
                               headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        assert answer.json()["outcome"] == "posted"
        item = page.wait_for_selector(".thread-message[data-seq='1']", timeout=10000)
        assert item.query_selector(".author").inner_text() == "Li Wei"
        assert item.query_selector(".via").inner_text() == "via email"
        assert item.query_selector(".body").inner_html() == "<p>Truck booked for <strong>Monday</strong>.</p>"
        context.close()
