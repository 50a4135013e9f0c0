"""Inviting partners onto a shipment by email."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.accounts.models import Organization, User
from hub.extensions import db
from hub.shipments.models import ShipmentParticipant
from tests import factories
from tests.accounts.conftest import link_in, outbox
from tests.conftest import HubTestClient


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def invite(client, world, body, who="staff"):
    return client.post(f"/api/v1/shipments/{world.shipment.id}/participants", json=body, headers=world.headers(who))


def accept(app, path: str, name: str = "Carmen Ruiz", password: str = "carmen-secret-1"):
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    page = browser.get(path)
    assert page.status_code == 200, page.status_code
    token = factories.csrf_token_from(page.get_data(as_text=True))
    response = browser.post(path, data={"name": name, "password": password, "confirm": password, "csrf_token": token})
    return browser, response


def test_a_new_email_gets_a_pending_account_and_a_link_that_lands_on_the_shipment(app, client, world):
    agency = world.agent.organization  # a partner organization already on the shipper's shipments
    response = invite(client, world, {"email": "Carmen@Aduana-Norte.example", "role": "agent",
                                      "organization_id": agency.id})
    assert response.status_code == 201, response.json
    assert response.json["invited"] is True and response.json["role"] == "agent"
    invitee = db.session.scalar(select(User).where(User.email == "carmen@aduana-norte.example"))
    assert invitee is not None and not invitee.active and invitee.password_hash is None
    assert invitee.organization_id == agency.id and invitee.role == "partner"

    [email] = outbox("invitation", invitee.email)
    assert email.shipment_id == world.shipment.id
    path = link_in(email)
    browser, done = accept(app, path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/shipments/{world.shipment.id}")
    page = browser.get(f"/shipments/{world.shipment.id}")
    assert page.status_code == 200 and "ACME-001" in page.get_data(as_text=True)

    db.session.refresh(invitee)
    assert invitee.active and invitee.name == "Carmen Ruiz"
    # The link is used up; a second visit is sent to the login page.
    again = HubTestClient(app, app.response_class).get(path)
    assert again.status_code == 302 and again.headers["Location"].endswith("/login")


def test_an_invitation_can_create_the_partners_organization(client, world):
    response = invite(client, world, {
        "email": "hans@spedition.example", "role": "forwarder",
        "organization": {"name": "Spedition Nord", "kind": "forwarder", "country": "de"},
    })
    assert response.status_code == 201, response.json
    org = db.session.scalar(select(Organization).where(Organization.name == "Spedition Nord"))
    assert org is not None and org.country == "DE" and org.kind == "forwarder"
    assert response.json["user"]["organization"] == "Spedition Nord"
    assert len(outbox("invitation", "hans@spedition.example")) == 1


def test_an_existing_email_the_coordinator_sees_is_added_at_once_without_an_invitation(client, world):
    # A partner already working on one of Acme's shipments (world.agent), onto a second one.
    second = factories.shipment(world.staff, "ACME-002")
    response = client.post(f"/api/v1/shipments/{second.id}/participants",
                           json={"email": "LI.WEI@agency.example", "role": "broker",
                                 "organization": {"name": "Ignored", "kind": "broker", "country": "CN"}},
                           headers=world.headers("staff"))
    assert response.status_code == 201
    assert response.json["invited"] is False and response.json["status"] == "active"
    assert response.json["user"]["id"] == world.agent.id
    assert outbox("invitation") == []
    assert db.session.scalar(select(Organization).where(Organization.name == "Ignored")) is None
    assert client.get(f"/api/v1/shipments/{second.id}", headers=world.headers("agent")).status_code == 200


def test_an_existing_email_the_coordinator_does_not_see_is_invited_not_added(client, world):
    # Issue 14: Zhang had never worked with Acme; he was added at once, without being asked.
    # Now he is invited and takes part once he accepts (tests/security/test_invitations.py).
    response = invite(client, world, {"email": "ZHANG@agency.example", "role": "broker"})
    assert response.status_code == 201
    assert response.json["invited"] is True and response.json["status"] == "pending"
    assert response.json["user"] == {"email": "zhang@agency.example"}
    assert client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("outsider")).status_code == 404


def test_adding_someone_already_on_the_shipment_changes_their_role_with_200(client, world):
    response = invite(client, world, {"user_id": world.observer.id, "role": "broker"})
    assert response.status_code == 200 and response.json["role"] == "broker"
    role = db.session.scalar(select(ShipmentParticipant.role).where(ShipmentParticipant.user_id == world.observer.id))
    assert role == "broker"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "new@x.example", "role": "agent"}, "organization_id"),
        ({"email": "new@x.example", "role": "agent", "organization": {"name": "X", "kind": "bank", "country": "DE"}},
         "kind"),
        ({"email": "new@x.example", "role": "agent", "organization": {"name": "X", "kind": "broker", "country": "XX"}},
         "country"),
        ({"email": "new@x.example", "role": "agent", "organization": "Acme"}, "organization"),
        ({"email": "not-an-email", "role": "agent", "organization_id": 1}, "email"),
        ({"email": "new@x.example", "role": "captain", "organization_id": 1}, "role"),
        ({"email": "new@x.example", "organization_id": 1}, "role"),
        ({"email": "new@x.example", "role": "agent", "organization_id": 1, "shoe_size": 42}, "shoe_size"),
        ({"user_id": "7", "role": "agent"}, "user_id"),
        ({"role": "agent"}, "user_id"),
    ],
)
def test_bad_invitations_are_422_and_create_nothing(client, world, body, field):
    users, orgs, participants = count(User), count(Organization), count(ShipmentParticipant)
    response = invite(client, world, body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert (count(User), count(Organization), count(ShipmentParticipant)) == (users, orgs, participants)
    assert outbox("invitation") == []


@pytest.mark.parametrize(("who", "status"), [("agent", 403), ("observer", 403), ("outsider", 404), ("other_staff", 404)])
def test_only_the_owners_staff_invite(client, world, who, status):
    response = invite(client, world, {"email": "new@x.example", "role": "agent",
                                      "organization": {"name": "X", "kind": "broker", "country": "DE"}}, who=who)
    assert response.status_code == status
    assert count(User) == 7 and outbox("invitation") == []


def test_the_invitation_form_on_the_shipment_page(app, client, world):
    agency = world.broker.organization
    token = factories.login(client, world.staff)
    response = client.post(f"/shipments/{world.shipment.id}/participants", data={
        "csrf_token": token, "email": "rosa@aduana-sur.example", "role": "agent", "organization_id": str(agency.id),
    })
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to rosa@aduana-sur.example" in page
    assert len(outbox("invitation", "rosa@aduana-sur.example")) == 1


def test_the_form_reports_bad_input_and_creates_nothing(client, world):
    token = factories.login(client, world.staff)
    response = client.post(f"/shipments/{world.shipment.id}/participants", data={
        "csrf_token": token, "email": "pablo@new.example", "role": "agent",
        "org_name": "Nuevo", "org_kind": "customs_agent", "org_country": "ZZ",
    })
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "country" in page
    assert count(User) == 7 and outbox("invitation") == []


def test_a_pending_invitee_invited_again_gets_a_link_for_the_new_shipment(client, world):
    body = {"email": "late@agency.example", "role": "agent",
            "organization": {"name": "Late Agency", "kind": "customs_agent", "country": "CN"}}
    assert invite(client, world, body).json["invited"] is True
    second = factories.shipment(world.staff, "ACME-002")
    response = client.post(f"/api/v1/shipments/{second.id}/participants",
                           json={"email": "late@agency.example", "role": "agent"}, headers=world.headers("staff"))
    assert response.status_code == 201 and response.json["invited"] is True
    emails = outbox("invitation", "late@agency.example")
    assert [e.shipment_id for e in emails] == [world.shipment.id, second.id]
