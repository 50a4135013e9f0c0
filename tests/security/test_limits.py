"""Limits (Flask-Limiter): sign-in per address and per account, password reset, invitations,
token creation, message sends (REST and socket together), uploads and webhooks answer 429 with
Retry-After (sockets: an error acknowledgement `rate_limited`); RATELIMIT_ENABLED=0 turns all off."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from hub.extensions import db, socketio
from tests import factories
from tests.conftest import make_app

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Seen:
    """What the tests need of the world, read before the fixture's transaction ends."""

    def __init__(self, world) -> None:
        self.staff_email, self.agent_email = world.staff.email, world.agent.email
        self.shipment_id, self.partner_org_id = world.shipment.id, world.agent.organization_id
        self.tokens = dict(world.tokens)


def limited(database_url: str, tmp_path: Path, **limits: str):
    """A second app on the test database with the limits on and low (the fixture's transaction
    is ended first, so SQLite lets the second app write; nothing of the world is read after)."""
    db.session.commit()
    db.session.close()
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "100 per minute"} | limits
    app = make_app(database_url, tmp_path / "limited", **settings)
    return app, app.test_client()


def _assert_429(response) -> None:
    assert response.status_code == 429, response.status_code
    assert int(response.headers["Retry-After"]) > 0
    if response.is_json:
        assert response.json["error"]["code"] == "rate_limited"


def test_sign_in_is_limited_per_account_whatever_the_address(world, database_url, tmp_path):
    w = Seen(world)
    _app, client = limited(database_url, tmp_path, RATELIMIT_LOGIN_ACCOUNT="3 per minute")
    body = {"email": w.staff_email, "password": "wrong password!"}
    for i in range(3):
        answer = client.post("/api/v1/auth/token", json=body, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert answer.status_code == 401
    _assert_429(client.post("/api/v1/auth/token", json=body | {"password": factories.PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.99"}))
    # Another account from the same addresses is not held back, and an unknown address answers alike.
    other = {"email": w.agent_email, "password": factories.PASSWORD}
    assert client.post("/api/v1/auth/token", json=other, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 201
    for _ in range(3):
        client.post("/api/v1/auth/token", json={"email": "nobody@x.example", "password": "x" * 12})
    _assert_429(client.post("/api/v1/auth/token", json={"email": "nobody@x.example", "password": "x" * 12}))


def test_password_reset_is_limited_per_account(world, database_url, tmp_path):
    w = Seen(world)
    _app, client = limited(database_url, tmp_path, RATELIMIT_PASSWORD_RESET="2 per hour")
    token = factories.page_csrf_token(client, "/password/forgot")
    for _ in range(2):
        assert client.post("/password/forgot", data={"email": w.staff_email, "csrf_token": token}).status_code == 302
    _assert_429(client.post("/password/forgot", data={"email": w.staff_email, "csrf_token": token}))


def test_invitations_and_token_creation_are_limited_per_user(world, database_url, tmp_path):
    w = Seen(world)
    _app, client = limited(database_url, tmp_path, RATELIMIT_INVITATIONS="2 per hour", RATELIMIT_TOKENS="2 per hour")
    headers = factories.bearer(w.tokens["staff"])
    for i in range(2):
        body = {"email": f"p{i}@partner.example", "role": "agent", "organization_id": w.partner_org_id}
        assert client.post(f"/api/v1/shipments/{w.shipment_id}/participants", json=body,
                           headers=headers).status_code == 201
    _assert_429(client.post(f"/api/v1/shipments/{w.shipment_id}/participants", headers=headers, json={
        "email": "p9@partner.example", "role": "agent", "organization_id": w.partner_org_id}))
    # As found: 300 tokens in a second were accepted.
    for _ in range(2):
        assert client.post("/api/v1/auth/tokens", json={}, headers=headers).status_code == 201
    _assert_429(client.post("/api/v1/auth/tokens", json={}, headers=headers))


def test_message_sends_are_limited_per_user_across_rest_and_sockets(world, database_url, tmp_path):
    w = Seen(world)
    app, client = limited(database_url, tmp_path, RATELIMIT_MESSAGES="3 per minute")
    sid = w.shipment_id
    headers = factories.bearer(w.tokens["agent"])
    for i in range(2):
        assert client.post(f"/api/v1/shipments/{sid}/messages", headers=headers,
                           json={"body": f"m{i}", "client_id": str(uuid.uuid4())}).status_code == 201
    with app.app_context():
        sock = socketio.test_client(app, auth={"token": w.tokens["agent"]})
        first = sock.emit("send", {"shipment_id": sid, "body": "by socket", "client_id": str(uuid.uuid4())},
                          callback=True)
        assert first["ok"] is True
        refused = sock.emit("send", {"shipment_id": sid, "body": "one too many", "client_id": str(uuid.uuid4())},
                            callback=True)
        assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
        sock.disconnect()
    _assert_429(client.post(f"/api/v1/shipments/{sid}/messages", headers=headers,
                            json={"body": "again", "client_id": str(uuid.uuid4())}))
    # Someone else still posts.
    assert client.post(f"/api/v1/shipments/{sid}/messages", headers=factories.bearer(w.tokens["staff"]),
                       json={"body": "me too", "client_id": str(uuid.uuid4())}).status_code == 201


def test_uploads_and_webhooks_are_limited(world, database_url, tmp_path):
    w = Seen(world)
    _app, client = limited(database_url, tmp_path, RATELIMIT_UPLOADS="2 per hour", RATELIMIT_WEBHOOKS="2 per minute")
    headers = factories.bearer(w.tokens["agent"])

    def upload():
        return client.post(f"/api/v1/shipments/{w.shipment_id}/documents", headers=headers,
                           data={"file": (io.BytesIO(PDF), "invoice.pdf"), "doc_type": "commercial_invoice"},
                           content_type="multipart/form-data")

    assert [upload().status_code for _ in range(2)] == [201, 201]
    _assert_429(upload())
    for _ in range(2):
        assert client.post("/webhooks/sendgrid/events", data="[]").status_code != 429
    _assert_429(client.post("/webhooks/sendgrid/events", data="[]"))


def test_ratelimit_enabled_0_turns_every_limit_off(world, database_url, tmp_path):
    w = Seen(world)
    _app, client = limited(database_url, tmp_path, RATELIMIT_ENABLED=False, LOGIN_RATE_LIMIT="1 per minute",
                           RATELIMIT_LOGIN_ACCOUNT="1 per minute", RATELIMIT_MESSAGES="1 per minute",
                           RATELIMIT_TOKENS="1 per minute")
    headers = factories.bearer(w.tokens["staff"])
    for _ in range(3):
        assert client.post("/api/v1/auth/token", json={"email": w.staff_email,
                                                       "password": factories.PASSWORD}).status_code == 201
        assert client.post(f"/api/v1/shipments/{w.shipment_id}/messages", headers=headers,
                           json={"body": "x", "client_id": str(uuid.uuid4())}).status_code == 201
        assert client.post("/api/v1/auth/tokens", json={}, headers=headers).status_code == 201
