"""`GET/PUT /api/v1/me/notifications`, the settings page and the unsubscribe link."""

from __future__ import annotations

import re

from hub.audit.models import AuditLog
from hub.extensions import db
from hub.notifications.models import NotificationPreference
from hub.notifications.rendering import unsubscribe_url
from tests.notifications.conftest import sign_in

URL = "/api/v1/me/notifications"


def test_defaults_staff_all_partners_milestones(client, world):
    assert client.get(URL, headers=world.headers("staff")).json == {
        "level": "all", "muted_milestones": [], "risks": True, "shipments": []}
    assert client.get(URL, headers=world.headers("agent")).json == {
        "level": "milestones", "muted_milestones": [], "risks": True, "shipments": []}
    assert client.get(URL).status_code == 401


def test_put_sets_the_default_and_per_shipment_choices(client, world):
    headers = world.headers("agent")
    answer = client.put(URL, json={"level": "all", "muted_milestones": ["booked", "departed"]}, headers=headers)
    assert answer.status_code == 200
    assert answer.json == {"level": "all", "muted_milestones": ["booked", "departed"], "risks": True, "shipments": []}
    answer = client.put(URL, json={"shipment_id": world.shipment.id, "level": "mute"}, headers=headers)
    assert answer.json["shipments"] == [
        {"shipment_id": world.shipment.id, "level": "mute", "muted_milestones": ["booked", "departed"], "risks": True}]
    # Omitting muted_milestones keeps the stored list; giving it replaces it.
    answer = client.put(URL, json={"shipment_id": world.shipment.id, "level": "milestones",
                                   "muted_milestones": [], "risks": False}, headers=headers)
    assert answer.json["shipments"][0] == {"shipment_id": world.shipment.id, "level": "milestones",
                                           "muted_milestones": [], "risks": False}
    assert answer.json["level"] == "all"
    assert client.get(URL, headers=headers).json == answer.json
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(
        AuditLog.action == "notifications.preference_set")) == 3


def test_bad_input_is_refused_and_changes_nothing(client, world):
    headers = world.headers("agent")
    cases = [
        ({"level": "loud"}, 422, "level"),
        ({}, 422, "level"),
        ({"level": "all", "muted_milestones": ["teleported"]}, 422, "muted_milestones"),
        ({"level": "all", "muted_milestones": "booked"}, 422, "muted_milestones"),
        ({"level": "all", "colour": "red"}, 422, "colour"),
        ({"level": "all", "shipment_id": "one"}, 422, "shipment_id"),
    ]
    for body, status, field in cases:
        answer = client.put(URL, json=body, headers=headers)
        assert answer.status_code == status, body
        assert field in answer.json["error"]["fields"], body
    assert client.put(URL, data="level=all", headers=headers).status_code == 400
    outsider_shipment = client.put(URL, json={"shipment_id": world.shipment.id, "level": "mute"},
                                   headers=world.headers("outsider"))
    assert outsider_shipment.status_code == 404
    assert client.put(URL, json={"shipment_id": 999999, "level": "mute"}, headers=headers).status_code == 404
    assert db.session.scalar(db.select(db.func.count(NotificationPreference.id))) == 0


def test_settings_page_saves_the_default_and_a_shipment(client, world):
    token = sign_in(client, "li.wei@agency.example")
    page = client.get("/settings/notifications")
    assert page.status_code == 200 and "ACME-001" in page.text
    assert client.post("/settings/notifications", data={"level": "all"}).status_code == 400  # no CSRF token
    client.post("/settings/notifications", data={"csrf_token": token, "level": "all", "milestones_form": "1",
                                                 "muted_milestones": ["on_hold"], "risks": "1"})
    client.post("/settings/notifications", data={"csrf_token": token, "level": "mute",
                                                 "shipment_id": str(world.shipment.id)})
    assert client.get(URL, headers=world.headers("agent")).json == {
        "level": "all", "muted_milestones": ["on_hold"], "risks": True,
        "shipments": [{"shipment_id": world.shipment.id, "level": "mute", "muted_milestones": ["on_hold"],
                       "risks": True}]}
    refused = client.post("/settings/notifications", data={"csrf_token": token, "level": "loud"},
                          follow_redirects=True)
    assert "部分字段无效。" in refused.text  # "Some fields are invalid.", in Li Wei's Chinese


def test_unsubscribe_get_changes_nothing_and_post_mutes_without_login(app, client, world):
    url = unsubscribe_url(world.agent.id, world.shipment.id)
    path = url.removeprefix("http://hub.test")
    page = client.get(path)
    assert page.status_code == 200
    assert "ACME-001" in page.text and 'method="post"' in page.text
    assert client.get(URL, headers=world.headers("agent")).json["shipments"] == []

    # RFC 8058 one-click: a form POST with no session and no CSRF token.
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert client.get(URL, headers=world.headers("agent")).json["shipments"] == [
        {"shipment_id": world.shipment.id, "level": "mute", "muted_milestones": [], "risks": True}]
    again = client.post(path)
    assert again.status_code == 200 and "未做任何更改" in again.text  # "Nothing changed", in Li Wei's Chinese
    assert client.get(URL, headers=world.headers("agent")).json["level"] == "milestones"  # others unchanged


def test_the_unsubscribe_page_speaks_the_recipients_language(app, client, world):
    world.agent.locale = "es"
    db.session.commit()
    path = unsubscribe_url(world.agent.id, world.shipment.id).removeprefix("http://hub.test")
    assert "Dejar de recibir correos sobre este envío" in client.get(path).text
    done = client.post(path)
    assert re.search(r"ahora está en «Nada»", done.text)


def test_a_forged_unsubscribe_token_is_404_and_changes_nothing(client, world):
    path = unsubscribe_url(world.agent.id, world.shipment.id).removeprefix("http://hub.test")
    forged = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    assert db.session.scalar(db.select(db.func.count(NotificationPreference.id))) == 0
