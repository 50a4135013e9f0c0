"""CSRF: cookie-authenticated writes need the token; bearer requests are exempt."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.extensions import db
from hub.shipments.models import Shipment
from tests import factories

BODY = {"reference": "CSRF-1", "origin_country": "CN", "destination_country": "DE", "transport_mode": "air"}


def shipments() -> int:
    return db.session.scalar(select(func.count()).select_from(Shipment)) or 0


def test_a_cookie_json_write_without_the_header_is_refused(client, world):
    factories.login(client, world.staff)
    response = client.post("/api/v1/shipments", json=BODY)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_request"
    assert "CSRF" in response.json["error"]["message"]
    assert shipments() == 1


def test_a_cookie_json_write_with_a_wrong_header_is_refused(client, world):
    factories.login(client, world.staff)
    response = client.post("/api/v1/shipments", json=BODY, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert shipments() == 1


def test_a_cookie_json_write_with_the_pages_token_is_accepted(client, world):
    token = factories.login(client, world.staff)
    response = client.post("/api/v1/shipments", json=BODY, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert shipments() == 2


def test_bearer_requests_need_no_csrf_token(client, world):
    response = client.post("/api/v1/shipments", json=BODY, headers=world.headers("staff"))
    assert response.status_code == 201


def test_forms_need_the_token(client, world):
    token = factories.login(client, world.staff)
    form = BODY | {"transport_mode": "sea"}
    refused = client.post("/shipments/new", data=form)
    assert refused.status_code == 400
    assert shipments() == 1
    accepted = client.post("/shipments/new", data=form | {"csrf_token": token})
    assert accepted.status_code == 302
    assert shipments() == 2


def test_every_page_carries_the_token_in_a_meta_tag(client, world):
    assert factories.csrf_token_from(client.get("/login").get_data(as_text=True))
    factories.login(client, world.agent)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert factories.csrf_token_from(page)
