"""The worker sends through SendGrid's official client to a local fake: payloads, retries with
backoff, rate limits, failures, and every row accepted exactly once."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from hub.notifications.outbox import queue_email
from hub.notifications.worker import run_worker
from tests.notifications.conftest import add_rows, run_worker_until, sign_in, statuses


def _queue_mention(world, body: str = "Please check @li.wei") -> OutboxEmail:
    from hub.threads.services import send_message

    send_message(world.staff, world.shipment.id, body, str(uuid.uuid4()), "api")
    row = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "mention")).one()
    db.session.commit()
    return row


#: How late a due retry may go out on a loaded machine (a scheduling delay, not a backoff).
WAKE_UP_SLACK_S = 5.0


def _record_backoff_delays(monkeypatch) -> dict[int, list[float]]:
    """The backoff delays the worker chooses, per outbox row, in order (its own random jitter)."""
    from hub.notifications import worker

    chosen: dict[int, list[float]] = defaultdict(list)
    current: list[int] = []
    original_attempt, original_backoff = worker.attempt, worker.backoff_delay

    def attempt(transport, row_id, lease):
        current[:] = [row_id]
        return original_attempt(transport, row_id, lease)

    def backoff_delay(attempts: int, base: float) -> float:
        delay = original_backoff(attempts, base)
        chosen[current[0]].append(delay)
        return delay

    monkeypatch.setattr(worker, "attempt", attempt)
    monkeypatch.setattr(worker, "backoff_delay", backoff_delay)
    return chosen


def test_each_payload_is_a_valid_sendgrid_mail_send(sendgrid_app, world, fake_sendgrid, mail_send_validator):
    row = _queue_mention(world)
    row_id, subject, unsubscribe, message_id = row.id, row.subject, row.headers["List-Unsubscribe"], row.headers["Message-ID"]
    run_worker(sendgrid_app, once=True)

    [request] = fake_sendgrid.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    body = request.body
    mail_send_validator.validate(body)
    assert body["personalizations"] == [{"to": [{"email": "li.wei@agency.example", "name": "Li Wei"}]}]
    assert body["from"] == {"email": "hub@hub.test", "name": "Clearance Hub"}
    assert body["subject"] == subject and "ACME-001" in subject
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["custom_args"] == {"outbox_id": str(row_id)}
    assert body["headers"] == {"List-Unsubscribe": unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                               "Message-ID": message_id}
    assert unsubscribe.startswith("<http://hub.test/unsubscribe/")

    db.session.expire_all()
    sent = db.session.get(OutboxEmail, row_id)
    assert (sent.status, sent.transport, sent.attempts) == ("sent", "sendgrid", 1)
    assert sent.provider_message_id.startswith(f"fake-{row_id}-")


def test_retries_back_off_with_jitter_rate_limits_and_failures(sendgrid_app, world, fake_sendgrid,
                                                              mail_send_validator, monkeypatch):
    sendgrid_app.config["EMAIL_MAX_ATTEMPTS"] = 3
    chosen = _record_backoff_delays(monkeypatch)
    flaky, dropped, limited, rejected, broken, fine = add_rows(6, shipment_id=world.shipment.id)
    fake_sendgrid.plan(flaky, "500", "500", "202")
    fake_sendgrid.plan(dropped, "drop", "202")
    fake_sendgrid.plan(limited, "429", "202")
    fake_sendgrid.plan(rejected, "400")
    fake_sendgrid.plan(broken, "500", "500", "500", "500")
    fake_sendgrid.rate_limit_reset_in_s = 2

    def done() -> bool:
        return (len(fake_sendgrid.for_row(flaky)) == 3 and len(fake_sendgrid.for_row(dropped)) == 2
                and len(fake_sendgrid.for_row(limited)) == 2 and len(fake_sendgrid.for_row(broken)) == 3)

    run_worker_until(sendgrid_app, done)
    time.sleep(0.3)  # a fourth attempt of `broken` would come by now

    base = 0.2
    first, second = chosen[flaky]
    assert base <= first <= 1.5 * base  # first retry: base .. 1.5 x base
    assert 2 * base <= second <= 3 * base  # second: 2 x base .. 3 x base
    times = [r.at for r in fake_sendgrid.for_row(flaky)]
    # Never before the retry is due; and when due, soon (the slack is for a loaded machine,
    # where the worker thread may wait a while for a CPU: the delays themselves are exact above).
    assert first * 0.95 <= times[1] - times[0] < first + WAKE_UP_SLACK_S
    assert second * 0.95 <= times[2] - times[1] < second + WAKE_UP_SLACK_S
    limited_times = [r.at for r in fake_sendgrid.for_row(limited)]
    assert limited_times[1] - limited_times[0] >= 0.9  # waited for X-RateLimit-Reset (1-2 s ahead)
    assert len(fake_sendgrid.for_row(rejected)) == 1  # a 4xx other than 429 is not retried
    assert len(fake_sendgrid.for_row(broken)) == 3  # EMAIL_MAX_ATTEMPTS
    for request in fake_sendgrid.requests:
        mail_send_validator.validate(request.body)

    assert statuses([flaky, dropped, limited, rejected, broken, fine]) == {
        flaky: "sent", dropped: "sent", limited: "sent", rejected: "failed", broken: "failed", fine: "sent",
    }
    accepted = fake_sendgrid.accepted()
    assert sorted(accepted) == sorted(str(i) for i in (flaky, dropped, limited, fine))  # each exactly once
    assert "HTTP 400" in db.session.get(OutboxEmail, rejected).last_error


def test_failed_rows_show_as_warnings_to_coordinators(sendgrid_app, client, world, fake_sendgrid):
    sendgrid_app.config["EMAIL_MAX_ATTEMPTS"] = 1
    [row_id] = add_rows(1, shipment_id=world.shipment.id)
    fake_sendgrid.plan(row_id, "500")
    run_worker(sendgrid_app, once=True)

    warnings = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("staff")).json["warnings"]
    assert [w["kind"] for w in warnings] == ["email_failed"]
    assert "person0@example.com" in warnings[0]["text"] and warnings[0]["created_at"].endswith("Z")
    agent_view = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("agent")).json
    assert agent_view["warnings"] == []


def test_once_sends_what_is_due_and_leaves_later_retries(sendgrid_app, fake_sendgrid):
    # A retry far enough away that a slow machine cannot reach it before the second run.
    sendgrid_app.config["EMAIL_BACKOFF_BASE_S"] = 60
    now_due, retry_later = add_rows(2)
    fake_sendgrid.plan(retry_later, "500")
    started = time.monotonic()
    run_worker(sendgrid_app, once=True)
    assert time.monotonic() - started < 30  # it did not wait for the retry 60 s or more ahead
    assert statuses([now_due, retry_later]) == {now_due: "sent", retry_later: "pending"}
    later = db.session.get(OutboxEmail, retry_later)
    assert later.attempts == 1 and later.lease_until is None and "HTTP 500" in later.last_error
    db.session.commit()
    run_worker(sendgrid_app, once=True)  # not due yet: nothing is sent
    assert len(fake_sendgrid.requests) == 2


def test_without_an_api_key_emails_go_to_the_local_mailbox(app, client, world, fake_sendgrid):
    assert not app.config["SENDGRID_API_KEY"]
    row = _queue_mention(world, "Hi @li.wei <b>bold</b>")
    row_id = row.id
    run_worker(app, once=True)
    assert fake_sendgrid.requests == []
    db.session.expire_all()
    assert (db.session.get(OutboxEmail, row_id).status, db.session.get(OutboxEmail, row_id).transport) == (
        "sent", "mailbox")

    sign_in(client, "admin@acme.example")  # an admin sees the emails about the organization's shipments
    page = client.get("/dev/mailbox")
    assert page.status_code == 200 and "ACME-001" in page.text
    one = client.get(f"/dev/mailbox/{row_id}")
    assert one.status_code == 200 and "&lt;b&gt;bold&lt;/b&gt;" in one.text
    html = client.get(f"/dev/mailbox/{row_id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]


def test_partners_read_only_their_own_emails_in_the_mailbox(client, world):
    to_agent = _queue_mention(world, "For @li.wei only").id
    sign_in(client, "jonas@brokers.example")
    answer = client.get("/dev/mailbox")
    assert answer.status_code == 200 and "ACME-001" not in answer.text
    assert client.get(f"/dev/mailbox/{to_agent}").status_code == 404
    recipient = client.application.test_client()
    sign_in(recipient, "li.wei@agency.example")
    assert recipient.get(f"/dev/mailbox/{to_agent}").status_code == 200


def test_a_suppressed_address_is_marked_and_never_sent(sendgrid_app, world, fake_sendgrid):
    from hub.notifications.models import SuppressedAddress

    db.session.add(SuppressedAddress(email="li.wei@agency.example", reason="bounce"))
    db.session.commit()
    row = _queue_mention(world)
    assert row.status == "suppressed"
    run_worker(sendgrid_app, once=True)
    assert fake_sendgrid.requests == []


def test_queue_email_renders_in_the_recipients_language(app, world):
    world.agent.locale = "es"
    db.session.commit()
    row = queue_email(kind="invitation", to_email=world.agent.email, to_name=world.agent.name, template="invitation",
                      subject="ignored: the template's subject wins",
                      context={"inviter": world.staff, "invitee": world.agent, "shipment": world.shipment,
                               "role": "agent", "link": "http://hub.test/invitations/x"},
                      user_id=world.agent.id, shipment_id=world.shipment.id)
    db.session.commit()
    assert row.subject == "Ana Coordinator le invita al envío ACME-001 en Clearance Hub"
    assert "agente de aduanas" in row.text_body


def test_the_mailbox_shows_staff_only_emails_about_shipments_they_can_see(app, client, world):
    row_id = _queue_mention(world, "Secret for @li.wei").id
    sign_in(client, "rita@rival.example")  # staff of another shipper
    assert "Secret" not in client.get("/dev/mailbox").text
    assert client.get(f"/dev/mailbox/{row_id}").status_code == 404
    assert client.get(f"/dev/mailbox/{row_id}/html").status_code == 404
