"""Worker processes: two at once send each row exactly once; a worker killed with SIGKILL
mid-batch loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from tests.notifications.conftest import add_rows

ROOT = Path(__file__).resolve().parents[2]


def _worker(database_url: str, fake_url: str, tmp: Path, name: str, *args: str, **env: str) -> subprocess.Popen:
    environment = os.environ | {
        "HUB_ENV": "test",
        "DATABASE_URL": database_url,
        "HUB_INSTANCE_PATH": str(tmp / f"instance-{name}"),
        "PUBLIC_BASE_URL": "http://hub.test",
        "SENDGRID_API_KEY": f"SG.{name}",
        "SENDGRID_API_HOST": fake_url,
        "EMAIL_BACKOFF_BASE_S": "0.1",
        "EMAIL_POLL_S": "0.1",
    } | env
    log = open(tmp / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "worker", *args],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )


def _sent_count(ids: list[int]) -> int:
    count = db.session.scalar(
        db.select(db.func.count(OutboxEmail.id)).where(OutboxEmail.id.in_(ids), OutboxEmail.status == "sent")
    )
    db.session.commit()  # never hold SQLite's lock while a worker process runs
    return count


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_drain_a_thousand_rows_sending_each_exactly_once(app, fake_sendgrid, database_url, tmp_path):
    ids = add_rows(1000)
    fake_sendgrid.delay_s = 0.002
    workers = [_worker(database_url, fake_sendgrid.url, tmp_path, f"w{n}", "--once", EMAIL_BATCH_SIZE="10")
               for n in (1, 2)]
    for worker in workers:
        assert worker.wait(120) == 0, (tmp_path / "w1.log").read_text() + (tmp_path / "w2.log").read_text()

    accepted = Counter(fake_sendgrid.accepted())
    assert set(accepted) == {str(i) for i in ids}
    assert max(accepted.values()) == 1  # no row sent twice
    assert len(fake_sendgrid.requests) == 1000
    by_worker = Counter(r.headers["Authorization"] for r in fake_sendgrid.requests)
    assert set(by_worker) == {"Bearer SG.w1", "Bearer SG.w2"}  # both took part
    assert _sent_count(ids) == 1000


def test_a_worker_killed_mid_batch_loses_nothing(app, fake_sendgrid, database_url, tmp_path):
    ids = add_rows(120)
    fake_sendgrid.delay_s = 0.01
    # A short lease, so that the second worker soon takes over the killed worker's batch; a long
    # send timeout (the drain's margin stays 1 s, half the lease): on a loaded machine a request
    # answered after a short timeout would be sent again, a duplicate the kill did not cause.
    settings = {"EMAIL_LEASE_S": "2", "EMAIL_SEND_TIMEOUT_S": "30", "EMAIL_BATCH_SIZE": "20"}
    first = _worker(database_url, fake_sendgrid.url, tmp_path, "first", **settings)
    deadline = time.monotonic() + 120
    while len(fake_sendgrid.requests) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    accepted_before_restart = len(fake_sendgrid.accepted())
    assert 30 <= accepted_before_restart < 120, "killed mid-batch"
    assert _sent_count(ids) < 120

    second = _worker(database_url, fake_sendgrid.url, tmp_path, "second", **settings)
    try:
        deadline = time.monotonic() + 120
        while _sent_count(ids) < 120 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0  # SIGTERM ends the loop cleanly
    assert _sent_count(ids) == 120

    accepted = Counter(fake_sendgrid.accepted())
    assert set(accepted) == {str(i) for i in ids}  # nothing lost
    # Only the row in flight at the kill may have gone out twice (SendGrid has no idempotency key).
    assert sum(n - 1 for n in accepted.values()) <= 1
