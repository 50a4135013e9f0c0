"""Real server processes: JSON log lines carry the request id from the request into the socket
events it emits and into the worker job that sends its email, the user id where known, and
never a password, token or message body; metrics are summed across the processes sharing
PROMETHEUS_MULTIPROC_DIR (a web server and the email worker), and a stopped process's open
sockets stop counting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.factories import PASSWORD
from tests.live import ROOT, LiveServer
from tests.operations.helpers import sample
from tests.threads.conftest import ThreadClient, browser_login, detach_world


def _lines(path: Path) -> list[dict]:
    """Every JSON line of a log (gunicorn's own plain lines are skipped)."""
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def _wait_for_line(path: Path, predicate, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in _lines(path) if predicate(line)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no such log line in {path}")


def _worker_once(database_url: str, tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "worker", "--once"], cwd=ROOT, capture_output=True,
        text=True, timeout=60,
        env=os.environ | {"HUB_ENV": "test", "DATABASE_URL": database_url, "HUB_INSTANCE_PATH": str(tmp / "worker"),
                          "PUBLIC_BASE_URL": "http://hub.test", "SENDGRID_API_KEY": ""} | env)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_request_id_follows_a_request_into_its_socket_event_and_email_and_no_secret_is_logged(
        app, world, database_url, tmp_path):
    detach_world(world)
    sid = world.shipment.id
    token = world.tokens["staff"]
    body = "Invoice 7f3a-confidential for @li.wei please"
    with LiveServer(database_url) as server:
        watcher = ThreadClient(server.url, world.tokens["observer"]).connect()
        try:
            assert watcher.join(sid)["ok"]
            session = browser_login(server.url, world.staff.email)  # the password goes through a form
            answer = requests.post(f"{server.url}/api/v1/shipments/{sid}/messages", json={"body": body},
                                   headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-4f1c2a9e77"},
                                   timeout=10)
            assert answer.status_code == 201 and answer.headers["X-Request-ID"] == "trace-4f1c2a9e77"
            watcher.wait_for(lambda: watcher.seqs(sid) == [1])
            li = ThreadClient(server.url, world.tokens["agent"]).connect()
            sent = li.send(sid, "socket secret body 91b2")
            li.disconnect()
            assert sent["ok"], sent
            session.close()
        finally:
            watcher.disconnect()
        log = server.log_path
        access = _wait_for_line(log, lambda line: line.get("route") == "/api/v1/shipments/<int:shipment_id>/messages"
                                and line.get("method") == "POST")
        emitted = _wait_for_line(log, lambda line: line["message"] == "socket event emitted"
                                 and line["request_id"] == "trace-4f1c2a9e77")
        socket_send = _wait_for_line(log, lambda line: line["message"] == "socket event" and line["event"] == "send")
        socket_emitted = _wait_for_line(log, lambda line: line["message"] == "socket event emitted"
                                        and line["request_id"] == socket_send["request_id"])
        login = _wait_for_line(log, lambda line: line.get("route") == "/login" and line.get("method") == "POST")

    # The request's line and the line of the socket event it emitted share its request id.
    assert access["request_id"] == "trace-4f1c2a9e77" and access["status"] == 201
    assert access["user_id"] == world.staff.id and access["ids"] == {"shipment_id": sid}
    assert emitted["event"] == "message" and emitted["room"] == f"shipment:{sid}"
    # A client's socket event: its own request id on its line and on the event it emitted.
    assert socket_send["outcome"] == "ok" and socket_send["user_id"] == world.agent.id
    assert socket_emitted["user_id"] == world.agent.id
    assert login["status"] in (302, 303) and login["request_id"]
    every = _lines(log)
    assert every and all("request_id" in line and "user_id" in line for line in every)

    # The mention's email is sent by the worker: its line carries the request's id.
    worker = _worker_once(database_url, tmp_path, {})
    assert worker.returncode == 0, worker.stderr
    worker_lines = [json.loads(raw) for raw in worker.stderr.splitlines() if raw.startswith("{")]
    attempts = [line for line in worker_lines if line["message"] == "email attempt recorded"]
    assert any(line["request_id"] == "trace-4f1c2a9e77" and line["kind"] == "mention" and line["outcome"] == "sent"
               for line in attempts), attempts

    # Never a password, a token or a message body.
    text = log.read_text() + worker.stderr
    for secret in (PASSWORD, token, "7f3a-confidential", "socket secret body 91b2"):
        assert secret not in text, secret


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_metrics_are_summed_across_processes_sharing_the_folder(app, world, database_url, tmp_path):
    from tests.notifications.conftest import add_rows

    add_rows(4)
    detach_world(world)
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    sid = world.shipment.id
    with LiveServer(database_url, env=env) as server:
        clients = [ThreadClient(server.url, world.tokens[who]).connect() for who in ("staff", "agent")]
        try:
            for client in clients:
                assert client.join(sid)["ok"]
            assert clients[0].send(sid, "counted")["ok"]
            # The email worker, another process, writes into the same folder.
            worker = _worker_once(database_url, tmp_path, env)
            assert worker.returncode == 0, worker.stderr
            exposition = requests.get(server.url + "/metrics", timeout=10).text
            assert sample(exposition, "hub_sockets_connected") == 2
            assert sample(exposition, "hub_socketio_events_total", event="join", outcome="ok") == 2
            assert sample(exposition, "hub_socketio_events_total", event="send", outcome="ok") == 1
            assert sample(exposition, "hub_messages_posted_total", channel="web") == 1
            assert sample(exposition, "hub_emails_sent_total") == 4  # counted in the worker's process
        finally:
            for client in clients:
                client.disconnect()
        server.restart()
        exposition = requests.get(server.url + "/metrics", timeout=10).text
        assert sample(exposition, "hub_sockets_connected") == 0  # the old process's sockets are gone
        assert sample(exposition, "hub_socketio_events_total", event="join", outcome="ok") == 2  # totals stay
        assert sample(exposition, "hub_emails_sent_total") == 4


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_serve_and_worker_refuse_a_database_the_migrations_do_not_match(app, database_url, tmp_path):
    from flask_migrate import downgrade

    from tests.conftest import make_app

    copy = tmp_path / "old.sqlite3"
    url = f"sqlite:///{copy}"
    old = make_app(url, tmp_path / "old")
    with old.app_context():
        from alembic.script import ScriptDirectory
        from flask_migrate import upgrade

        from hub.extensions import db

        scripts = ScriptDirectory(str(ROOT / "migrations"))
        head = scripts.get_current_head()
        previous = scripts.get_revision(head).down_revision
        upgrade(directory=str(ROOT / "migrations"))
        downgrade(directory=str(ROOT / "migrations"), revision=previous)
        db.engine.dispose()
    server = LiveServer(url)
    with pytest.raises(RuntimeError) as refused:
        server.start(timeout=20)
    assert f"migration revision {previous}" in str(refused.value) and f"needs revision {head}" in str(refused.value)
    assert server.process is not None and server.process.returncode == 1
    worker = _worker_once(url, tmp_path, {})
    assert worker.returncode == 1
    assert f"migration revision {previous}" in worker.stderr and "db upgrade" in worker.stderr
    empty = _worker_once(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, {})
    assert empty.returncode == 1 and "no migration revision" in empty.stderr
