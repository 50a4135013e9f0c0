"""Pending participation: an existing user the coordinator cannot already see, invited by email
onto a shipment, takes part only once they accept (issue 14: "reached by email invitation,
which they accept"). Until then they are on nothing: no thread, documents, emails or socket
room, and the coordinator learns nothing about them beyond the address they typed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from hub.extensions import db, socketio
from hub.notifications.models import OutboxEmail
from hub.shipments.models import ShipmentInvitation, ShipmentParticipant
from hub.threads.models import Message
from tests import factories
from tests.conftest import HubTestClient


def _invite(client, world, email: str, role: str = "agent", who: str = "staff"):
    return client.post(f"/api/v1/shipments/{world.shipment.id}/participants", json={"email": email, "role": role},
                       headers=world.headers(who))


def _on_shipment(world, user) -> bool:
    return db.session.scalar(select(func.count()).select_from(ShipmentParticipant).where(
        ShipmentParticipant.shipment_id == world.shipment.id, ShipmentParticipant.user_id == user.id)) == 1


def _invitation_email(user) -> OutboxEmail:
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "shipment_invitation",
                                                        OutboxEmail.user_id == user.id)).one()


def _link(email: OutboxEmail) -> str:
    """The path and query of the accept link in the email."""
    marker = "/shipment-invitations?token="
    start = email.text_body.index("http://hub.test" + marker) + len("http://hub.test")
    link = email.text_body[start:].split()[0]
    assert link in email.html_body.replace("&amp;", "&")
    return link


def _browser(app, user) -> tuple[HubTestClient, str]:
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    return browser, factories.session_for(browser, user)


def test_an_existing_user_invited_by_email_is_pending_until_they_accept(app, client, world):
    # As found: Zhang (a partner Acme had never worked with) was on the shipment at once, without
    # being asked, and the answer gave his name and organisation.
    zhang = world.outsider
    answer = _invite(client, world, "Zhang@Agency.example")
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "pending" and answer.json["invited"] is True
    assert answer.json["user"] == {"email": "zhang@agency.example"}  # nothing but what was typed
    assert "Zhang Outsider" not in answer.get_data(as_text=True)
    assert "Shenzhen" not in answer.get_data(as_text=True)
    assert not _on_shipment(world, zhang)

    # Not a member anywhere the shipment shows its people.
    listed = client.get(f"/api/v1/shipments/{world.shipment.id}/participants", headers=world.headers("staff")).json
    assert zhang.id not in [item["user"]["id"] for item in listed["items"]]
    # Nothing of the shipment reaches him: API, thread, documents, socket room.
    sid = world.shipment.id
    for path in (f"/api/v1/shipments/{sid}", f"/api/v1/shipments/{sid}/messages", f"/api/v1/shipments/{sid}/documents"):
        assert client.get(path, headers=world.headers("outsider")).status_code == 404, path
    live = socketio.test_client(app, auth={"token": world.tokens["outsider"]})
    joined = live.emit("join", {"shipment_id": sid}, callback=True)
    assert joined["ok"] is False and joined["error"]["code"] == "not_found"
    live.disconnect()
    # One email, to him, with the accept link; no email about the shipment's thread.
    email = _invitation_email(zhang)
    assert email.shipment_id is None  # the inviting shipper's mailbox does not list it
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.user_id == zhang.id, OutboxEmail.kind != "shipment_invitation")) == 0
    # Asked again while pending: still pending, no second email.
    again = _invite(client, world, "zhang@agency.example", role="broker")
    assert again.status_code == 200 and again.json["status"] == "pending" and again.json["role"] == "broker"
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.kind == "shipment_invitation")) == 1


def test_the_coordinators_mailbox_shows_nothing_of_the_invitee(app, client, world):
    assert _invite(client, world, world.outsider.email).status_code == 201
    for viewer in (world.staff, world.admin):
        browser, _csrf = _browser(app, viewer)
        page = browser.get("/dev/mailbox").get_data(as_text=True)
        assert "Zhang Outsider" not in page and world.outsider.email not in page


def test_accepting_through_the_link_adds_them_with_a_system_message(app, client, world):
    zhang = world.outsider
    assert _invite(client, world, zhang.email, role="broker").status_code == 201
    link = _link(_invitation_email(zhang))
    last_seq = world.shipment.last_seq

    # Signed out, the link asks to sign in first and comes back to it.
    anonymous = HubTestClient(app, app.response_class, use_cookies=True)
    assert "/login" in anonymous.get(link).headers["Location"]
    # Someone else signed in: the link is not theirs.
    other, _csrf = _browser(app, world.agent)
    assert "highlighted" not in other.get(link).get_data(as_text=True)

    browser, csrf = _browser(app, zhang)
    assert 'href="/shipment-invitations"' in browser.get("/shipments").get_data(as_text=True)  # the top bar says so
    page = browser.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ACME-001" in html and "highlighted" in html
    invitation = db.session.scalars(select(ShipmentInvitation)).one()
    done = browser.post(f"/shipment-invitations/{invitation.id}/accept", data={"csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/shipments/{world.shipment.id}")

    db.session.expire_all()
    assert _on_shipment(world, zhang)
    participant = db.session.scalar(select(ShipmentParticipant).where(ShipmentParticipant.user_id == zhang.id))
    assert participant.role == "broker" and participant.added_by_id == world.staff.id
    assert db.session.scalar(select(func.count()).select_from(ShipmentInvitation)) == 0
    note = db.session.scalars(select(Message).where(Message.shipment_id == world.shipment.id)
                              .order_by(Message.seq.desc())).first()
    assert note.kind == "system" and note.seq == last_seq + 1 and "Zhang Outsider" in note.body
    # Said from its facts in each reader's language (hub.i18n.facts_text); the body is the English fallback.
    assert note.facts == {"kind": "participant", "action": "joined", "name": "Zhang Outsider",
                          "organization": zhang.organization.name, "role": "broker"}
    assert client.get(f"/api/v1/shipments/{world.shipment.id}/messages", headers=world.headers("outsider")).status_code == 200
    # Single use: the link now names nothing.
    again = browser.get(link).get_data(as_text=True)
    assert "highlighted" not in again and "flash-error" in again


def test_declining_removes_the_pending_invitation_and_nothing_else(app, client, world):
    zhang = world.outsider
    assert _invite(client, world, zhang.email).status_code == 201
    invitation = db.session.scalars(select(ShipmentInvitation)).one()
    browser, csrf = _browser(app, zhang)
    listed = browser.get("/shipment-invitations").get_data(as_text=True)
    assert "ACME-001" in listed
    assert browser.post(f"/shipment-invitations/{invitation.id}/decline", data={"csrf_token": csrf}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ShipmentInvitation)) == 0
    assert not _on_shipment(world, zhang)
    assert "ACME-001" not in browser.get("/shipment-invitations").get_data(as_text=True)
    assert 'href="/shipment-invitations"' not in browser.get("/shipments").get_data(as_text=True)
    # An answered invitation cannot be accepted afterwards.
    browser.post(f"/shipment-invitations/{invitation.id}/accept", data={"csrf_token": csrf})
    assert not _on_shipment(world, zhang)


def test_nobody_else_can_answer_an_invitation(app, client, world):
    assert _invite(client, world, world.outsider.email).status_code == 201
    invitation = db.session.scalars(select(ShipmentInvitation)).one()
    for intruder in (world.staff, world.agent, world.other_staff):
        browser, csrf = _browser(app, intruder)
        browser.post(f"/shipment-invitations/{invitation.id}/accept", data={"csrf_token": csrf})
        browser.post(f"/shipment-invitations/{invitation.id}/decline", data={"csrf_token": csrf})
    assert db.session.scalar(select(func.count()).select_from(ShipmentInvitation)) == 1
    assert not _on_shipment(world, world.outsider)


def test_an_expired_invitation_link_and_row_count_for_nothing(app, client, world):
    assert _invite(client, world, world.outsider.email).status_code == 201
    link = _link(_invitation_email(world.outsider))
    app.config["INVITATION_MAX_AGE_S"] = -1  # every invitation is now older than its lifetime
    browser, csrf = _browser(app, world.outsider)
    assert "flash-error" in browser.get(link).get_data(as_text=True)  # the link is refused
    invitation = db.session.scalars(select(ShipmentInvitation)).one()
    browser.post(f"/shipment-invitations/{invitation.id}/accept", data={"csrf_token": csrf})
    assert not _on_shipment(world, world.outsider)
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert token  # a signed token, not the row id alone


def test_people_the_coordinator_already_sees_are_still_added_at_once(client, world):
    # Decision: colleagues and partners who are or were on one of the organisation's shipments
    # are added directly, by id or by email, as before (they already work together).
    colleague = factories.user(world.staff.organization, "coordinator", "colleague@acme.example", "Carl Colleague")
    second = factories.shipment(world.staff, "ACME-002")
    for person in (colleague, world.agent):
        answer = client.post(f"/api/v1/shipments/{second.id}/participants",
                             json={"email": person.email, "role": "agent"}, headers=world.headers("staff"))
        assert answer.status_code == 201, answer.json
        assert answer.json["status"] == "active" and answer.json["user"]["id"] == person.id
    assert db.session.scalar(select(func.count()).select_from(ShipmentInvitation)) == 0


def test_the_page_form_invites_the_same_way(app, client, world):
    browser, csrf = _browser(app, world.staff)
    answer = browser.post(f"/shipments/{world.shipment.id}/participants",
                          data={"email": world.outsider.email, "role": "agent", "csrf_token": csrf})
    assert answer.status_code == 302
    page = browser.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "Invitation sent to zhang@agency.example" in page
    assert "Zhang Outsider" not in page
    assert not _on_shipment(world, world.outsider)
    assert db.session.scalar(select(func.count()).select_from(ShipmentInvitation)) == 1


def test_an_account_never_set_up_chooses_a_password_then_answers(app, client, world):
    # Rival invited this person into Rival's own organisation; they never chose a password.
    rival_answer = client.post(
        f"/api/v1/shipments/{factories.shipment(world.other_staff, 'RIV-1').id}/participants",
        json={"email": "new.person@rival.example", "role": "observer",
              "organization_id": world.other_staff.organization_id},
        headers=world.headers("other_staff"))
    assert rival_answer.status_code == 201, rival_answer.json
    answer = _invite(client, world, "new.person@rival.example")
    assert answer.json["status"] == "pending" and "Rival" not in answer.get_data(as_text=True)
    from hub.accounts.models import User

    person = db.session.scalar(select(User).where(User.email == "new.person@rival.example"))
    email = _invitation_email(person)
    account_path = next(part for part in email.text_body.split() if "/invitations/" in part)
    account_path = urlsplit(account_path).path
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    token = factories.csrf_token_from(browser.get(account_path).get_data(as_text=True))
    done = browser.post(account_path, data={"name": "New Person", "password": "a-long-password-1",
                                            "confirm": "a-long-password-1", "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/shipment-invitations")
    assert "ACME-001" in browser.get("/shipment-invitations").get_data(as_text=True)
    assert not _on_shipment(world, person)
