"""PostgreSQL restarted under load (a throwaway cluster on its own port): meanwhile requests
answer 503 `unavailable` and sockets get error acknowledgements, never a 500; once it is back
the same server process serves again (pool pre-ping), and every acknowledged message is stored
exactly once (a write answered `unavailable` is resent with its client_id)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import psycopg
import requests

from tests.live import LiveServer
from tests.operations.conftest import build_small_world
from tests.operations.helpers import wait_until
from tests.threads.conftest import ThreadClient


class Load:
    """A socket sender and a REST sender, each writing with client_ids until stopped."""

    def __init__(self, url: str, tokens: dict[str, str], shipment_id: int) -> None:
        self.url, self.tokens, self.shipment_id = url, tokens, shipment_id
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, str, str, float]] = []  # (channel, outcome, client_id, when)
        self.acked: dict[str, dict[str, Any]] = {}
        self.refused: dict[str, str] = {}  # client_id -> body, answered unavailable
        self.socket = ThreadClient(url, tokens["agent"]).connect()
        self.threads = [threading.Thread(target=self._socket_sends), threading.Thread(target=self._rest_sends)]

    def _record(self, channel: str, outcome: str, client_id: str, body: str, message: Any = None) -> None:
        with self.lock:
            self.outcomes.append((channel, outcome, client_id, time.monotonic()))
            if outcome == "ok":
                self.acked[client_id] = message
            elif outcome == "unavailable":
                self.refused[client_id] = body

    def _socket_sends(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            client_id, body = str(uuid.uuid4()), f"socket {n}"
            answer = self.socket.call("send", {"shipment_id": self.shipment_id, "body": body, "client_id": client_id},
                                      timeout=20)
            outcome = "ok" if answer["ok"] else answer["error"]["code"]
            self._record("socket", outcome, client_id, body, answer.get("message"))
            time.sleep(0.01)

    def _rest_sends(self) -> None:
        n = 0
        with requests.Session() as http:
            while not self.stop.is_set():
                n += 1
                client_id, body = str(uuid.uuid4()), f"rest {n}"
                try:
                    answer = http.post(f"{self.url}/api/v1/shipments/{self.shipment_id}/messages",
                                       json={"body": body, "client_id": client_id},
                                       headers={"Authorization": f"Bearer {self.tokens['staff']}"}, timeout=20)
                except requests.RequestException as exc:
                    self._record("rest", f"no answer: {exc.__class__.__name__}", client_id, body)
                    continue
                if answer.status_code == 201:
                    self._record("rest", "ok", client_id, body, answer.json())
                else:
                    error = answer.json()["error"]["code"] if answer.headers.get("Content-Type") == "application/json" \
                        else answer.text[:100]
                    self._record("rest", f"{error} {answer.status_code}", client_id, body)
                time.sleep(0.01)

    def start(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        self.socket.disconnect()

    def summary(self, since: float = 0.0) -> Counter:
        with self.lock:
            return Counter((c, o) for c, o, _cid, at in self.outcomes if at >= since)

    def count(self, channel: str, outcome: str, since: float = 0.0) -> int:
        with self.lock:
            return sum(1 for c, o, _cid, at in self.outcomes if c == channel and o == outcome and at >= since)


def test_postgres_restarted_under_load_answers_503_meanwhile_and_recovers_without_a_restart(
        throwaway_postgres, tmp_path):
    database_url = throwaway_postgres.create_database("hub_faults")
    world = build_small_world(database_url, tmp_path)
    sid = world.shipment_id
    with LiveServer(database_url) as server:
        pid = server.process.pid
        load = Load(server.url, world.tokens, sid).start()
        try:
            wait_until(lambda: load.count("socket", "ok") >= 10 and load.count("rest", "ok") >= 10, 30, "load")
            throwaway_postgres.stop()
            down_since = time.monotonic()
            wait_until(lambda: load.count("socket", "unavailable", down_since) >= 3
                  and load.count("rest", "unavailable 503", down_since) >= 3, 30,
                  lambda: f"the outage to be answered: {load.summary(down_since)}\n{server.log_tail(30)}")
            ready = requests.get(server.url + "/readyz", timeout=10)
            assert ready.status_code == 503 and ready.json()["status"] == "down", ready.text
            assert ready.json()["checks"]["database"]["status"] == "down"
            assert requests.get(server.url + "/healthz", timeout=10).status_code == 200

            throwaway_postgres.start()
            up_since = time.monotonic()
            wait_until(lambda: load.count("socket", "ok", up_since) >= 5 and load.count("rest", "ok", up_since) >= 5,
                  30, "recovery without a restart")
            assert requests.get(server.url + "/readyz", timeout=10).json()["status"] == "ok"
        finally:
            load.finish()
        assert server.process.pid == pid and server.process.poll() is None  # the same process throughout

        outcomes = Counter((channel, outcome) for channel, outcome, _cid, _at in load.outcomes)
        # Only two answers ever: done, or unavailable for the moment.
        assert set(outcomes) <= {("socket", "ok"), ("socket", "unavailable"), ("rest", "ok"),
                                 ("rest", "unavailable 503")}, outcomes

        # A client resends what was refused, with the same client_id: stored once whatever
        # the refused attempt did (a COMMIT cut by the restart may have gone through).
        again = ThreadClient(server.url, world.tokens["agent"]).connect()
        try:
            for client_id, body in load.refused.items():
                token = world.tokens["agent"] if body.startswith("socket") else world.tokens["staff"]
                if body.startswith("socket"):
                    answer = again.call("send", {"shipment_id": sid, "body": body, "client_id": client_id})
                    assert answer["ok"], answer
                    load.acked[client_id] = answer["message"]
                else:
                    answer = requests.post(f"{server.url}/api/v1/shipments/{sid}/messages",
                                           json={"body": body, "client_id": client_id},
                                           headers={"Authorization": f"Bearer {token}"}, timeout=20)
                    assert answer.status_code in (200, 201), answer.text
                    load.acked[client_id] = answer.json()
        finally:
            again.disconnect()

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        stored = conn.execute("SELECT client_id, id, seq FROM messages WHERE shipment_id = %s ORDER BY seq",
                              (sid,)).fetchall()
    assert [seq for _cid, _id, seq in stored] == list(range(1, len(stored) + 1))  # no gap, no repeat
    assert Counter(cid for cid, _id, _seq in stored) == Counter(list(load.acked))  # each acknowledged one once
    assert {cid: (mid, seq) for cid, mid, seq in stored} == {cid: (m["id"], m["seq"]) for cid, m in load.acked.items()}
