"""The risks API: who sees and changes flags, the filters and paging, raising by hand (one
shipment, or every open shipment with some HS codes), and a message turned into a fact."""

from __future__ import annotations

import uuid

import pytest

from hub.shipment_tx import shipment_transaction
from hub.threads.services import add_message
from tests import factories
from tests.risks.conftest import flags, risk_events, system_messages


def _raise(client, world, who: str = "staff", **body):
    return client.post(f"/api/v1/shipments/{world.shipment.id}/risks",
                       json={"note": "New anti-dumping duty on steel fasteners"} | body, headers=world.headers(who))


def test_staff_raise_partners_see_but_may_not_change(client, world):
    created = _raise(client, world, hs_codes=["731815"], severity="high")
    assert created.status_code == 201, created.json
    flag = created.json
    assert flag["rule"] == "policy_change" and flag["owner"]["id"] == world.staff.id and flag["hs_codes"] == ["731815"]
    assert flag["opened_by"]["id"] == world.staff.id and flag["open"] is True
    for who in ("agent", "broker", "observer"):
        seen = client.get(f"/api/v1/shipments/{world.shipment.id}/risks", headers=world.headers(who))
        assert seen.status_code == 200 and [f["id"] for f in seen.json["items"]] == [flag["id"]]
        assert client.patch(f"/api/v1/risks/{flag['id']}", json={"resolved": True, "resolution_note": "x"},
                            headers=world.headers(who)).status_code == 403
        assert _raise(client, world, who).status_code == 403
        listed = client.get("/api/v1/risks?open=1", headers=world.headers(who)).json
        assert [f["id"] for f in listed["items"]] == [flag["id"]]
    for who in ("outsider", "other_staff"):
        assert client.get(f"/api/v1/shipments/{world.shipment.id}/risks", headers=world.headers(who)).status_code == 404
        assert client.patch(f"/api/v1/risks/{flag['id']}", json={"owner_id": world.staff.id},
                            headers=world.headers(who)).status_code == 404
        assert client.get("/api/v1/risks", headers=world.headers(who)).json["total"] == 0
    assert client.get("/api/v1/risks").status_code == 401


def test_bad_input_changes_nothing(client, world):
    flag = _raise(client, world).json
    cases = [
        ({"note": ""}, "note"), ({"note": "x", "severity": "urgent"}, "severity"),
        ({"note": "x", "owner_id": world.agent.id}, "owner_id"), ({"note": "x", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = client.post(f"/api/v1/shipments/{world.shipment.id}/risks", json=body, headers=world.headers("staff"))
        assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    for body, field in [({"resolved": True}, "resolution_note"), ({"owner_id": world.agent.id}, "owner_id"),
                        ({}, "owner_id"), ({"resolved": False, "resolution_note": "x"}, "resolved")]:
        answer = client.patch(f"/api/v1/risks/{flag['id']}", json=body, headers=world.headers("staff"))
        assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    assert client.get("/api/v1/risks?severity=urgent", headers=world.headers("staff")).status_code == 422
    assert client.get("/api/v1/risks?owner=someone", headers=world.headers("staff")).status_code == 422
    assert len(flags(world.shipment.id)) == 1 and flags(world.shipment.id)[0].is_open


def test_reassign_then_resolve_with_a_note(client, world, emitted):
    second = factories.user(world.staff.organization, "coordinator", "carla@acme.example", "Carla")
    factories.participant(world.shipment, second, "coordinator")
    flag = _raise(client, world).json
    moved = client.patch(f"/api/v1/risks/{flag['id']}", json={"owner_id": second.id}, headers=world.headers("staff"))
    assert moved.status_code == 200 and moved.json["owner"]["id"] == second.id
    assert client.get("/api/v1/risks?owner=me", headers=world.headers("staff")).json["total"] == 0
    mine = client.get("/api/v1/risks?owner=me&open=1&severity=medium", headers=factories.bearer(factories.token(second)))
    assert [f["id"] for f in mine.json["items"]] == [flag["id"]]
    done = client.patch(f"/api/v1/risks/{flag['id']}", json={"resolved": True, "resolution_note": "Exempt: origin CN quota"},
                        headers=world.headers("staff"))
    assert done.status_code == 200 and done.json["open"] is False and done.json["resolution_note"] == "Exempt: origin CN quota"
    assert done.json["resolved_by"]["id"] == world.staff.id
    assert system_messages(world.shipment.id)[-1] == (
        "Risk resolved: Policy or tariff change (by Ana Coordinator): Exempt: origin CN quota")
    assert {e[1]["change"] for e in risk_events(emitted)} == {"opened", "updated", "resolved"}
    again = client.patch(f"/api/v1/risks/{flag['id']}", json={"resolved": True, "resolution_note": "again"},
                         headers=world.headers("staff"))
    assert again.status_code == 422
    closed = client.get("/api/v1/risks?open=0", headers=world.headers("staff")).json
    assert closed["total"] == 1 and closed["page"] == 1 and closed["per_page"] == 50


def test_one_policy_change_for_every_open_shipment_with_those_hs_codes(client, world):
    fasteners = factories.shipment(world.staff, "ACME-002", hs_codes=["731815", "940360"])
    other = factories.shipment(world.staff, "ACME-003", hs_codes=["851712"])
    done = factories.shipment(world.staff, "ACME-004", hs_codes=["731815"], status="released")
    rival = factories.shipment(world.other_staff, "RIV-1", hs_codes=["731815"])
    answer = client.post("/api/v1/risks", json={"note": "EU safeguard on steel", "hs_codes": ["7318"], "severity": "high"},
                         headers=world.headers("staff"))
    assert answer.status_code == 201, answer.json
    assert sorted(f["shipment_id"] for f in answer.json["items"]) == [fasteners.id]
    assert flags(other.id) == [] and flags(done.id) == [] and flags(rival.id) == []
    assert client.post("/api/v1/risks", json={"note": "x", "hs_codes": ["7318"]},
                       headers=world.headers("agent")).status_code == 403
    assert client.post("/api/v1/risks", json={"note": "x", "hs_codes": []},
                       headers=world.headers("staff")).status_code == 422


def _text_message(world, author, body: str) -> int:
    with shipment_transaction(world.shipment.id) as locked:
        message = add_message(locked, author, body, client_id=str(uuid.uuid4()))
    return message.id


def test_a_message_becomes_a_risk_flag(client, world, emitted):
    message_id = _text_message(world, world.agent, "Customs want a phytosanitary certificate for the pallets\nMore later")
    for who, status in (("agent", 403), ("observer", 403), ("outsider", 404), ("other_staff", 404)):
        assert client.post(f"/api/v1/messages/{message_id}/risk", headers=world.headers(who)).status_code == status
    answer = client.post(f"/api/v1/messages/{message_id}/risk", json={"severity": "high"}, headers=world.headers("staff"))
    assert answer.status_code == 201, answer.json
    flag = answer.json
    assert flag["rule"] == "message" and flag["evidence_message_id"] == message_id and flag["evidence"]["seq"] == 1
    assert flag["note"].startswith("Customs want a phytosanitary") and flag["detail"] == (
        "Customs want a phytosanitary certificate for the pallets")
    assert system_messages(world.shipment.id)[-1] == "Ana Coordinator turned message #1 into a risk flag"
    assert any(e[0] == "message_facts" for e in emitted)
    assert client.post(f"/api/v1/messages/{message_id}/risk", headers=world.headers("staff")).status_code == 409


def test_a_message_becomes_a_milestone(client, world):
    message_id = _text_message(world, world.agent, "Released at 14:10 local time")
    body = {"code": "released", "occurred_at": "2026-11-20T14:10:00+08:00"}
    assert client.post(f"/api/v1/messages/{message_id}/milestone", json=body,
                       headers=world.headers("agent")).status_code == 403
    bad = client.post(f"/api/v1/messages/{message_id}/milestone", json={"code": "teleported", "occurred_at": "x"},
                      headers=world.headers("staff"))
    assert bad.status_code == 422
    answer = client.post(f"/api/v1/messages/{message_id}/milestone", json=body, headers=world.headers("staff"))
    assert answer.status_code == 201, answer.json
    assert answer.json["code"] == "released" and answer.json["evidence"] == {"message_id": message_id}
    timeline = client.get(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent")).json
    assert [m["code"] for m in timeline["milestones"]] == ["released"]
    assert system_messages(world.shipment.id)[-1] == "Ana Coordinator turned message #1 into the milestone Released"
    assert client.post(f"/api/v1/messages/{message_id}/milestone", json=body,
                       headers=world.headers("staff")).status_code == 409


@pytest.mark.parametrize("kind", ["system"])
def test_only_written_messages_become_facts(client, world, kind):
    with shipment_transaction(world.shipment.id) as locked:
        message = add_message(locked, None, "Risk opened", kind=kind)
    answer = client.post(f"/api/v1/messages/{message.id}/risk", headers=world.headers("staff"))
    assert answer.status_code == 422


def test_the_shipment_page_shows_flags_and_the_timeline_evidence(client, world):
    message_id = _text_message(world, world.agent, "Released at 14:10")
    client.post(f"/api/v1/messages/{message_id}/milestone", json={"code": "released", "occurred_at": "2026-11-20T06:10:00Z"},
                headers=world.headers("staff"))
    _raise(client, world)
    factories.session_for(client, world.staff)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert 'id="risks"' in page and "Policy or tariff change" in page
    assert "from message #1" in page and 'id="message-facts-data"' in page and 'data-can-manage="1"' in page
    factories.session_for(client, world.agent)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "Policy or tariff change" in page and 'data-can-manage="0"' in page
