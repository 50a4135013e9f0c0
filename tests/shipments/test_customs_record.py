"""The customs-grade record: B/L, containers (ISO 6346 check digit), carrier, vessel, PO, entry
number, consignee, supplier and port of loading, over the API and the edit page; the list's
one-box search over them and its "overdue" and "arriving this week" filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.extensions import db
from hub.reference_data import container_check_digit, container_number
from hub.shipments.models import Shipment
from hub.timestamps import utcnow
from tests import factories

RECORD = {
    "transport_document_number": "COSU6234871520",
    "container_numbers": ["CSQU 305438 3", "abcu1234560"],
    "carrier": "COSCO Shipping",
    "vessel_or_flight": "COSCO Taurus 041E",
    "purchase_order": "PO-88341",
    "customs_entry_number": "NW4-1102337-5",
    "consignee": "Northwind Imports, Ontario CA",
    "supplier": "Guangdong Pump Works",
    "port_of_loading": "Yantian",
}


@pytest.mark.parametrize(("number", "digit"), [
    ("CSQU305438", 3),  # the example of ISO 6346's Wikipedia article and of BIC's explanations
    ("ABCU123456", 0),  # the example of check-digit calculators ("ABCU 123456 0")
])
def test_the_check_digit_of_published_examples(number, digit):
    assert container_check_digit(number) == digit
    assert container_number(f"{number}{digit}") == f"{number}{digit}"


@pytest.mark.parametrize("wrong", ["CSQU3054384", "ABCU1234561", "CSQA3054383", "CSQU305438", "CSQU30543833", 3054383])
def test_wrong_container_numbers_are_refused(wrong):
    with pytest.raises(ValueError):
        container_number(wrong)


def test_the_record_is_set_and_read_over_the_api(client, world):
    response = client.patch(f"/api/v1/shipments/{world.shipment.id}", json=RECORD, headers=world.headers("staff"))
    assert response.status_code == 200, response.json
    data = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("agent")).json
    assert data["container_numbers"] == ["CSQU3054383", "ABCU1234560"]
    assert {k: data[k] for k in RECORD if k != "container_numbers"} == {k: v for k, v in RECORD.items() if k != "container_numbers"}
    # Each is optional: null clears it.
    cleared = client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"carrier": None, "container_numbers": []},
                           headers=world.headers("staff")).json
    assert cleared["carrier"] is None and cleared["container_numbers"] == []


def test_a_wrong_check_digit_is_422_with_fields_and_changes_nothing(client, world):
    client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"container_numbers": ["CSQU3054383"]},
                 headers=world.headers("staff"))
    response = client.patch(f"/api/v1/shipments/{world.shipment.id}",
                            json={"container_numbers": ["CSQU3054383", "MSKU9070324"], "carrier": "Maersk"},
                            headers=world.headers("staff"))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error" and "check digit 4" in error["fields"]["container_numbers"]
    db.session.expire_all()
    shipment = db.session.get(Shipment, world.shipment.id)
    assert shipment.container_numbers == ["CSQU3054383"] and shipment.carrier is None
    created = client.post("/api/v1/shipments", headers=world.headers("staff"), json={
        "reference": "BAD-BOX", "origin_country": "CN", "destination_country": "US", "transport_mode": "sea",
        "container_numbers": ["TGHU8818627"], "port_of_entry_subdivision": "ZZ", "purchase_order": "PO<1>"})
    assert created.status_code == 422
    assert set(created.json["error"]["fields"]) == {"container_numbers", "purchase_order"}
    bad_subdivision = client.post("/api/v1/shipments", headers=world.headers("staff"), json={
        "reference": "BAD-SUB", "origin_country": "CN", "destination_country": "US", "transport_mode": "sea",
        "port_of_entry_subdivision": "ZZ"})
    assert bad_subdivision.status_code == 422 and "port_of_entry_subdivision" in bad_subdivision.json["error"]["fields"]


def test_partners_cannot_edit_the_record(client, world):
    response = client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"container_numbers": ["bad"]},
                            headers=world.headers("agent"))
    assert response.status_code == 403


def test_the_edit_page_saves_the_record_and_shows_it(client, world):
    csrf = factories.session_for(client, world.staff)
    form = {"csrf_token": csrf, "container_numbers": "CSQU3054383, ABCU 1234560", "transport_document_number": "MAEU245117803",
            "customs_entry_number": "3AL-0417-6001882", "port_of_loading": "Yantian"}
    response = client.post(f"/shipments/{world.shipment.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "CSQU3054383, ABCU1234560" in page and "MAEU245117803" in page and "Bill of lading" in page
    wrong = client.post(f"/shipments/{world.shipment.id}/edit", data=form | {"container_numbers": "CSQU3054384"})
    assert wrong.status_code == 422 and "check digit 4" in wrong.get_data(as_text=True)


@pytest.mark.parametrize(("term", "found"), [
    ("NW-77", ["NW-77"]),                 # reference
    ("pumps", ["NW-77"]),                 # goods
    ("8413.70", ["NW-77"]),               # HS code
    ("cosu6234", ["NW-77"]),              # B/L, any case
    ("CSQU 305438 3", ["NW-77"]),         # container, as printed on the box
    ("abcu1234560", ["NW-78"]),           # the other container
    ("PO-88341", ["NW-77"]),              # purchase order
    ("NW4-1102337", ["NW-78"]),           # customs entry number
    ("100%", []),                         # LIKE wildcards are literal
])
def test_one_box_searches_every_number(client, world, term, found):
    factories.shipment(world.staff, "NW-77", goods_description="Centrifugal pumps", hs_codes=["8413.70"],
                       transport_document_number="COSU6234871520", container_numbers=["CSQU3054383"],
                       purchase_order="PO-88341")
    factories.shipment(world.staff, "NW-78", container_numbers=["ABCU1234560"], customs_entry_number="NW4-1102337-5")
    listed = client.get("/api/v1/shipments", query_string={"q": term}, headers=world.headers("staff")).json
    assert sorted(item["reference"] for item in listed["items"]) == found


def test_arriving_this_week_lists_what_has_not_arrived_with_an_eta_this_week(client, world):
    today = utcnow()
    monday = (today - timedelta(days=today.weekday())).replace(hour=12, minute=0, second=0, microsecond=0)
    for reference, eta in (("THIS-WEEK", monday + timedelta(days=3)), ("NEXT-WEEK", monday + timedelta(days=8)),
                           ("LAST-WEEK", monday - timedelta(days=3))):
        client.post("/api/v1/shipments", headers=world.headers("staff"), json={
            "reference": reference, "origin_country": "CN", "destination_country": "US", "transport_mode": "sea",
            "eta": eta.isoformat()})
    arrived = client.post("/api/v1/shipments", headers=world.headers("staff"), json={
        "reference": "ARRIVED", "origin_country": "CN", "destination_country": "US", "transport_mode": "sea",
        "eta": (monday + timedelta(days=1)).isoformat()}).json
    client.post(f"/api/v1/shipments/{arrived['id']}/milestones", headers=world.headers("staff"),
                json={"code": "arrived", "occurred_at": (utcnow() - timedelta(hours=1)).isoformat()})
    listed = client.get("/api/v1/shipments?shows=arriving_this_week", headers=world.headers("staff")).json
    assert [item["reference"] for item in listed["items"]] == ["THIS-WEEK"]
    unknown = client.get("/api/v1/shipments?shows=soon", headers=world.headers("staff"))
    assert unknown.status_code == 422 and "shows" in unknown.json["error"]["fields"]
    factories.session_for(client, world.staff)
    page = client.get("/shipments?shows=arriving_this_week").get_data(as_text=True)
    assert "THIS-WEEK" in page and "NEXT-WEEK" not in page and "ARRIVED" not in page
    assert '<option value="arriving_this_week" selected>Arriving this week</option>' in page
