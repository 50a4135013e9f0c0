"""API tokens: read-only scope, optional expiry, last use shown."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hub.accounts.models import ApiToken
from hub.extensions import db, socketio
from hub.timestamps import to_iso, utcnow
from tests import factories


def _create(client, world, body):
    return client.post("/api/v1/auth/tokens", json=body, headers=world.headers("agent"))


def test_a_read_only_token_reads_and_writes_nothing(app, client, world):
    created = _create(client, world, {"name": "dashboard", "scope": "read"})
    assert created.status_code == 201 and created.json["scope"] == "read"
    headers = factories.bearer(created.json["token"])
    sid = world.shipment.id
    assert client.get(f"/api/v1/shipments/{sid}/messages", headers=headers).status_code == 200
    refused = client.post(f"/api/v1/shipments/{sid}/messages", headers=headers,
                          json={"body": "nope", "client_id": str(uuid.uuid4())})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.patch("/api/v1/me", json={"name": "X"}, headers=headers).status_code == 403
    sock = socketio.test_client(app, auth={"token": created.json["token"]})
    assert sock.emit("join", {"shipment_id": sid}, callback=True)["ok"] is True
    answer = sock.emit("send", {"shipment_id": sid, "body": "nope", "client_id": str(uuid.uuid4())}, callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "forbidden"
    sock.disconnect()
    assert client.get(f"/api/v1/shipments/{sid}/messages", headers=world.headers("staff")).json["messages"] == []


def test_a_token_stops_working_when_it_expires(client, world):
    soon = utcnow() + timedelta(hours=1)
    created = _create(client, world, {"expires_at": to_iso(soon)})
    assert created.status_code == 201 and created.json["expires_at"] == to_iso(soon)
    headers = factories.bearer(created.json["token"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.get(ApiToken, created.json["id"])
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_bad_scope_or_past_expiry_is_422(client, world):
    for body, field in (({"scope": "admin"}, "scope"), ({"expires_at": "2000-01-01T00:00:00Z"}, "expires_at")):
        answer = _create(client, world, body)
        assert answer.status_code == 422 and field in answer.json["error"]["fields"]


def test_the_list_shows_each_tokens_last_use(client, world):
    created = _create(client, world, {"name": "erp"})
    listed = {t["id"]: t for t in client.get("/api/v1/auth/tokens", headers=world.headers("agent")).json["items"]}
    assert listed[created.json["id"]]["last_used_at"] is None
    client.get("/api/v1/me", headers=factories.bearer(created.json["token"]))
    listed = {t["id"]: t for t in client.get("/api/v1/auth/tokens", headers=world.headers("agent")).json["items"]}
    assert listed[created.json["id"]]["last_used_at"] is not None


def test_a_socket_connection_counts_as_the_tokens_use(app, client, world):
    created = _create(client, world, {"name": "live"})
    sock = socketio.test_client(app, auth={"token": created.json["token"]})
    assert sock.is_connected()
    sock.disconnect()
    db.session.expire_all()
    assert db.session.get(ApiToken, created.json["id"]).last_used_at is not None
