"""API tokens: exchanged for a password, listed, revoked, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from hub.accounts.models import ApiToken
from hub.extensions import db
from tests import factories


def test_password_exchange_gives_a_token_that_authenticates(client, world):
    response = client.post("/api/v1/auth/token", json={"email": "Li.Wei@agency.example",
                                                       "password": factories.PASSWORD})
    assert response.status_code == 201
    secret = response.json["token"]
    me = client.get("/api/v1/me", headers=factories.bearer(secret))
    assert me.status_code == 200
    assert me.json["id"] == world.agent.id
    assert me.json["organization"]["name"] == "Shenzhen Agency"
    assert me.json["locale"] == "zh_Hans" and me.json["time_zone"] == "Asia/Shanghai"


def test_tokens_are_stored_as_sha256_digests_only(client, world):
    secret = client.post("/api/v1/auth/token", json={"email": world.staff.email,
                                                     "password": factories.PASSWORD}).json["token"]
    digests = set(db.session.scalars(select(ApiToken.digest)))
    assert hashlib.sha256(secret.encode()).hexdigest() in digests
    for row in db.session.scalars(select(ApiToken)):
        assert secret not in (row.digest, row.name)
    listed = client.get("/api/v1/auth/tokens", headers=factories.bearer(secret)).get_data(as_text=True)
    assert secret not in listed


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ana@acme.example", "password": "wrong-password"},
        {"email": "nobody@acme.example", "password": factories.PASSWORD},
    ],
)
def test_wrong_credentials_are_401(client, world, body):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_missing_fields_are_422_and_non_json_400(client, world):
    assert client.post("/api/v1/auth/token", json={"email": world.staff.email}).status_code == 422
    assert client.post("/api/v1/auth/token", data="email=x", content_type="text/plain").status_code == 400


def test_an_inactive_users_tokens_stop_working(client, world):
    world.agent.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=world.headers("agent")).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": world.agent.email,
                                                   "password": factories.PASSWORD}).status_code == 401


def test_list_create_and_revoke(client, world):
    headers = world.headers("broker")
    created = client.post("/api/v1/auth/tokens", json={"name": "ERP sync"}, headers=headers)
    assert created.status_code == 201 and created.json["name"] == "ERP sync"
    new_secret, new_id = created.json["token"], created.json["id"]
    listed = client.get("/api/v1/auth/tokens", headers=headers).json["items"]
    assert {t["name"] for t in listed} == {"", "ERP sync"}
    assert all(set(t) == {"id", "name", "created_at", "last_used_at", "scope", "expires_at"} for t in listed)

    assert client.delete(f"/api/v1/auth/tokens/{new_id}", headers=headers).status_code == 204
    revoked = client.get("/api/v1/me", headers=factories.bearer(new_secret))
    assert revoked.status_code == 401 and revoked.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # the other one still works


def test_revoking_the_token_in_use(client, world):
    headers = world.headers("observer")
    assert client.delete("/api/v1/auth/tokens", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_nobody_revokes_someone_elses_token(client, world):
    staff_token = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.staff.id))
    response = client.delete(f"/api/v1/auth/tokens/{staff_token}", headers=world.headers("agent"))
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=world.headers("staff")).status_code == 200


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic Zm9vOmJhcg==", "Token abc"])
def test_api_without_valid_credentials_is_401(client, world, header):
    response = client.get("/api/v1/shipments", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_a_bad_token_is_401_even_with_a_signed_in_session(client, world):
    factories.login(client, world.staff)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer revoked-or-wrong"}).status_code == 401


def test_the_token_decides_who_calls_even_with_another_users_session(client, world):
    factories.login(client, world.staff)
    me = client.get("/api/v1/me", headers=world.headers("agent"))
    assert me.json["id"] == world.agent.id


def test_patch_me_changes_locale_and_time_zone(client, world):
    headers = world.headers("broker")
    ok = client.patch("/api/v1/me", json={"locale": "es", "time_zone": "America/Mexico_City"}, headers=headers)
    assert ok.status_code == 200 and ok.json["locale"] == "es" and ok.json["time_zone"] == "America/Mexico_City"
    bad = client.patch("/api/v1/me", json={"time_zone": "Mars/Olympus", "locale": "fr"}, headers=headers)
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"time_zone", "locale"}
    assert client.get("/api/v1/me", headers=headers).json["locale"] == "es"
