"""The email worker killed with SIGKILL mid-batch while the fake SendGrid answers 429 and 500
for a while: every email ends sent exactly once (at-least-once with the outbox id as the key;
the fake counts an id accepted twice as a duplicate, and there must be none)."""

from __future__ import annotations

import signal

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from tests.notifications.conftest import add_rows, fake_sendgrid  # noqa: F401  (the fixture)
from tests.notifications.test_workers import _worker
from tests.operations.helpers import wait_until

EMAILS = 60
SETTINGS = {"EMAIL_LEASE_S": "2", "EMAIL_SEND_TIMEOUT_S": "1", "EMAIL_BATCH_SIZE": "20",
            "EMAIL_BACKOFF_BASE_S": "0.05", "EMAIL_MAX_ATTEMPTS": "100"}


def _count(ids: list[int], *conditions) -> int:
    count = db.session.scalar(db.select(db.func.count(OutboxEmail.id)).where(OutboxEmail.id.in_(ids), *conditions))
    db.session.commit()  # never hold SQLite's lock while a worker process runs
    return count


def test_a_worker_killed_mid_batch_through_429s_and_500s_sends_every_email_exactly_once(
        app, fake_sendgrid, database_url, tmp_path):  # noqa: F811
    ids = add_rows(EMAILS)
    fake_sendgrid.delay_s = 0.005
    fake_sendgrid.rate_limit_reset_in_s = 1
    fake_sendgrid.fail_for(60, "500", "429", "500")
    first = _worker(database_url, fake_sendgrid.url, tmp_path, "first", **SETTINGS)
    second = None
    try:
        wait_until(lambda: fake_sendgrid.failures() >= 6, 60, "the outage to be met")
        fake_sendgrid.end_outage()
        wait_until(lambda: len(fake_sendgrid.accepted()) >= 20, 60, "the first emails to go out")
        # The next request is held: the worker is mid-batch, with a request in flight.
        fake_sendgrid.hold.set()
        wait_until(lambda: fake_sendgrid.holding >= 1, 20, "a request in flight")
        claimed_unsent = _count(ids, OutboxEmail.status == "pending", OutboxEmail.lease_until.is_not(None))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        sent_at_kill = _count(ids, OutboxEmail.status == "sent")
        assert claimed_unsent >= 1 and 20 <= sent_at_kill < EMAILS, (claimed_unsent, sent_at_kill)
        fake_sendgrid.fail_for(60, "429", "500")
        fake_sendgrid.hold.clear()  # the held request is dropped: its sender died

        second = _worker(database_url, fake_sendgrid.url, tmp_path, "second", **SETTINGS)
        failed_before = fake_sendgrid.failures()
        wait_until(lambda: fake_sendgrid.failures() >= failed_before + 4, 60, "the second outage to be met")
        fake_sendgrid.end_outage()
        wait_until(lambda: _count(ids, OutboxEmail.status == "sent") == EMAILS, 90, "every email sent")
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)

    answers = [r.answer for r in fake_sendgrid.requests]
    assert {"429", "500", "drop"} <= set(answers), "the outage and the kill happened"
    accepted = fake_sendgrid.accepted()
    assert sorted(accepted, key=int) == [str(i) for i in ids]  # each email accepted exactly once
    assert fake_sendgrid.duplicates() == 0
    assert _count(ids, OutboxEmail.status == "sent") == EMAILS
    assert _count(ids, OutboxEmail.status != "sent") == 0
