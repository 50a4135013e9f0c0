"""The required-document checklist, requests and review: rules file, overrides, states."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.audit.models import AuditLog
from hub.countries.profiles import seed_profiles
from hub.documents.models import DocumentRequest
from hub.documents.rules import RulesFileError, file_rules, parse_rules
from hub.documents.services import create_override
from hub.extensions import db
from hub.signals import document_requested, document_reviewed
from hub.threads.models import Message
from tests import factories
from tests.documents.conftest import PDF, new_version, upload


def checklist(client, world, shipment_id=None, who="broker"):
    response = client.get(f"/api/v1/shipments/{shipment_id or world.shipment.id}/checklist", headers=world.headers(who))
    assert response.status_code == 200, response.json
    return response.json


def states(data):
    return {item["doc_type"]: item["state"] for item in data["items"]}


def expected_types(mode: str, country: str, chapters: set[str], origin: str) -> list[str]:
    """The required types computed straight from the rules file and the country's seeded
    profile, independently of the service."""
    rules = file_rules()
    types = list(rules.base) + [t for t in rules.transport[mode] if t not in rules.base]
    for rule in seed_profiles()[country]["documents"]:
        when = rule.get("when", {})
        if when.get("hs_chapters") and not chapters & set(when["hs_chapters"]):
            continue
        if when.get("origins") and origin not in when["origins"]:
            continue
        if when.get("modes") and mode not in when["modes"]:
            continue
        if rule["doc_type"] not in types:
            types.append(rule["doc_type"])
    return types


def test_a_sea_shipment_to_germany_and_an_air_shipment_to_the_us_follow_the_rules_file(client, world):
    sea = factories.shipment(world.staff, "SEA-DE", destination_country="DE", origin_country="VN",
                             transport_mode="sea", hs_codes=["0803.90", "8413.70"])
    air = factories.shipment(world.staff, "AIR-US", destination_country="US", origin_country="MX",
                             transport_mode="air", hs_codes=["0709.60"])
    sea_list = checklist(client, world, sea.id, "staff")
    air_list = checklist(client, world, air.id, "staff")
    assert [i["doc_type"] for i in sea_list["items"]] == expected_types("sea", "DE", {"08", "84"}, "VN") == [
        "commercial_invoice", "packing_list", "bill_of_lading", "phytosanitary_certificate", "certificate_of_origin"]
    assert [i["doc_type"] for i in air_list["items"]] == expected_types("air", "US", {"07"}, "MX") == [
        "commercial_invoice", "packing_list", "air_waybill", "certificate_of_origin", "phytosanitary_certificate"]
    assert all(set(i) == {"doc_type", "label", "state", "document_id", "request_id"} for i in sea_list["items"])
    assert sea_list["items"][2]["label"] == "Bill of lading"
    assert set(states(sea_list).values()) == {"missing"} and sea_list["complete"] is False


@pytest.mark.parametrize(("mode", "transport_doc"), [("road", "cmr"), ("rail", "rail_waybill"), ("courier", "air_waybill")])
def test_the_transport_document_follows_the_mode(client, world, mode, transport_doc):
    shipment = factories.shipment(world.staff, f"M-{mode}", destination_country="FR", transport_mode=mode)
    assert [i["doc_type"] for i in checklist(client, world, shipment.id, "staff")["items"]] == [
        "commercial_invoice", "packing_list", transport_doc]


def test_the_checklist_follows_requests_uploads_and_reviews(client, world):
    # world.shipment: CN -> DE by sea, no HS codes: the base set and a bill of lading.
    assert states(checklist(client, world)) == {
        "commercial_invoice": "missing", "packing_list": "missing", "bill_of_lading": "missing"}
    req = client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests",
                      json={"doc_type": "commercial_invoice", "due_date": "2026-12-01", "note": "Signed, please"},
                      headers=world.headers("broker"))
    assert req.status_code == 201
    assert req.json["status"] == "open" and req.json["due_date"] == "2026-12-01" and req.json["document_id"] is None
    data = checklist(client, world)
    assert states(data)["commercial_invoice"] == "requested"
    assert data["items"][0]["request_id"] == req.json["id"] and data["items"][0]["document_id"] is None

    invoice = upload(client, world.headers("agent"), world.shipment.id).json
    data = checklist(client, world)
    assert states(data)["commercial_invoice"] == "received" and data["items"][0]["document_id"] == invoice["id"]
    requests = client.get(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("observer")).json
    assert [(r["status"], r["document_id"]) for r in requests["items"]] == [("fulfilled", invoice["id"])]

    rejected = client.post(f"/api/v1/documents/{invoice['id']}/review",
                           json={"decision": "reject", "reason": "Not signed"}, headers=world.headers("broker"))
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert "suggest_milestone" not in rejected.json
    assert states(checklist(client, world))["commercial_invoice"] == "rejected"

    new_version(client, world.headers("agent"), invoice["id"])
    assert states(checklist(client, world))["commercial_invoice"] == "received"
    client.post(f"/api/v1/documents/{invoice['id']}/review", json={"decision": "accept"}, headers=world.headers("broker"))
    assert states(checklist(client, world))["commercial_invoice"] == "accepted"

    packing = upload(client, world.headers("agent"), world.shipment.id, doc_type="packing_list", content=PDF + b"p").json
    lading = upload(client, world.headers("agent"), world.shipment.id, doc_type="bill_of_lading", content=PDF + b"b").json
    client.post(f"/api/v1/documents/{packing['id']}/review", json={"decision": "accept"}, headers=world.headers("broker"))
    assert checklist(client, world)["complete"] is False
    last = client.post(f"/api/v1/documents/{lading['id']}/review", json={"decision": "accept", "reason": None},
                       headers=world.headers("staff"))
    assert last.status_code == 200 and last.json["suggest_milestone"] == "documents_complete"
    assert checklist(client, world)["complete"] is True

    # Withdrawing an accepted document takes it out of the checklist again.
    assert client.delete(f"/api/v1/documents/{lading['id']}", headers=world.headers("staff")).status_code == 204
    data = checklist(client, world)
    assert states(data)["bill_of_lading"] == "missing" and data["complete"] is False


def test_the_newest_document_of_a_type_gives_the_state(client, world):
    old = upload(client, world.headers("agent"), world.shipment.id).json
    client.post(f"/api/v1/documents/{old['id']}/review", json={"decision": "accept"}, headers=world.headers("broker"))
    newer = upload(client, world.headers("agent"), world.shipment.id, content=PDF + b"2").json
    item = checklist(client, world)["items"][0]
    assert (item["state"], item["document_id"]) == ("received", newer["id"])


def test_admin_overrides_add_and_waive_types_for_their_organization(client, world):
    create_override(world.admin, {"effect": "require", "doc_type": "insurance_certificate", "destination_country": "DE"})
    create_override(world.admin, {"effect": "waive", "doc_type": "packing_list", "transport_mode": "sea"})
    create_override(world.admin, {"effect": "require", "doc_type": "export_licence", "destination_country": "US"})
    assert [i["doc_type"] for i in checklist(client, world)["items"]] == [
        "commercial_invoice", "bill_of_lading", "insurance_certificate"]
    rival_shipment = factories.shipment(world.other_staff, "RIVAL-1")
    assert [i["doc_type"] for i in checklist(client, world, rival_shipment.id, "other_staff")["items"]] == [
        "commercial_invoice", "packing_list", "bill_of_lading"]


def test_only_admins_override_and_bad_overrides_are_422(world):
    from hub.errors import Forbidden, ValidationFailed

    with pytest.raises(Forbidden):
        create_override(world.staff, {"effect": "require", "doc_type": "other"})
    with pytest.raises(ValidationFailed) as error:
        create_override(world.admin, {"effect": "maybe", "doc_type": "visa", "hs_chapter": "8", "colour": "x"})
    assert set(error.value.fields) == {"effect", "doc_type", "hs_chapter", "colour"}


def test_the_rules_file_is_checked():
    with pytest.raises(RulesFileError):
        parse_rules({"base": ["passport"]})
    with pytest.raises(RulesFileError):
        parse_rules({"base": [], "countries": {"DE": [{"doc_type": "other", "when": {"weather": ["rain"]}}]}})
    with pytest.raises(RulesFileError):  # country rules belong to the country profiles now
        parse_rules({"base": [], "countries": {"DE": []}})
    rules = file_rules()
    assert rules.base == ("commercial_invoice", "packing_list") and rules.transport["courier"] == ("air_waybill",)
    assert sum(1 for profile in seed_profiles().values() if profile["documents"]) >= 5


def test_nobody_reviews_their_own_upload_and_rejecting_needs_a_reason(client, world):
    doc = upload(client, world.headers("broker"), world.shipment.id).json
    own = client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "accept"}, headers=world.headers("broker"))
    assert own.status_code == 403 and own.json["error"]["code"] == "forbidden"
    new_version(client, world.headers("agent"), doc["id"])
    for body in ({"decision": "reject"}, {"decision": "reject", "reason": "  "}):
        response = client.post(f"/api/v1/documents/{doc['id']}/review", json=body, headers=world.headers("broker"))
        assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    for body, field in (({"decision": "maybe"}, "decision"), ({}, "decision"), ({"decision": "accept", "x": 1}, "x")):
        response = client.post(f"/api/v1/documents/{doc['id']}/review", json=body, headers=world.headers("broker"))
        assert response.status_code == 422 and field in response.json["error"]["fields"]
    observer = client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "nonsense"},
                           headers=world.headers("observer"))
    assert observer.status_code == 403
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=world.headers("staff")).json["document"]["status"] == "received"
    ok = client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "reject", "reason": "Wrong consignee"},
                     headers=world.headers("broker"))
    assert ok.status_code == 200
    history = client.get(f"/api/v1/documents/{doc['id']}", headers=world.headers("staff")).json
    assert history["versions"][-1]["review_reason"] == "Wrong consignee"
    assert history["versions"][-1]["reviewed_by"]["id"] == world.broker.id
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "document.review")).all()
    assert [(a.actor_id, a.details["decision"]) for a in audit] == [(world.broker.id, "reject")]


def test_requests_and_reviews_post_messages_and_send_their_signals(client, world):
    requested, reviewed = [], []

    def on_request(sender, **kwargs):
        requested.append((sender.id, kwargs))

    def on_review(sender, **kwargs):
        reviewed.append((sender.id, kwargs))

    document_requested.connect(on_request)
    document_reviewed.connect(on_review)
    try:
        client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests",
                    json={"doc_type": "packing_list", "note": "By Friday"}, headers=world.headers("agent"))
        doc = upload(client, world.headers("staff"), world.shipment.id, doc_type="packing_list").json
        client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "reject", "reason": "Wrong weights"},
                    headers=world.headers("broker"))
    finally:
        document_requested.disconnect(on_request)
        document_reviewed.disconnect(on_review)
    (shipment_id, kwargs), = requested
    assert shipment_id == world.shipment.id
    assert set(kwargs) == {"actor", "request_id", "doc_type", "label", "due_date", "note", "assignee_id"}
    assert (kwargs["actor"].id, kwargs["doc_type"], kwargs["label"], kwargs["due_date"], kwargs["note"]) == (
        world.agent.id, "packing_list", "Packing list", None, "By Friday")
    (_sid, kwargs), = reviewed
    assert set(kwargs) == {"actor", "uploader", "document_id", "doc_type", "label", "filename", "version",
                           "decision", "reason"}
    assert (kwargs["actor"].id, kwargs["uploader"].id, kwargs["decision"], kwargs["reason"], kwargs["version"]) == (
        world.broker.id, world.staff.id, "reject", "Wrong weights", 1)
    bodies = db.session.scalars(select(Message.body).where(Message.shipment_id == world.shipment.id,
                                                           Message.kind == "document").order_by(Message.seq)).all()
    assert bodies[0].startswith("Requested Packing list") and "By Friday" in bodies[0]
    assert bodies[2].startswith("Rejected Packing list") and "Wrong weights" in bodies[2]


def test_who_may_request_and_bad_requests(client, world):
    url = f"/api/v1/shipments/{world.shipment.id}/document-requests"
    assert client.post(url, json={"doc_type": "nonsense"}, headers=world.headers("observer")).status_code == 403
    assert client.post(url, json={"doc_type": "other"}, headers=world.headers("outsider")).status_code == 404
    assert client.get(url, headers=world.headers("outsider")).status_code == 404
    for body, field in (({}, "doc_type"), ({"doc_type": "visa"}, "doc_type"),
                        ({"doc_type": "other", "due_date": "next week"}, "due_date"),
                        ({"doc_type": "other", "due_date": "2026-12-01T10:00:00Z"}, "due_date"),
                        ({"doc_type": "other", "urgent": True}, "urgent")):
        response = client.post(url, json=body, headers=world.headers("broker"))
        assert response.status_code == 422 and field in response.json["error"]["fields"], body
    assert client.post(url, data="nope", headers=world.headers("broker")).status_code == 400
    assert db.session.scalars(select(DocumentRequest)).all() == []
    made = client.post(url, json={"doc_type": "other"}, headers=world.headers("staff"))
    assert made.status_code == 201
    assert made.json["requested_by"] == {"id": world.staff.id, "name": world.staff.name}
    assert made.json["due_date"] is None and made.json["note"] is None
