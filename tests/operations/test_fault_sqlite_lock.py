"""A SQLite database locked by another process: a writer waits at most SQLITE_BUSY_TIMEOUT_S,
then answers 503 `unavailable` (a socket: an error acknowledgement) having written nothing;
reads, of this shipment and others, are served meanwhile; the server recovers by itself."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import requests
from sqlalchemy import select

from hub.extensions import db
from hub.threads.models import Message
from tests import factories
from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, detach_world

BUSY_TIMEOUT_S = 1.5

LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.rollback()
print("released", flush=True)
"""


class OtherProcessLock:
    """Another process holding the database's write lock until `release()`."""

    def __init__(self, path: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", LOCKER, path], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            assert self.process.stdout.readline().strip() == "released"
            self.process.wait(10)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_locked_database_answers_writers_503_in_time_serves_readers_and_recovers(app, world, database_url):
    other_shipment = factories.shipment(world.staff, "ACME-OTHER")
    factories.participant(other_shipment, world.agent, "agent")
    other_id = other_shipment.id
    detach_world(world)
    sid = world.shipment.id
    auth = {"Authorization": f"Bearer {world.tokens['staff']}"}
    with LiveServer(database_url, env={"SQLITE_BUSY_TIMEOUT_S": str(BUSY_TIMEOUT_S)}) as server:
        li = ThreadClient(server.url, world.tokens["agent"]).connect()
        try:
            acked = [li.send(sid, "before the lock")]
            assert acked[0]["ok"]
            lock = OtherProcessLock(database_url.removeprefix("sqlite:///"))
            try:
                # A REST writer and a socket writer, at once: each waits at most the timeout.
                rest: dict = {}

                def post() -> None:
                    started = time.monotonic()
                    answer = requests.post(f"{server.url}/api/v1/shipments/{sid}/messages",
                                           json={"body": "while locked (REST)"}, headers=auth, timeout=30)
                    rest.update(status=answer.status_code, body=answer.json(), took=time.monotonic() - started)

                poster = threading.Thread(target=post)
                poster.start()
                time.sleep(0.2)  # the REST writer is waiting now
                # Readers meanwhile: the thread, another shipment, a socket catch-up, readiness.
                for path in (f"/api/v1/shipments/{sid}/messages", f"/api/v1/shipments/{other_id}",
                             f"/api/v1/shipments/{other_id}/messages", "/readyz"):
                    started = time.monotonic()
                    answer = requests.get(server.url + path, headers=auth, timeout=10)
                    assert answer.status_code == 200, (path, answer.text)
                    assert time.monotonic() - started < 0.5, f"{path} waited behind the writer"
                started = time.monotonic()
                caught_up = li.join(sid)
                assert caught_up["ok"] and [m["body"] for m in caught_up["messages"]] == ["before the lock"]
                assert time.monotonic() - started < 0.5

                started = time.monotonic()
                refused = li.send(sid, "while locked (socket)")
                took = time.monotonic() - started
                assert refused["ok"] is False and refused["error"]["code"] == "unavailable", refused
                assert BUSY_TIMEOUT_S - 0.1 <= took < BUSY_TIMEOUT_S + 1.5, took
                poster.join(30)
                assert rest["status"] == 503 and rest["body"]["error"]["code"] == "unavailable", rest
                assert rest["took"] < BUSY_TIMEOUT_S + 1.5, rest
            finally:
                lock.release()

            # Recovered by itself: the same client and a REST caller write again.
            acked.append(li.send(sid, "after the lock"))
            assert acked[-1]["ok"], acked[-1]
            answer = requests.post(f"{server.url}/api/v1/shipments/{sid}/messages", json={"body": "REST again"},
                                   headers=auth, timeout=10)
            assert answer.status_code == 201, answer.text
        finally:
            li.disconnect()

    stored = db.session.execute(select(Message.seq, Message.body).where(Message.shipment_id == sid)
                                .order_by(Message.seq)).all()
    db.session.rollback()
    # Nothing of the refused writes was stored, and no seq was used up by them.
    assert [tuple(row) for row in stored] == [(1, "before the lock"), (2, "after the lock"), (3, "REST again")]
    assert [a["message"]["seq"] for a in acked] == [1, 2]
