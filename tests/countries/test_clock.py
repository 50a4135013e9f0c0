"""The clearance clock of GET /api/v1/shipments/<id>: from the ETA, then the arrival (late and
corrected reports too), the ETA, mode and profile recomputing it, overdue, and the business
days taken stored on release. Dates worked out by hand in the comments."""

from __future__ import annotations

from hub.countries.models import ClearanceClock
from hub.extensions import db

CNY_HOLIDAYS = [
    {"date": "2026-02-16", "name": "Chinese New Year's Eve"},
    {"date": "2026-02-17", "name": "Chinese New Year (Spring Festival)"},
    {"date": "2026-02-18", "name": "Chinese New Year (Spring Festival)"},
    {"date": "2026-02-19", "name": "Chinese New Year (Spring Festival)"},
    {"date": "2026-02-20", "name": "Day off (substituted from 02/14/2026)"},
    {"date": "2026-02-23", "name": "Day off (substituted from 02/28/2026)"},
]


def test_the_clock_counts_from_the_eta_then_from_the_arrival_late_and_corrected(
        new_shipment, clearance, report, now_is, client, world):
    now_is("2026-02-11T04:00:00Z")  # Wed 11 Feb, noon in Shanghai
    # ETA Thu 12 Feb 10:00 Shanghai; CN sea is 3 business days: Fri 13, Sat 14 (make-up day),
    # then the Spring Festival and its days off until Mon 23: Tue 24.
    shipment = new_shipment("CN-CNY", eta="2026-02-12T10:00:00+08:00")
    assert clearance(shipment["id"]) == {
        "expected_release_on": "2026-02-24", "business_days_left": 4, "overdue": False, "basis": "eta",
        "holidays": CNY_HOLIDAYS,
    }
    # Reported late: it arrived on Mon 9 Feb (10:00 Shanghai). Tue 10, Wed 11, Thu 12; today
    # is Wed 11, so one business day is left.
    report(shipment["id"], "arrived", "2026-02-09T02:00:00Z")
    assert clearance(shipment["id"]) == {
        "expected_release_on": "2026-02-12", "business_days_left": 1, "overdue": False, "basis": "arrived",
        "holidays": [],
    }
    # Corrected: a second report says Tue 10 Feb. Wed 11, Thu 12, Fri 13.
    report(shipment["id"], "arrived", "2026-02-10T02:00:00Z")
    assert clearance(shipment["id"])["expected_release_on"] == "2026-02-13"
    # Once arrived, a new ETA changes nothing.
    client.patch(f"/api/v1/shipments/{shipment['id']}", json={"eta": "2026-03-02"}, headers=world.headers("staff"))
    assert clearance(shipment["id"])["expected_release_on"] == "2026-02-13"


def test_a_new_eta_or_mode_recomputes_the_clock(new_shipment, clearance, now_is, client, world):
    now_is("2026-11-20T12:00:00Z")
    # US by rail (2 days) from Wed 25 Nov (LA time): Thu 26 Thanksgiving, Fri 27 (1), Mon 30 (2).
    shipment = new_shipment("US-TG", destination_country="US", transport_mode="rail", eta="2026-11-25T18:00:00Z")
    view = clearance(shipment["id"])
    assert view["expected_release_on"] == "2026-11-30"
    assert view["holidays"] == [{"date": "2026-11-26", "name": "Thanksgiving Day"}]
    # The ETA moves to Tue 24 Nov: Wed 25 (1), Fri 27 (2).
    client.patch(f"/api/v1/shipments/{shipment['id']}", json={"eta": "2026-11-24T18:00:00Z"}, headers=world.headers("staff"))
    assert clearance(shipment["id"])["expected_release_on"] == "2026-11-27"
    # By air (1 day): Wed 25.
    client.patch(f"/api/v1/shipments/{shipment['id']}", json={"transport_mode": "air"}, headers=world.headers("staff"))
    assert clearance(shipment["id"])["expected_release_on"] == "2026-11-25"


def test_a_changed_profile_recomputes_open_clocks(new_shipment, clearance, now_is, client, world):
    now_is("2026-12-21T09:00:00Z")
    # GB sea, 2 days from Thu 24 Dec: Christmas Fri 25, Boxing Day observed Mon 28: Tue 29 (1), Wed 30 (2).
    shipment = new_shipment("GB-XMAS", destination_country="GB", eta="2026-12-24T09:00:00Z")
    assert clearance(shipment["id"])["expected_release_on"] == "2026-12-30"
    response = client.put("/api/v1/countries/GB", json={"clearance_days": {"sea": 3}}, headers=world.headers("admin"))
    assert response.status_code == 200, response.json
    # 3 days: Thu 31 Dec.
    assert clearance(shipment["id"])["expected_release_on"] == "2026-12-31"
    # 4 days crosses the year end: Fri 1 Jan is New Year's Day, then the weekend: Mon 4 Jan.
    client.put("/api/v1/countries/GB", json={"clearance_days": {"sea": 4}}, headers=world.headers("admin"))
    assert clearance(shipment["id"])["expected_release_on"] == "2027-01-04"


def test_overdue_once_a_business_day_has_passed_and_the_time_taken_is_stored_on_release(
        new_shipment, clearance, report, now_is, client, world):
    # Arrived Tue 10 Feb 2026 (Shanghai): expected Fri 13 Feb.
    shipment = new_shipment("CN-LATE")
    report(shipment["id"], "arrived", "2026-02-10T02:00:00Z")
    now_is("2026-02-15T04:00:00Z")  # Sun 15: Sat 14 was a make-up working day, so 1 overdue
    assert clearance(shipment["id"])["business_days_left"] == -1
    assert clearance(shipment["id"])["overdue"] is True
    now_is("2026-02-26T04:00:00Z")  # Thu 26: Sat 14, Tue 24, Wed 25, Thu 26 have passed
    view = clearance(shipment["id"])
    assert view["business_days_left"] == -4 and view["overdue"] is True and view["holidays"] == []
    listed = client.get("/api/v1/shipments?shows=overdue", headers=world.headers("staff")).json
    assert [item["reference"] for item in listed["items"]] == ["CN-LATE"]
    assert listed["items"][0]["clearance"]["overdue"] is True
    # Released on Thu 26 Feb: business days in (Tue 10, Thu 26] are 11, 12, 13, 14, 24, 25, 26.
    report(shipment["id"], "released", "2026-02-26T03:00:00Z")
    detail = client.get(f"/api/v1/shipments/{shipment['id']}", headers=world.headers("staff")).json
    assert detail["clearance"] == {"expected_release_on": "2026-02-13", "business_days_left": None,
                                   "overdue": False, "basis": "arrived", "holidays": []}
    assert detail["clearance_business_days_taken"] == 7
    assert db.session.get(ClearanceClock, shipment["id"]).business_days_taken == 7
    assert client.get("/api/v1/shipments?shows=overdue", headers=world.headers("staff")).json["total"] == 0


def test_eid_in_a_friday_saturday_weekend_country(new_shipment, clearance, now_is):
    now_is("2026-03-16T09:00:00Z")
    # SA sea, 3 days from Wed 18 Mar: Eid al-Fitr Thu 19 to Tue 24, Wed 25 (1), Thu 26 (2),
    # Fri 27 and Sat 28 the weekend, Sun 29 (3). Today Mon 16: Tue 17, Wed 18, 25, 26, 29 = 5 left.
    shipment = new_shipment("SA-EID", destination_country="SA", eta="2026-03-18T09:00:00Z")
    view = clearance(shipment["id"])
    assert view["expected_release_on"] == "2026-03-29" and view["business_days_left"] == 5
    assert [h["date"] for h in view["holidays"]] == [
        "2026-03-19", "2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24"]


def test_the_port_subdivision_brings_its_holidays(new_shipment, clearance, now_is):
    now_is("2026-12-30T09:00:00Z")
    # DE air, 1 day from Tue 5 Jan 2027: Munich (BY) keeps Epiphany on Wed 6: Thu 7; Hamburg: Wed 6.
    munich = new_shipment("DE-BY", destination_country="DE", transport_mode="air",
                          eta="2027-01-05T09:00:00Z", port_of_entry_subdivision="by")
    hamburg = new_shipment("DE-HH", destination_country="DE", transport_mode="air",
                           eta="2027-01-05T09:00:00Z", port_of_entry_subdivision="HH")
    assert clearance(munich["id"])["expected_release_on"] == "2027-01-07"
    assert clearance(hamburg["id"])["expected_release_on"] == "2027-01-06"
    assert munich["port_of_entry_subdivision"] == "BY"


def test_no_clock_without_a_profile_or_a_date(new_shipment, clearance):
    undated = new_shipment("CN-NODATE")
    assert clearance(undated["id"]) == {"expected_release_on": None, "business_days_left": None,
                                        "overdue": False, "basis": None, "holidays": []}
    unprofiled = new_shipment("FR-NOPROFILE", destination_country="FR", eta="2026-12-20")
    assert clearance(unprofiled["id"])["expected_release_on"] is None
