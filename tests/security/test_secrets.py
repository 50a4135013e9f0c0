"""Secrets stay with their owner: the local mailbox only without SendGrid, each person's own
emails, account links masked for everyone but the recipient; single-line fields refuse line
breaks and control characters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.accounts.models import Organization, User
from hub.extensions import db
from hub.notifications.models import OutboxEmail
from hub.shipments.models import Shipment
from tests import factories
from tests.conftest import HubTestClient
from tests.documents.conftest import upload

LINK = re.compile(r"http://hub\.test/(password/reset|invitations)/[^\s\"'<]+")


def _browser(app, user=None) -> HubTestClient:
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    if user is not None:
        factories.login(browser, user)
    return browser


def _ask_reset(app, email: str) -> OutboxEmail:
    anonymous = _browser(app)
    token = factories.page_csrf_token(anonymous, "/password/forgot")
    assert anonymous.post("/password/forgot", data={"email": email, "csrf_token": token}).status_code == 302
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "password_reset",
                                                        OutboxEmail.to_email == email)).one()


def test_a_coordinator_cannot_read_the_admins_reset_link_in_the_mailbox(app, world):
    # As found: the coordinator asked for the admin's reset, opened the mailbox and set the admin's password.
    email = _ask_reset(app, world.admin.email)
    coordinator = _browser(app, world.staff)
    listing = coordinator.get("/dev/mailbox")
    assert listing.status_code == 200 and "Reset your" not in listing.text
    for path in (f"/dev/mailbox/{email.id}", f"/dev/mailbox/{email.id}/html"):
        answer = coordinator.get(path)
        assert answer.status_code == 404
        assert not LINK.search(answer.text)


def test_only_the_recipient_sees_an_account_emails_link(app, world):
    email = _ask_reset(app, world.staff.email)
    admin = _browser(app, world.admin)  # an admin sees their organization's emails, links masked
    for path in (f"/dev/mailbox/{email.id}", f"/dev/mailbox/{email.id}/html"):
        shown = admin.get(path)
        assert shown.status_code == 200
        assert not LINK.search(shown.text) and "link hidden" in shown.text
    recipient = _browser(app, world.staff)
    assert LINK.search(recipient.get(f"/dev/mailbox/{email.id}").text)
    assert LINK.search(recipient.get(f"/dev/mailbox/{email.id}/html").text)


def test_with_a_sendgrid_key_there_is_no_mailbox(app, world):
    email = _ask_reset(app, world.admin.email)
    admin = _browser(app, world.admin)
    app.config["SENDGRID_API_KEY"] = "SG.configured"
    for path in ("/dev/mailbox", f"/dev/mailbox/{email.id}", f"/dev/mailbox/{email.id}/html"):
        assert admin.get(path).status_code == 404, path


BAD_LINES = ["ACME-X\r\nBcc: spy@evil.example", "ACME\nX", "ACME\x00X", "ACME\x1bX", "ACME\u2028X"]


@pytest.mark.parametrize("reference", BAD_LINES)
def test_a_reference_with_a_line_break_or_control_character_is_refused(client, world, reference):
    # As found: the reference was stored (201) and reached email subjects.
    response = client.post("/api/v1/shipments", json={"reference": reference, "origin_country": "CN",
                                                       "destination_country": "DE", "transport_mode": "sea"},
                           headers=world.headers("staff"))
    assert response.status_code == 422, response.json
    assert "reference" in response.json["error"]["fields"]
    assert db.session.scalar(select(Shipment).where(Shipment.reference.like("ACME%X%"))) is None


@pytest.mark.parametrize("body", [
    {"name": "Ana\r\nBcc: spy@evil.example"},
])
def test_a_name_with_a_line_break_is_refused(client, world, body):
    response = client.patch("/api/v1/me", json=body, headers=world.headers("staff"))
    assert response.status_code == 422 and "name" in response.json["error"]["fields"]
    db.session.refresh(world.staff)
    assert world.staff.name == "Ana Coordinator"


def test_an_invitation_with_a_broken_name_or_organisation_is_refused(client, world):
    for body, field in (
        ({"email": "x@y.example", "role": "agent", "name": "Evil\nName", "organization_id": world.agent.organization_id},
         "name"),
        ({"email": "x@y.example", "role": "agent",
          "organization": {"name": "Evil\r\nCorp", "kind": "broker", "country": "DE"}}, "name"),
    ):
        response = client.post(f"/api/v1/shipments/{world.shipment.id}/participants", json=body,
                               headers=world.headers("staff"))
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["fields"]
    assert db.session.scalar(select(User).where(User.email == "x@y.example")) is None
    assert db.session.scalar(select(Organization).where(Organization.name.like("Evil%"))) is None


def test_a_file_name_with_a_line_break_is_refused(client, world):
    response = upload(client, world.headers("staff"), world.shipment.id, filename="invoice\r\nX-Evil: 1.pdf")
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]


def test_multi_line_texts_keep_line_breaks_but_refuse_nul(client, world):
    ok = client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"goods_description": "Line 1\nLine 2"},
                      headers=world.headers("staff"))
    assert ok.status_code == 200 and ok.json["goods_description"] == "Line 1\nLine 2"
    bad = client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"goods_description": "a\x00b"},
                       headers=world.headers("staff"))
    assert bad.status_code == 422 and "goods_description" in bad.json["error"]["fields"]


def test_the_mailbox_link_shows_to_everyone_only_without_sendgrid(app, world):
    partner = _browser(app, world.agent)
    assert 'href="/dev/mailbox"' in partner.get("/shipments").text
    app.config["SENDGRID_API_KEY"] = "SG.configured"
    assert 'href="/dev/mailbox"' not in partner.get("/shipments").text
