"""GET/PUT /api/v1/countries/<code>: seeded profiles, admins' edits kept as revisions with who and
when, refusals that change nothing, and the document checklist reading the profile's documents."""

from __future__ import annotations

import pytest

from hub.countries.models import CountryProfile, CountryProfileRevision
from hub.countries.profiles import seed_profiles
from hub.extensions import db
from tests import factories

SEEDED = ["CN", "US", "MX", "DE", "NL", "GB", "IN", "BR", "JP", "KR", "VN"]


def test_every_required_country_is_seeded_with_a_source_and_every_mode():
    profiles = seed_profiles()
    for code in SEEDED:
        profile = profiles[code]
        assert set(profile["clearance_days"]) == {"sea", "air", "road", "rail", "courier"}, code
        assert "World Bank" in profile["source"] or "customs" in profile["source"].lower(), code
        assert profile["notes"], code
    assert profiles["SA"]["working_days"] == ["mon", "tue", "wed", "thu", "sun"]
    assert profiles["CN"]["working_days"] == ["mon", "tue", "wed", "thu", "fri"]


def test_anyone_signed_in_reads_a_profile_with_its_notes(client, world):
    response = client.get("/api/v1/countries/cn", headers=world.headers("agent"))
    assert response.status_code == 200
    data = response.json
    assert data["code"] == "CN" and data["name"] == "China" and data["revision"] == 0 and data["revisions"] == []
    assert data["clearance_days"]["sea"] == 3 and data["time_zone"] == "Asia/Shanghai"
    assert "<strong>Taxes.</strong>" in data["notes_html"]
    assert any(rule["doc_type"] == "conformity_certificate" for rule in data["documents"])
    assert client.get("/api/v1/countries/CN").status_code == 401
    for code in ("FR", "XX", "CHN"):  # no profile, not a country, not alpha-2
        missing = client.get(f"/api/v1/countries/{code}", headers=world.headers("staff"))
        assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_an_admin_edit_is_a_revision_with_who_and_when(client, world):
    notes = "**Recent change.** From 1 March, lithium batteries need a UN38.3 report."
    first = client.put("/api/v1/countries/VN", json={"notes": notes}, headers=world.headers("admin"))
    assert first.status_code == 200, first.json
    assert first.json["revision"] == 1 and first.json["notes"] == notes
    assert first.json["updated_by"] == {"id": world.admin.id, "name": "Ada Admin"}
    assert first.json["clearance_days"] == seed_profiles()["VN"]["clearance_days"]  # the rest stays
    second = client.put("/api/v1/countries/VN", json={"clearance_days": {"air": 3}, "working_days": ["mon", "tue", "wed", "thu", "fri", "sat"]},
                        headers=world.headers("admin")).json
    assert second["revision"] == 2 and second["clearance_days"]["air"] == 3 and second["clearance_days"]["sea"] == 4
    assert [(r["revision"], r["changed_fields"]) for r in second["revisions"]] == [
        (2, ["working_days", "clearance_days"]), (1, ["notes"])]
    assert second["revisions"][1]["notes"] == notes and second["revisions"][0]["changed_by"]["name"] == "Ada Admin"
    assert second["revisions"][0]["changed_at"].endswith("Z")
    # Everyone sees the new notes.
    assert client.get("/api/v1/countries/VN", headers=world.headers("broker")).json["notes"] == notes


def test_a_country_without_a_profile_gets_one_with_every_mode(client, world):
    partial = client.put("/api/v1/countries/FR", json={"clearance_days": {"sea": 2}}, headers=world.headers("admin"))
    assert partial.status_code == 422 and "clearance_days" in partial.json["error"]["fields"]
    days = {"sea": 2, "air": 1, "road": 1, "rail": 2, "courier": 1}
    created = client.put("/api/v1/countries/FR", json={"clearance_days": days}, headers=world.headers("admin"))
    assert created.status_code == 200 and created.json["revision"] == 1
    assert created.json["time_zone"] == "Europe/Paris" and created.json["working_days"] == ["mon", "tue", "wed", "thu", "fri"]


@pytest.mark.parametrize("who", ["staff", "agent", "broker"])
def test_only_admins_edit_whatever_the_body(client, world, who):
    for body in ({"notes": "x"}, {"clearance_days": "nonsense"}):
        response = client.put("/api/v1/countries/CN", json=body, headers=world.headers(who))
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert db.session.get(CountryProfile, "CN") is None


def test_invalid_fields_are_422_and_change_nothing(client, world):
    bad = {
        "clearance_days": {"sea": -1, "boat": 2},
        "working_days": ["mon", "funday"],
        "time_zone": "CST",
        "documents": [{"doc_type": "passport"}],
        "colour": "red",
    }
    response = client.put("/api/v1/countries/CN", json=bad, headers=world.headers("admin"))
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"clearance_days", "working_days", "time_zone", "documents", "colour"}
    assert client.put("/api/v1/countries/CN", data="[]", content_type="application/json",
                      headers=world.headers("admin")).status_code == 400
    assert db.session.get(CountryProfile, "CN") is None
    assert db.session.query(CountryProfileRevision).count() == 0


def test_the_checklist_reads_the_destinations_documents_from_its_profile(client, world):
    shipment = factories.shipment(world.staff, "KR-BATT", destination_country="KR", transport_mode="air",
                                  hs_codes=["8507.60"])
    url = f"/api/v1/shipments/{shipment.id}/checklist"
    before = [i["doc_type"] for i in client.get(url, headers=world.headers("staff")).json["items"]]
    assert before == ["commercial_invoice", "packing_list", "air_waybill"]
    rule = {"doc_type": "conformity_certificate", "why": "KC certification for batteries.",
            "when": {"hs_chapters": ["85"], "modes": ["air", "courier"]}}
    client.put("/api/v1/countries/KR", json={"documents": [rule]}, headers=world.headers("admin"))
    after = [i["doc_type"] for i in client.get(url, headers=world.headers("staff")).json["items"]]
    assert after == ["commercial_invoice", "packing_list", "air_waybill", "conformity_certificate"]
    # The same rule does not apply by sea: the mode is one of its conditions.
    client.patch(f"/api/v1/shipments/{shipment.id}", json={"transport_mode": "sea"}, headers=world.headers("staff"))
    by_sea = [i["doc_type"] for i in client.get(url, headers=world.headers("staff")).json["items"]]
    assert by_sea == ["commercial_invoice", "packing_list", "bill_of_lading"]
