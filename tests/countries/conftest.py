"""Fixtures of the countries tests: a frozen "now" for the clearance clock, and shipments made
through the API (so their clocks start as in use)."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.timestamps import parse_timestamp


@pytest.fixture
def now_is(monkeypatch):
    """Set the clock's current time: `now_is("2026-02-11T04:00:00Z")`."""

    def set_now(moment: str) -> datetime:
        frozen = parse_timestamp(moment)
        monkeypatch.setattr("hub.countries.clock.utcnow", lambda: frozen)
        monkeypatch.setattr("hub.accounts.working_hours.utcnow", lambda: frozen)
        return frozen

    return set_now


@pytest.fixture
def new_shipment(client, world):
    """POST a shipment as the world's coordinator; answers the created object."""

    def create(reference: str, **fields) -> dict:
        body = {"reference": reference, "origin_country": "JP", "destination_country": "CN",
                "transport_mode": "sea"} | fields
        response = client.post("/api/v1/shipments", json=body, headers=world.headers("staff"))
        assert response.status_code == 201, response.json
        client.post(f"/api/v1/shipments/{response.json['id']}/participants",
                    json={"user_id": world.agent.id, "role": "agent"}, headers=world.headers("staff"))
        return response.json

    return create


@pytest.fixture
def clearance(client, world):
    """The `clearance` object of GET /api/v1/shipments/<id>."""

    def get(shipment_id: int) -> dict:
        response = client.get(f"/api/v1/shipments/{shipment_id}", headers=world.headers("staff"))
        assert response.status_code == 200, response.json
        return response.json["clearance"]

    return get


@pytest.fixture
def report(client, world):
    """An agent's milestone report on a shipment."""

    def post(shipment_id: int, code: str, occurred_at: str) -> None:
        response = client.post(f"/api/v1/shipments/{shipment_id}/milestones",
                               json={"code": code, "occurred_at": occurred_at}, headers=world.headers("agent"))
        assert response.status_code == 201, response.json

    return post
