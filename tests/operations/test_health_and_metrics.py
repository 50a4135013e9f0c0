"""/healthz, /readyz (ok, degraded, down) and /metrics (what it counts, who may read it), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from hub.signals import inbound_email_received
from hub.timestamps import utcnow
from tests.conftest import make_app
from tests.live import free_port
from tests.notifications.conftest import add_rows
from tests.operations.helpers import sample
from tests.services import redis_url

POST_ROUTE = "/api/v1/shipments/<int:shipment_id>/messages"


def _metrics(client, **environ) -> str:
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"} | environ)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return answer.text


def test_healthz_says_the_process_is_alive(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_reports_the_database_and_the_outbox_backlog_and_degrades_when_it_is_old(client):
    add_rows(3)
    report = client.get("/readyz")
    assert report.status_code == 200
    assert report.json["status"] == "ok"
    assert report.json["checks"]["database"]["status"] == "ok"
    assert "redis" not in report.json["checks"]  # none configured
    outbox = report.json["checks"]["outbox"]
    assert outbox["depth"] == 3 and 0 <= outbox["oldest_age_s"] < 60 and outbox["status"] == "ok"

    # One email waiting for two hours: degraded, still 200 (serving, but someone should look).
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == db.session.scalar(db.select(db.func.min(
        OutboxEmail.id)))).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    report = client.get("/readyz")
    assert report.status_code == 200 and report.json["status"] == "degraded"
    assert report.json["checks"]["outbox"]["status"] == "degraded"
    assert report.json["checks"]["outbox"]["oldest_age_s"] >= 7200


def test_readyz_is_degraded_while_redis_does_not_answer(app, client):
    app.config["SOCKETIO_MESSAGE_QUEUE"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    report = client.get("/readyz")
    assert report.status_code == 200 and report.json["status"] == "degraded"
    assert report.json["checks"]["redis"]["status"] == "degraded"
    app.config["SOCKETIO_MESSAGE_QUEUE"] = redis_url()
    report = client.get("/readyz")
    assert report.json["status"] == "ok" and report.json["checks"]["redis"]["status"] == "ok"


def test_readyz_is_down_with_503_when_the_database_does_not_answer(tmp_path: Path):
    app = make_app(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing_here", tmp_path)
    with app.app_context():
        client = app.test_client()
        report = client.get("/readyz")
        assert report.status_code == 503
        assert report.json["status"] == "down" and report.json["checks"]["database"]["status"] == "down"
        assert "outbox" not in report.json["checks"]
        assert client.get("/healthz").status_code == 200  # the process itself is fine
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_metrics_are_served_only_to_allowed_addresses_or_the_bearer_token(app, client):
    app.config.update(METRICS_ALLOWED_IPS=["127.0.0.1", "10.0.0.0/8"], METRICS_TOKEN="scrape-secret-0123456789")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    stranger = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert stranger.status_code == 404 and stranger.json["error"]["code"] == "not_found"
    assert "hub_" not in stranger.text
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                      headers={"Authorization": "Bearer scrape-secret-0123456789"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    # Through nginx (which connects from 127.0.0.1) the client it forwarded is judged.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    app.config.update(METRICS_TOKEN=None)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                      headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_count_requests_messages_emails_and_read_the_outbox(app, client, world):
    before = _metrics(client)
    posted = client.post(f"/api/v1/shipments/{world.shipment.id}/messages", json={"body": "Customs asked for the invoice"},
                         headers=world.headers("staff"))
    assert posted.status_code == 201
    refused = client.post(f"/api/v1/shipments/{world.shipment.id}/messages", json={"body": "no"},
                          headers=world.headers("observer"))
    assert refused.status_code == 403
    add_rows(2)
    pending = db.session.scalar(db.select(db.func.count(OutboxEmail.id)).where(OutboxEmail.status == "pending"))
    db.session.commit()
    inbound_email_received.send("rejected", reason="unknown reply address")
    inbound_email_received.send("duplicate", reason=None)
    after = _metrics(client)

    def delta(name: str, **labels: str) -> float:
        return (sample(after, name, **labels) or 0) - (sample(before, name, **labels) or 0)

    assert delta("hub_http_requests_total", method="POST", route=POST_ROUTE, status="201") == 1
    assert delta("hub_http_requests_total", method="POST", route=POST_ROUTE, status="403") == 1
    assert delta("hub_http_request_duration_seconds_count", method="POST", route=POST_ROUTE) == 2
    assert delta("hub_messages_posted_total", channel="api") == 1  # the refused one counts nothing
    assert delta("hub_inbound_emails_total", outcome="rejected") == 1
    assert sample(after, "hub_inbound_emails_total", outcome="accepted") is not None
    assert sample(after, "hub_outbox_depth") == pending >= 2
    assert sample(after, "hub_outbox_oldest_age_seconds") >= 0
    assert sample(after, "hub_risk_flags_open") == 0

    # The worker (local mailbox) sends them; a SendGrid bounce arrives by the webhook.
    from hub.notifications.webhook import process_events
    from hub.notifications.worker import run_worker

    run_worker(app, once=True)
    process_events([{"sg_event_id": "bounce-1", "event": "bounce", "type": "bounce", "email": "person0@example.com",
                     "timestamp": 1765000000}])
    final = _metrics(client)
    assert (sample(final, "hub_emails_sent_total") or 0) - (sample(after, "hub_emails_sent_total") or 0) == pending
    assert (sample(final, "hub_emails_bounced_total") or 0) - (sample(after, "hub_emails_bounced_total") or 0) == 1
    assert sample(final, "hub_outbox_depth") == 0
