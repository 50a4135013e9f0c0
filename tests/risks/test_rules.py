"""Each automatic rule raises its flag and resolves it by itself, through the real services:
a milestone recorded, a document accepted, a bounce webhook, a participant removed and added,
the worker's scheduled run with a frozen clock. Each asserts the thread's system message, the
live `risk` event (shipment room and coordinators' user rooms) and the escalation email."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.extensions import db
from hub.notifications.worker import run_periodic_jobs
from tests import factories
from tests.risks.conftest import flags, risk_emails, risk_events, system_messages


def _milestone(client, world, code: str, at: str, who: str = "agent") -> None:
    answer = client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", json={"code": code, "occurred_at": at},
                         headers=world.headers(who))
    assert answer.status_code == 201, answer.json


def _assert_escalated(world, emitted, change: str, rule: str, count: int = 1) -> None:
    events = [e for e in risk_events(emitted, change) if e[1]["risk"]["rule"] == rule]
    rooms = {room for _event, _payload, room in events}
    assert f"shipment:{world.shipment.id}" in rooms and f"user:{world.staff.id}" in rooms
    from hub.risks.rules import label_of

    emails = [e for e in risk_emails(world.shipment.id) if e.kind == f"risk_{change}" and label_of(rule) in e.subject]
    assert len([e for e in emails if e.to_email == world.staff.email]) == count
    assert all(e.to_email in (world.staff.email,) for e in emails)  # coordinators only, never partners


def test_on_hold_raises_and_a_later_regular_milestone_resolves(client, world, emitted, now_is):
    now_is("2026-11-03T10:00:00Z")  # before the clearance clock runs out
    _milestone(client, world, "arrived", "2026-11-02T08:00:00Z")
    _milestone(client, world, "on_hold", "2026-11-03T09:00:00Z")
    [flag] = flags(world.shipment.id, "on_hold")
    assert flag.is_open and flag.severity == "high" and flag.owner_id == world.staff.id
    assert any(body.startswith("Risk opened (high): On hold") for body in system_messages(world.shipment.id))
    _assert_escalated(world, emitted, "opened", "on_hold")
    email = risk_emails(world.shipment.id)[0]
    assert email.subject.startswith("ACME-001") and "On hold" in email.subject
    # A late report of an earlier regular milestone does not clear the hold.
    _milestone(client, world, "declaration_filed", "2026-11-01T08:00:00Z")
    assert flags(world.shipment.id, "on_hold")[0].is_open
    _milestone(client, world, "duties_assessed", "2026-11-04T09:00:00Z")
    [flag] = flags(world.shipment.id, "on_hold")
    assert not flag.is_open and flag.resolution == "auto" and flag.resolved_by_id is None
    assert any(body.startswith("Risk resolved: On hold (automatically") for body in system_messages(world.shipment.id))
    _assert_escalated(world, emitted, "resolved", "on_hold")


def test_one_open_flag_per_rule_and_a_hand_resolved_flag_waits_for_a_new_cause(client, world, emitted, now_is):
    now_is("2026-11-03T10:00:00Z")  # before the clearance clock runs out
    _milestone(client, world, "arrived", "2026-11-02T08:00:00Z")
    _milestone(client, world, "on_hold", "2026-11-03T09:00:00Z")
    _milestone(client, world, "on_hold", "2026-11-03T10:00:00Z")  # another report: still one open flag
    assert len(flags(world.shipment.id, "on_hold")) == 1
    flag = flags(world.shipment.id, "on_hold")[0]
    answer = client.patch(f"/api/v1/risks/{flag.id}", json={"resolved": True, "resolution_note": "Broker says it is paperwork only"},
                          headers=world.headers("staff"))
    assert answer.status_code == 200 and answer.json["resolution"] == "manual", answer.json
    # The scheduled re-check sees the same hold: it stays resolved.
    run_periodic_jobs(client.application, force=True)
    assert [f.is_open for f in flags(world.shipment.id, "on_hold")] == [False]
    # The unique open_key refuses a second open flag of a rule even without the service's check.
    from sqlalchemy.exc import IntegrityError

    from hub.risks.models import RiskFlag
    db.session.add(RiskFlag(shipment_id=world.shipment.id, rule="on_hold", severity="high", detail="", hs_codes=[],
                            open_key="on_hold"))
    db.session.add(RiskFlag(shipment_id=world.shipment.id, rule="on_hold", severity="high", detail="", hs_codes=[],
                            open_key="on_hold"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Anew: released from the hold, then held again (a new on_hold milestone): a new flag.
    _milestone(client, world, "duties_assessed", "2026-11-04T09:00:00Z")
    _milestone(client, world, "on_hold", "2026-11-05T09:00:00Z")
    states = [f.is_open for f in flags(world.shipment.id, "on_hold")]
    assert states == [False, True]
    # The person who resolved it is not emailed about their own action.
    resolved = [e for e in risk_emails(world.shipment.id) if e.kind == "risk_resolved"]
    assert resolved == []


def test_under_inspection_is_medium_and_clears_on_release(client, world, emitted, now_is):
    now_is("2026-11-03T10:00:00Z")  # before the clearance clock runs out
    _milestone(client, world, "arrived", "2026-11-02T08:00:00Z")
    _milestone(client, world, "under_inspection", "2026-11-02T12:00:00Z")
    [flag] = flags(world.shipment.id, "under_inspection")
    assert flag.is_open and flag.severity == "medium"
    _milestone(client, world, "released", "2026-11-03T12:00:00Z")
    assert not flags(world.shipment.id, "under_inspection")[0].is_open
    _assert_escalated(world, emitted, "resolved", "under_inspection")


def test_missing_documents_before_eta_by_the_scheduled_run_then_accepted(client, world, emitted, now_is, app):
    # ETA in 4 days: inside RISK_DOCS_DAYS_BEFORE_ETA (5). Destination DE, sea: invoice and packing list.
    now_is("2026-11-08T08:00:00Z")
    client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"eta": "2026-11-14T08:00:00Z"},
                 headers=world.headers("staff"))
    run_periodic_jobs(app, force=True)
    assert flags(world.shipment.id, "missing_documents") == []  # 6 days before: not yet
    now_is("2026-11-10T08:00:00Z")
    run_periodic_jobs(app, force=True)
    [flag] = flags(world.shipment.id, "missing_documents")
    assert flag.is_open and "Commercial invoice" in flag.detail
    _assert_escalated(world, emitted, "opened", "missing_documents")
    checklist = client.get(f"/api/v1/shipments/{world.shipment.id}/checklist", headers=world.headers("staff")).json
    for item in checklist["items"]:
        upload = client.post(f"/api/v1/shipments/{world.shipment.id}/documents", headers=world.headers("agent"),
                             data={"doc_type": item["doc_type"], "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "doc.pdf")},
                             content_type="multipart/form-data")
        assert upload.status_code == 201, upload.json
        review = client.post(f"/api/v1/documents/{upload.json['id']}/review", json={"decision": "accept"},
                             headers=world.headers("staff"))
        assert review.status_code == 200, review.json
    [flag] = flags(world.shipment.id, "missing_documents")
    assert not flag.is_open and flag.resolution == "auto"
    _assert_escalated(world, emitted, "resolved", "missing_documents")


def test_clearance_overdue_by_the_scheduled_run_then_released(client, world, emitted, now_is, app):
    now_is("2026-11-02T10:00:00Z")
    client.patch(f"/api/v1/shipments/{world.shipment.id}", json={"eta": "2026-11-02T08:00:00Z"},
                 headers=world.headers("staff"))
    _milestone(client, world, "arrived", "2026-11-02T08:00:00Z")
    now_is("2026-11-04T08:00:00Z")
    run_periodic_jobs(app, force=True)
    assert flags(world.shipment.id, "clearance_overdue") == []
    now_is("2026-11-30T08:00:00Z")
    # The email worker's loop runs the re-check on its schedule (RISK_CHECK_INTERVAL_S).
    from hub.signals import risk_flag_changed
    from tests.notifications.conftest import run_worker_until

    app.config["RISK_CHECK_INTERVAL_S"] = 300
    app.extensions.pop("hub_periodic_jobs", None)
    raised: list[str] = []

    def heard(flag, **_kwargs) -> None:
        raised.append(flag.rule)

    risk_flag_changed.connect(heard)
    try:
        run_worker_until(app, lambda: "clearance_overdue" in raised)
    finally:
        risk_flag_changed.disconnect(heard)
    [flag] = flags(world.shipment.id, "clearance_overdue")
    assert flag.is_open and flag.severity == "high" and "overdue" in flag.detail
    _assert_escalated(world, emitted, "opened", "clearance_overdue")
    _milestone(client, world, "released", "2026-11-29T08:00:00Z")
    assert not flags(world.shipment.id, "clearance_overdue")[0].is_open
    _assert_escalated(world, emitted, "resolved", "clearance_overdue")


def _public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _bounce(client, key, email: str, event_id: str):
    body = json.dumps([{"email": email, "timestamp": int(time.time()), "event": "bounce", "type": "bounce",
                        "sg_event_id": event_id, "reason": "550 no such user"}])
    stamp = str(int(time.time()))
    signature = base64.b64encode(key.sign((stamp + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()
    return client.post("/webhooks/sendgrid/events", data=body.encode(), headers={
        "Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "X-Twilio-Email-Event-Webhook-Signature": signature})


def test_the_only_agents_email_bounces_then_the_suppression_is_lifted(client, world, emitted, app):
    key = ec.generate_private_key(ec.SECP256R1())
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = _public_key_text(key)
    assert _bounce(client, key, world.agent.email, "ev-1").status_code == 200
    [flag] = flags(world.shipment.id, "partner_email_bounced")
    assert flag.is_open and world.agent.email in flag.detail
    _assert_escalated(world, emitted, "opened", "partner_email_bounced")
    suppressions = client.get("/api/v1/admin/email-suppressions", headers=world.headers("admin")).json["items"]
    lifted = client.delete(f"/api/v1/admin/email-suppressions/{suppressions[0]['id']}", headers=world.headers("admin"))
    assert lifted.status_code == 204
    [flag] = flags(world.shipment.id, "partner_email_bounced")
    assert not flag.is_open
    _assert_escalated(world, emitted, "resolved", "partner_email_bounced")


def test_a_second_agent_keeps_the_side_reachable(client, world, emitted, app):
    key = ec.generate_private_key(ec.SECP256R1())
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = _public_key_text(key)
    other = factories.user(world.agent.organization, "partner", "wang@agency.example", "Wang")
    factories.participant(world.shipment, other, "agent")
    assert _bounce(client, key, world.agent.email, "ev-2").status_code == 200
    assert flags(world.shipment.id, "partner_email_bounced") == []


def test_no_agent_or_broker_once_arrived(client, world, emitted, now_is):
    now_is("2026-11-03T10:00:00Z")  # before the clearance clock runs out
    _milestone(client, world, "arrived", "2026-11-02T08:00:00Z")
    for person in (world.agent, world.broker):
        answer = client.delete(f"/api/v1/shipments/{world.shipment.id}/participants/{person.id}",
                               headers=world.headers("staff"))
        assert answer.status_code == 204
    [flag] = flags(world.shipment.id, "no_agent_or_broker")
    assert flag.is_open
    _assert_escalated(world, emitted, "opened", "no_agent_or_broker")
    answer = client.post(f"/api/v1/shipments/{world.shipment.id}/participants",
                         json={"user_id": world.broker.id, "role": "broker"}, headers=world.headers("staff"))
    assert answer.status_code == 201, answer.json
    assert not flags(world.shipment.id, "no_agent_or_broker")[0].is_open
    _assert_escalated(world, emitted, "resolved", "no_agent_or_broker")


def test_the_risks_preference_and_mute_keep_escalations_away(client, world, emitted, now_is):
    now_is("2026-11-03T10:00:00Z")  # before the clearance clock runs out
    second = factories.user(world.staff.organization, "coordinator", "carla@acme.example", "Carla", "zh_Hans")
    factories.participant(world.shipment, second, "coordinator")
    answer = client.put("/api/v1/me/notifications", json={"level": "all", "risks": False},
                        headers=world.headers("staff"))
    assert answer.status_code == 200 and answer.json["risks"] is False
    _milestone(client, world, "on_hold", "2026-11-03T09:00:00Z")
    [email] = risk_emails(world.shipment.id)
    assert email.to_email == "carla@acme.example"
    assert email.subject == "ACME-001: 风险：被扣留", email.subject
    assert "新增高风险" in email.text_body
    assert client.get("/api/v1/me/notifications", headers=world.headers("agent")).json["risks"] is True
    db.session.rollback()
