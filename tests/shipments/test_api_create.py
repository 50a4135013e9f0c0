"""Creating shipments through the API: valid input, and bad input that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hub.extensions import db
from hub.shipments.models import Shipment

VALID = {
    "reference": "PO-7781",
    "origin_country": "cn",
    "destination_country": "DE",
    "transport_mode": "sea",
    "port_of_entry": "Hamburg",
    "incoterm": "FOB",
    "goods_description": "Centrifugal pumps",
    "hs_codes": ["8413", "8413.70", "841370", "8413.70.10.00"],
    "declared_value": "125000.00",
    "currency": "eur",
    "etd": "2026-12-01T08:00:00+08:00",
    "eta": "2026-12-20",
}


def shipment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Shipment)) or 0


def test_staff_creates_a_shipment_and_becomes_its_coordinator(client, world):
    response = client.post("/api/v1/shipments", json=VALID, headers=world.headers("staff"))
    assert response.status_code == 201, response.json
    body = response.json
    assert isinstance(body["id"], int)
    assert body["origin_country"] == "CN" and body["currency"] == "EUR"
    assert body["declared_value"] == "125000.00"
    assert body["etd"] == "2026-12-01T00:00:00Z"
    assert body["eta"] == "2026-12-20T00:00:00Z"
    assert body["status"] == "new"
    assert body["hs_codes"] == VALID["hs_codes"]
    participants = client.get(f"/api/v1/shipments/{body['id']}/participants", headers=world.headers("staff")).json
    assert [(p["user"]["id"], p["role"]) for p in participants["items"]] == [(world.staff.id, "coordinator")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"origin_country": "XX"}, "origin_country"),
        ({"destination_country": 49}, "destination_country"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"transport_mode": "teleport"}, "transport_mode"),
        ({"hs_codes": ["84"]}, "hs_codes"),
        ({"hs_codes": "8413"}, "hs_codes"),
        ({"hs_codes": ["8413.7"]}, "hs_codes"),
        ({"declared_value": "12.345"}, "declared_value"),
        ({"declared_value": "lots"}, "declared_value"),
        ({"declared_value": True}, "declared_value"),
        ({"etd": "next tuesday"}, "etd"),
        ({"eta": "2026-12-20T08:00:00"}, "eta"),
        ({"reference": ""}, "reference"),
        ({"reference": 12}, "reference"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"status": "released"}, "status"),
        ({"id": 5}, "id"),
    ],
)
def test_invalid_values_answer_422_and_add_nothing(client, world, change: dict[str, Any], field: str):
    response = client.post("/api/v1/shipments", json=VALID | change, headers=world.headers("staff"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]
    assert shipment_count() == 1  # only the world's shipment


@pytest.mark.parametrize("missing", ["reference", "origin_country", "destination_country", "transport_mode"])
def test_missing_required_field_is_422(client, world, missing):
    body = {k: v for k, v in VALID.items() if k != missing}
    response = client.post("/api/v1/shipments", json=body, headers=world.headers("staff"))
    assert response.status_code == 422
    assert response.json["error"]["fields"][missing] == "is required"
    assert shipment_count() == 1


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("not json", "application/json"), ("[1, 2]", "application/json"), ('{"a": 1}', "text/plain"), ("", "application/json")],
)
def test_malformed_bodies_answer_400(client, world, data, content_type):
    response = client.post("/api/v1/shipments", data=data, content_type=content_type, headers=world.headers("staff"))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_request"
    assert shipment_count() == 1


def test_duplicate_reference_is_409_and_adds_nothing(client, world):
    first = client.post("/api/v1/shipments", json=VALID, headers=world.headers("staff"))
    assert first.status_code == 201
    again = client.post("/api/v1/shipments", json=VALID, headers=world.headers("admin"))
    assert again.status_code == 409
    assert again.json["error"]["code"] == "conflict"
    assert shipment_count() == 2


def test_the_same_reference_is_free_for_another_shipper(client, world):
    assert client.post("/api/v1/shipments", json=VALID, headers=world.headers("staff")).status_code == 201
    assert client.post("/api/v1/shipments", json=VALID, headers=world.headers("other_staff")).status_code == 201


def test_partners_may_not_create_shipments(client, world):
    response = client.post("/api/v1/shipments", json=VALID, headers=world.headers("agent"))
    assert response.status_code == 403
    assert shipment_count() == 1


def test_patch_edits_and_status_is_read_only(client, world):
    sid = world.shipment.id
    ok = client.patch(f"/api/v1/shipments/{sid}", json={"port_of_entry": "Bremerhaven"}, headers=world.headers("staff"))
    assert ok.status_code == 200 and ok.json["port_of_entry"] == "Bremerhaven"
    bad = client.patch(f"/api/v1/shipments/{sid}", json={"status": "released"}, headers=world.headers("staff"))
    assert bad.status_code == 422
    partner = client.patch(f"/api/v1/shipments/{sid}", json={"port_of_entry": "X"}, headers=world.headers("agent"))
    assert partner.status_code == 403
    outsider = client.patch(f"/api/v1/shipments/{sid}", json={"port_of_entry": "X"}, headers=world.headers("outsider"))
    assert outsider.status_code == 404
    assert client.get(f"/api/v1/shipments/{sid}", headers=world.headers("staff")).json["port_of_entry"] == "Bremerhaven"


def test_list_is_paged_and_filtered(client, world):
    for i in range(5):
        body = VALID | {"reference": f"LIST-{i}", "transport_mode": "air" if i % 2 else "sea"}
        assert client.post("/api/v1/shipments", json=body, headers=world.headers("staff")).status_code == 201
    page = client.get("/api/v1/shipments?per_page=2&page=2", headers=world.headers("staff")).json
    assert page["total"] == 6 and page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) == 2
    clamped = client.get("/api/v1/shipments?per_page=1000", headers=world.headers("staff")).json
    assert clamped["per_page"] == 200
    air = client.get("/api/v1/shipments?mode=air", headers=world.headers("staff")).json
    assert {s["reference"] for s in air["items"]} == {"LIST-1", "LIST-3"}
    searched = client.get("/api/v1/shipments?q=list-4", headers=world.headers("staff")).json
    assert [s["reference"] for s in searched["items"]] == ["LIST-4"]
    # a partner sees only the shipment they are on
    agent = client.get("/api/v1/shipments", headers=world.headers("agent")).json
    assert [s["reference"] for s in agent["items"]] == ["ACME-001"]
    assert client.get("/api/v1/shipments?page=0", headers=world.headers("staff")).status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reference": None}, "reference"),
        ({"origin_country": ["CN"]}, "origin_country"),
        ({"destination_country": {"code": "DE"}}, "destination_country"),
        ({"currency": 978}, "currency"),
        ({"declared_value": "1e20"}, "declared_value"),
        ({"declared_value": "-5.00"}, "declared_value"),
        ({"declared_value": "125000.00", "currency": None}, "currency"),
        ({"hs_codes": [8413]}, "hs_codes"),
        ({"incoterm": "FOBB"}, "incoterm"),
        ({"reference": "x" * 65}, "reference"),
        ({"eta": "2026-11-01", "etd": "2026-12-01"}, "eta"),
        ({"owner_org_id": 2}, "owner_org_id"),
        ({"created_at": "2026-01-01"}, "created_at"),
    ],
)
def test_more_bad_values_change_nothing(client, world, change, field):
    from hub.audit.models import AuditLog
    from hub.shipments.models import ShipmentParticipant

    def rows() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Shipment, ShipmentParticipant, AuditLog)
        )

    before = rows()
    response = client.post("/api/v1/shipments", json=VALID | change, headers=world.headers("staff"))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]
    assert rows() == before


def test_unknown_and_invalid_fields_are_all_reported_at_once(client, world):
    response = client.post("/api/v1/shipments", json=VALID | {"colour": "red", "currency": "XYZ", "origin_country": "QQ"},
                           headers=world.headers("staff"))
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"colour", "currency", "origin_country"}
    assert shipment_count() == 1


def test_authorization_comes_before_validation(client, world):
    """A partner gets 403 whatever the body; an anonymous caller 401."""
    assert client.post("/api/v1/shipments", json={"bogus": 1}, headers=world.headers("agent")).status_code == 403
    assert client.post("/api/v1/shipments", json={"bogus": 1}).status_code == 401
    assert shipment_count() == 1
