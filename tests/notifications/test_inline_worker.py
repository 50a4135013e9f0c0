"""`hub serve` runs the worker loop inside itself with HUB_INLINE_WORKER=1 (only in the
gevent-patched serving process, at most once per process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import hub.notifications as notifications
from hub.extensions import db
from hub.notifications.models import OutboxEmail
from tests.notifications.conftest import add_rows, statuses

ROOT = Path(__file__).resolve().parents[2]


def test_not_started_outside_the_serving_process(app):
    app.config["HUB_INLINE_WORKER"] = True
    assert notifications.start_inline_worker(app) is False  # tests and CLI commands are not patched


def test_at_most_one_inline_loop_per_process(app, monkeypatch):
    import gevent

    spawned = []
    monkeypatch.setattr(notifications, "_serving_under_gevent", lambda: True)
    monkeypatch.setattr(notifications, "_inline_started", False)
    monkeypatch.setattr(gevent, "spawn", lambda *args: spawned.append(args))
    app.config["HUB_INLINE_WORKER"] = True
    assert notifications.start_inline_worker(app) is True
    assert notifications.start_inline_worker(app) is False
    assert len(spawned) == 1
    app.config["HUB_INLINE_WORKER"] = False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_hub_serve_sends_queued_email_itself(app, database_url, tmp_path):
    [row_id] = add_rows(1)
    port = _free_port()
    env = os.environ | {"HUB_ENV": "test", "DATABASE_URL": database_url, "HUB_INSTANCE_PATH": str(tmp_path / "serve"),
                        "HUB_INLINE_WORKER": "1", "EMAIL_POLL_S": "0.1", "PUBLIC_BASE_URL": "http://hub.test"}
    env.pop("SENDGRID_API_KEY", None)
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "hub", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a start and a send, on a loaded machine (test_cli gives `hub serve` 60 s)
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        while statuses([row_id])[row_id] != "sent" and time.monotonic() < deadline:
            db.session.commit()
            time.sleep(0.2)
        db.session.commit()
    finally:
        server.terminate()
        server.wait(20)
    row = db.session.get(OutboxEmail, row_id)
    assert (row.status, row.transport) == ("sent", "mailbox")
    db.session.commit()
