"""Tenants kept apart: invitations only into organisations the coordinator may use, users by id
only when already visible, suppressions per tenant, and one 404 for hidden and missing ids."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.extensions import db
from hub.notifications.models import OutboxEmail, SuppressedAddress
from hub.shipments.models import ShipmentParticipant
from tests import factories


def _add(client, world, body, who="staff"):
    return client.post(f"/api/v1/shipments/{world.shipment.id}/participants", json=body, headers=world.headers(who))


def _members(org_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.organization_id == org_id)) or 0


def test_a_coordinator_cannot_invite_into_another_shipper(client, world):
    # As found: the invitee became a member of the rival shipper, listed on its admin page.
    rival = world.other_staff.organization
    before = _members(rival.id)
    response = _add(client, world, {"email": "spy@evil.example", "role": "agent", "organization_id": rival.id})
    assert response.status_code == 404, response.json
    assert response.json["error"] == {"code": "not_found", "message": "Organization not found."}
    assert _members(rival.id) == before
    assert db.session.scalar(select(User).where(User.email == "spy@evil.example")) is None


def test_an_organisation_the_coordinator_cannot_see_answers_like_a_missing_one(client, world):
    elsewhere = factories.org("customs_agent", "FR", "Unrelated Agency")  # on no shipment of Acme
    hidden = _add(client, world, {"email": "a@b.example", "role": "agent", "organization_id": elsewhere.id})
    missing = _add(client, world, {"email": "a@b.example", "role": "agent", "organization_id": 987654})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert _members(elsewhere.id) == 0


@pytest.mark.parametrize("target", ["own", "partner", "former_partner"])
def test_invitations_go_into_own_partner_and_former_partner_organisations(client, world, target):
    if target == "own":
        org_id = world.staff.organization_id
    elif target == "partner":
        org_id = world.agent.organization_id
    else:
        forwarder = factories.org("forwarder", "NL", "Former Forwarding")
        former = factories.user(forwarder, "partner", "old@former.example")
        factories.participant(world.shipment, former, "forwarder")
        assert client.delete(f"/api/v1/shipments/{world.shipment.id}/participants/{former.id}",
                             headers=world.headers("staff")).status_code == 204
        org_id = forwarder.id
    response = _add(client, world, {"email": f"new-{target}@x.example", "role": "agent", "organization_id": org_id})
    assert response.status_code == 201, response.json
    assert db.session.scalar(select(User.organization_id).where(User.email == f"new-{target}@x.example")) == org_id


def test_adding_by_user_id_reveals_nobody_outside_the_coordinators_view(client, world):
    # As found: any user of any organisation was added and their email, name and organisation answered.
    stranger_org = factories.org("broker", "IT", "Stranger Brokers")
    stranger = factories.user(stranger_org, "partner", "secret.person@stranger.example", "Secret Person")
    rival = world.other_staff
    for user_id in (stranger.id, rival.id, 987654):
        response = _add(client, world, {"user_id": user_id, "role": "agent"})
        assert response.status_code == 404, response.json
        assert response.json["error"] == {"code": "not_found", "message": "User not found."}
        assert "secret.person" not in response.get_data(as_text=True)
    on_it = db.session.scalar(select(func.count()).select_from(ShipmentParticipant)
                              .where(ShipmentParticipant.user_id.in_([stranger.id, rival.id])))
    assert on_it == 0


def test_adding_by_user_id_works_for_colleagues_and_known_partners(client, world):
    colleague = factories.user(world.staff.organization, "coordinator", "colleague@acme.example")
    second = factories.shipment(world.staff, "ACME-777")
    for user in (colleague, world.agent):
        response = client.post(f"/api/v1/shipments/{second.id}/participants",
                               json={"user_id": user.id, "role": "agent"}, headers=world.headers("staff"))
        assert response.status_code == 201, response.json


def _suppress(email: str) -> int:
    row = SuppressedAddress(email=email, reason="bounce")
    db.session.add(row)
    db.session.commit()
    return row.id


def test_an_admin_sees_and_lifts_only_suppressions_of_people_their_organisation_sees(client, world):
    rival_admin = factories.user(world.other_staff.organization, "admin", "boss@rival.example")
    ours = _suppress(world.agent.email)  # a partner on Acme's shipment
    theirs = _suppress(world.other_staff.email)  # Rival's coordinator
    stranger = _suppress("nobody@nowhere.example")
    listed = client.get("/api/v1/admin/email-suppressions", headers=world.headers("admin"))
    assert [item["id"] for item in listed.json["items"]] == [ours]
    rival_token = factories.token(rival_admin)
    rival_list = client.get("/api/v1/admin/email-suppressions", headers=factories.bearer(rival_token))
    assert [item["id"] for item in rival_list.json["items"]] == [theirs]
    for hidden in (theirs, stranger, 987654):
        answer = client.delete(f"/api/v1/admin/email-suppressions/{hidden}", headers=world.headers("admin"))
        assert answer.status_code == 404
        assert answer.json["error"] == {"code": "not_found", "message": "Suppression not found."}
    assert db.session.get(SuppressedAddress, theirs) is not None
    assert client.delete(f"/api/v1/admin/email-suppressions/{ours}", headers=world.headers("admin")).status_code == 204


def test_a_hidden_message_and_a_missing_one_answer_the_same(client, world):
    # As found: "Shipment not found" for another tenant's message, "Message not found" for a missing one.
    sent = client.post(f"/api/v1/shipments/{world.shipment.id}/messages",
                       json={"body": "Confidential", "client_id": str(uuid.uuid4())}, headers=world.headers("staff"))
    assert sent.status_code == 201, sent.json
    message_id = sent.json["id"]
    hidden = client.patch(f"/api/v1/messages/{message_id}", json={"body": "x"}, headers=world.headers("other_staff"))
    missing = client.patch("/api/v1/messages/987654", json={"body": "x"}, headers=world.headers("other_staff"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    hidden_delete = client.delete(f"/api/v1/messages/{message_id}", headers=world.headers("outsider"))
    missing_delete = client.delete("/api/v1/messages/987654", headers=world.headers("outsider"))
    assert hidden_delete.json == missing_delete.json and hidden_delete.status_code == 404


def test_a_removed_partner_loses_thread_documents_and_emails_at_once(client, world):
    from tests.documents.conftest import upload

    sid = world.shipment.id
    assert upload(client, world.headers("staff"), sid).status_code == 201
    email = OutboxEmail(kind="mention", to_email=world.agent.email, to_name=world.agent.name, user_id=world.agent.id,
                        shipment_id=sid, subject="About ACME-001", text_body="Secret", html_body="<p>Secret</p>")
    db.session.add(email)
    db.session.commit()
    browser = client.application.test_client()
    factories.session_for(browser, world.agent)
    assert browser.get(f"/dev/mailbox/{email.id}").status_code == 200
    assert client.delete(f"/api/v1/shipments/{sid}/participants/{world.agent.id}",
                         headers=world.headers("staff")).status_code == 204
    for path in (f"/api/v1/shipments/{sid}/messages", f"/api/v1/shipments/{sid}/documents",
                 f"/api/v1/shipments/{sid}"):
        assert client.get(path, headers=world.headers("agent")).status_code == 404, path
    assert browser.get(f"/dev/mailbox/{email.id}").status_code == 404
