"""SendGrid's signed event webhook with a key pair generated here."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.extensions import db
from hub.notifications import webhook
from hub.notifications.models import EmailEvent, OutboxEmail, SuppressedAddress
from tests.notifications.conftest import add_rows

URL = "/webhooks/sendgrid/events"


def _public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    """As SendGrid shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _sign(key: ec.EllipticCurvePrivateKey, body: str, timestamp: str) -> str:
    return base64.b64encode(key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()


@pytest.fixture
def signing_key(app) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = _public_key_text(key)
    return key


def _post(client, body: str, key=None, timestamp: str | None = None, signature: str | None = None):
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    headers = {"Content-Type": "application/json"}
    if key is not None or signature is not None:
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = timestamp
        headers["X-Twilio-Email-Event-Webhook-Signature"] = signature or _sign(key, body, timestamp)
    return client.post(URL, data=body.encode(), headers=headers)


def _events(*events: dict) -> str:
    # SendGrid's own formatting (no spaces after separators would also do): signed as sent.
    return json.dumps(list(events), indent=1) + "\r\n"


def _event_count() -> int:
    return db.session.scalar(db.select(db.func.count(EmailEvent.id)))


def test_valid_signature_updates_the_row(client, signing_key, world):
    [row_id] = add_rows(1, shipment_id=world.shipment.id)
    body = _events({"email": "person0@example.com", "timestamp": int(time.time()), "event": "delivered",
                    "sg_event_id": "ev-1", "sg_message_id": "m.1", "outbox_id": str(row_id)})
    answer = _post(client, body, signing_key)
    assert answer.status_code == 200 and answer.json == {"processed": 1, "duplicates": 0}
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row_id).delivery_status == "delivered"


def test_forged_stale_and_unsigned_requests_are_rejected_and_record_nothing(client, signing_key, world,
                                                                          monkeypatch):
    # The verifier's clock stands still: the stamps 601 s either side of it stay 1 s outside
    # the 10-minute window however long the requests before them take on a slow machine.
    frozen = int(time.time())
    monkeypatch.setattr(webhook, "time", SimpleNamespace(time=lambda: float(frozen)))
    [row_id] = add_rows(1)
    body = _events({"email": "person0@example.com", "event": "bounce", "type": "bounce", "sg_event_id": "ev-2",
                    "outbox_id": str(row_id)})
    now = str(frozen)
    tampered = body.replace("bounce", "delivered", 1)
    other_key = ec.generate_private_key(ec.SECP256R1())
    old = str(frozen - 601)
    future = str(frozen + 601)
    cases = {
        "tampered body": lambda: _post(client, tampered, signature=_sign(signing_key, body, now), timestamp=now),
        "wrong key": lambda: _post(client, body, other_key),
        "old timestamp": lambda: _post(client, body, signing_key, timestamp=old),
        "future timestamp": lambda: _post(client, body, signing_key, timestamp=future),
        "timestamp not an integer": lambda: _post(client, body, signing_key, timestamp=now + ".5"),
        "no headers": lambda: _post(client, body),
        "garbage signature": lambda: _post(client, body, signature="not-base64!", timestamp=now),
    }
    for name, send in cases.items():
        answer = send()
        assert answer.status_code == 403, name
        assert answer.json["error"]["code"] == "forbidden", name
    assert _event_count() == 0
    assert db.session.scalar(db.select(db.func.count(SuppressedAddress.id))) == 0


def test_a_validly_signed_body_that_is_not_an_array_is_400(client, signing_key):
    answer = _post(client, json.dumps({"event": "delivered"}), signing_key)
    assert answer.status_code == 400 and answer.json["error"]["code"] == "malformed_request"
    assert _event_count() == 0


def test_a_duplicate_event_is_counted_once(client, signing_key):
    [row_id] = add_rows(1)
    event = {"email": "person0@example.com", "event": "open", "sg_event_id": "ev-dup", "outbox_id": str(row_id)}
    assert _post(client, _events(event, event), signing_key).json == {"processed": 1, "duplicates": 1}
    assert _post(client, _events(event), signing_key).json == {"processed": 0, "duplicates": 1}
    assert _event_count() == 1


def test_bounce_and_spam_suppress_and_warn_blocked_does_not(client, signing_key, world):
    [row_id] = add_rows(1, shipment_id=world.shipment.id)
    body = _events(
        {"email": "li.wei@agency.example", "event": "bounce", "type": "bounce", "sg_event_id": "b1",
         "reason": "550 no such user", "outbox_id": str(row_id)},
        {"email": "jonas@brokers.example", "event": "bounce", "type": "blocked", "sg_event_id": "b2"},
        {"email": "olga@brokers.example", "event": "spamreport", "sg_event_id": "s1"},
        {"email": "ana@acme.example", "event": "dropped", "sg_event_id": "d1"},
    )
    assert _post(client, body, signing_key).json == {"processed": 4, "duplicates": 0}
    suppressed = {s.email: s.reason for s in db.session.scalars(db.select(SuppressedAddress))}
    assert suppressed == {"li.wei@agency.example": "bounce", "olga@brokers.example": "spam"}
    assert db.session.get(OutboxEmail, row_id).delivery_status == "bounce"

    warnings = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("staff")).json["warnings"]
    assert {(w["kind"], w["text"]) for w in warnings} == {
        ("email_bounced", "email to li.wei@agency.example bounced"),
        ("email_spam", "email to olga@brokers.example was reported as spam"),
    }


def test_an_admin_lifts_a_suppression(client, world):
    entry = SuppressedAddress(email="li.wei@agency.example", reason="bounce")
    db.session.add(entry)
    db.session.commit()
    entry_id = entry.id
    assert client.get("/api/v1/admin/email-suppressions", headers=world.headers("staff")).status_code == 403
    listed = client.get("/api/v1/admin/email-suppressions", headers=world.headers("admin")).json["items"]
    assert [s["email"] for s in listed] == ["li.wei@agency.example"]
    assert client.delete(f"/api/v1/admin/email-suppressions/{entry_id}", headers=world.headers("staff")).status_code == 403
    assert client.delete(f"/api/v1/admin/email-suppressions/{entry_id}", headers=world.headers("admin")).status_code == 204
    assert client.delete(f"/api/v1/admin/email-suppressions/{entry_id}", headers=world.headers("admin")).status_code == 404
    assert client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("staff")).json["warnings"] == []
