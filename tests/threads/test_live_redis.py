"""Two server processes with the Redis message queue (SOCKETIO_MESSAGE_QUEUE) on PostgreSQL
(and SQLite for the ordering):
they deliver to each other's clients, in seq order even when both take posts for the same
shipment at once; a background process emits to rooms; an eviction reaches every process."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tests.live import LiveServer
from tests.services import redis_url
from tests.threads.conftest import ThreadClient


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_processes_deliver_to_each_others_clients(two_servers, world, tmp_path, database_url):
    one, two = two_servers
    sid = world.shipment.id
    ana = ThreadClient(one.url, world.tokens["staff"]).connect()
    li = ThreadClient(two.url, world.tokens["agent"]).connect()
    jonas = ThreadClient(two.url, world.tokens["broker"]).connect()
    try:
        for client in (ana, li, jonas):
            assert client.join(sid)["ok"]
        assert ana.send(sid, "from process one")["ok"]
        assert li.send(sid, "from process two")["ok"]
        for client in (ana, li, jonas):
            client.wait_for(lambda c=client: c.arrivals == [1, 2])
        ana.wait_for(lambda: any(name == "presence" and set(data["online"]) >= {world.staff.id, world.agent.id,
                                                                                  world.broker.id}
                                 for name, data in list(ana.events)))
        li.call("typing", {"shipment_id": sid})
        ana.wait_for(lambda: any(name == "typing" and data["user"]["id"] == world.agent.id for name, data in list(ana.events)))

        # A REST post on one process reaches the sockets of the other.
        posted = requests.post(f"{one.url}/api/v1/shipments/{sid}/messages", json={"body": "over REST"},
                               headers={"Authorization": f"Bearer {world.tokens['admin']}"}, timeout=10)
        assert posted.status_code == 201
        li.wait_for(lambda: li.arrivals == [1, 2, 3])

        # A background process (no server of its own) emits to the room through Redis.
        from hub.shipment_tx import shipment_transaction
        from hub.threads.services import add_message
        from tests.conftest import make_app

        worker = make_app(database_url, tmp_path, SOCKETIO_MESSAGE_QUEUE=redis_url())
        with worker.app_context():
            with shipment_transaction(sid) as shipment:
                add_message(shipment, None, "Customs system notice", kind="system")
            from hub.extensions import db

            db.session.remove()
        for client in (ana, li):
            client.wait_for(lambda c=client: 4 in c.arrivals)
        assert li.messages[sid][4]["author"] is None and li.messages[sid][4]["kind"] == "system"

        # Jonas (on process two) is removed through process one: he gets nothing more.
        removed = requests.delete(f"{one.url}/api/v1/shipments/{sid}/participants/{world.broker.id}",
                                  headers={"Authorization": f"Bearer {world.tokens['staff']}"}, timeout=10)
        assert removed.status_code == 204
        for i in range(3):
            assert ana.send(sid, f"after the removal {i}")["ok"]
        li.wait_for(lambda: li.arrivals[-1] == 7)
        assert jonas.arrivals == [1, 2, 3, 4]
    finally:
        for client in (ana, li, jonas):
            client.disconnect()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_concurrent_posts_on_two_processes_reach_every_socket_in_seq_order(two_servers, world):
    """Both processes assign, commit and emit for the same shipment at once; the lock held
    across commit and emit (PostgreSQL: advisory lock; SQLite: a file lock beside the database)
    keeps every socket's events in seq order."""
    one, two = two_servers
    sid = world.shipment.id
    watchers = [ThreadClient(server.url, world.tokens["observer"]).connect() for server in (one, two)]
    senders_per_server, per_sender = 4, 40
    total = 2 * senders_per_server * per_sender
    failures: list[str] = []

    def post(server: LiveServer, who: str) -> None:
        with requests.Session() as http:
            for i in range(per_sender):
                answer = http.post(f"{server.url}/api/v1/shipments/{sid}/messages",
                                   json={"body": f"{who} {i}", "client_id": str(uuid.uuid4())},
                                   headers={"Authorization": f"Bearer {world.tokens[who]}"}, timeout=30)
                if answer.status_code != 201:
                    failures.append(answer.text)

    try:
        for watcher in watchers:
            assert watcher.join(sid)["ok"]
        threads = [threading.Thread(target=post, args=(server, who))
                   for server in (one, two) for who in ("staff", "agent", "broker", "admin")[:senders_per_server]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not failures, failures[:3]
        for watcher in watchers:
            watcher.wait_for(lambda w=watcher: len(w.arrivals) >= total, timeout=30)
            assert watcher.arrivals == list(range(1, total + 1))
    finally:
        for watcher in watchers:
            watcher.disconnect()
