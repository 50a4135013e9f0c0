"""People's local time and working hours: named by city, set over PATCH /api/v1/me, shown beside
each participant, and the composer's note when every agent on the shipment is away."""

from __future__ import annotations

import re

import pytest

from hub.accounts.working_hours import local_time_line, zone_city
from hub.timestamps import parse_timestamp
from tests import factories


@pytest.fixture
def now_is(monkeypatch):
    def set_now(moment: str):
        frozen = parse_timestamp(moment)
        monkeypatch.setattr("hub.accounts.working_hours.utcnow", lambda: frozen)
        return frozen
    return set_now


def test_zones_are_named_by_their_city():
    assert zone_city("Asia/Shanghai") == "Shanghai" and zone_city("America/Chicago") == "Chicago"
    assert zone_city("America/Argentina/Buenos_Aires") == "Buenos Aires" and zone_city("UTC") == "UTC"


def test_the_local_time_line_says_the_city_and_whether_they_work(world):
    # Tue 8 Dec 2026 19:10 UTC is Wed 03:10 in Shanghai, 20:10 in Berlin.
    moment = parse_timestamp("2026-12-08T19:10:00Z")
    assert local_time_line(world.agent, moment) == "03:10 in Shanghai, outside working hours"
    assert local_time_line(world.agent, parse_timestamp("2026-12-09T02:00:00Z")) == "10:00 in Shanghai, working hours"
    # Friday 25 Dec is Christmas Day in Germany, where the broker works: not a working day.
    assert local_time_line(world.broker, parse_timestamp("2026-12-25T10:00:00Z")).endswith("outside working hours")
    assert "CST" not in local_time_line(world.agent, moment)


def test_working_hours_over_patch_me(client, world):
    me = client.get("/api/v1/me", headers=world.headers("agent")).json
    assert me["working_hours"] == {"start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"],
                                   "days_from_country": True}
    changed = client.patch("/api/v1/me", json={"working_hours": {"start": "08:30", "end": "17:30", "days": ["sun", "mon"]}},
                           headers=world.headers("agent"))
    assert changed.status_code == 200, changed.json
    assert changed.json["working_hours"] == {"start": "08:30", "end": "17:30", "days": ["mon", "sun"],
                                             "days_from_country": False}
    # Mon 7 Dec 2026, 08:40 in Shanghai: working now.
    assert local_time_line(world.agent, parse_timestamp("2026-12-07T00:40:00Z")).endswith(", working hours")
    back = client.patch("/api/v1/me", json={"working_hours": {"days": None}}, headers=world.headers("agent")).json
    assert back["working_hours"]["days_from_country"] is True and back["working_hours"]["start"] == "08:30"
    for bad in ({"start": "9"}, {"start": "18:00", "end": "09:00"}, {"days": ["monday"]}, {"days": []}, {"lunch": "12:00"}, "09-18"):
        response = client.patch("/api/v1/me", json={"working_hours": bad}, headers=world.headers("agent"))
        assert response.status_code == 422 and "working_hours" in response.json["error"]["fields"], bad
    assert client.get("/api/v1/me", headers=world.headers("agent")).json["working_hours"]["start"] == "08:30"
    # Everyone on the shipment sees them beside the agent.
    people = client.get(f"/api/v1/shipments/{world.shipment.id}/participants", headers=world.headers("broker")).json
    agent = next(p for p in people["items"] if p["user"]["id"] == world.agent.id)
    assert agent["user"]["working_hours"] == {"start": "08:30", "end": "17:30", "days": ["mon", "tue", "wed", "thu", "fri"],
                                              "days_from_country": True}


def test_a_saudi_partner_works_sunday_to_thursday_by_default(client, world):
    riyadh = factories.org("customs_agent", "SA", "Riyadh Clearing", "Asia/Riyadh")
    agent = factories.user(riyadh, "partner", "omar@riyadh.example", "Omar", tz="Asia/Riyadh")
    assert agent.working_hours()["days"] == ["mon", "tue", "wed", "thu", "sun"]
    # Sun 6 Dec 2026 10:00 in Riyadh is a working morning; Fri 11 Dec is the weekend.
    assert local_time_line(agent, parse_timestamp("2026-12-06T07:00:00Z")) == "10:00 in Riyadh, working hours"
    assert local_time_line(agent, parse_timestamp("2026-12-11T07:00:00Z")) == "10:00 in Riyadh, outside working hours"


def test_the_shipment_page_shows_each_persons_local_time_and_the_composer_note(client, world, now_is):
    # Tue 8 Dec 2026 19:10 UTC: 03:10 Wednesday in Shanghai, where the only agent works.
    now_is("2026-12-08T19:10:00Z")
    factories.session_for(client, world.staff)
    html = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "03:10 in Shanghai, outside working hours" in html
    note = re.search(r'id="thread-away"[^>]*>([^<]*)<', html)
    assert note, "the composer says every agent is away"
    assert note.group(1) == ("The agent is outside working hours. Li Wei starts again at 09:00 in Shanghai on 9 Dec 2026 "
                             "(9 Dec 2026, 01:00 UTC, your time).")
    # In Shanghai's working hours there is no note.
    now_is("2026-12-09T02:00:00Z")
    assert 'id="thread-away"' not in client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    # A partner gets no such note.
    now_is("2026-12-08T19:10:00Z")
    factories.session_for(client, world.broker)
    assert 'id="thread-away"' not in client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
