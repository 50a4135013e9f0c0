"""Redis (a throwaway redis-server on its own port) stopped under two server processes: each
keeps serving its own clients and says `degraded` in /readyz; when Redis is back, delivery
across processes resumes by itself, and a client catches up what it missed with `join`."""

from __future__ import annotations

import time

import pytest
import requests

from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, detach_world


def _ready(server: LiveServer) -> dict:
    answer = requests.get(server.url + "/readyz", timeout=10)
    assert answer.status_code == 200, answer.text  # degraded is not down: still in the pool
    return answer.json()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_redis_stopped_each_process_serves_its_own_then_delivery_resumes_and_join_catches_up(
        app, world, database_url, throwaway_redis):
    detach_world(world)
    sid = world.shipment.id
    env = {"SOCKETIO_MESSAGE_QUEUE": throwaway_redis.url}
    one, two = LiveServer(database_url, env=env), LiveServer(database_url, env=env)
    clients: list[ThreadClient] = []
    try:
        one.start(), two.start()
        ana = ThreadClient(one.url, world.tokens["staff"]).connect()        # sends on process one
        olga = ThreadClient(one.url, world.tokens["observer"]).connect()    # watches on process one
        li = ThreadClient(two.url, world.tokens["agent"]).connect()         # sends on process two
        jonas = ThreadClient(two.url, world.tokens["broker"]).connect()     # watches on process two
        clients += [ana, olga, li, jonas]
        for client in clients:
            assert client.join(sid)["ok"]
        assert ana.send(sid, "before the outage")["ok"]
        for client in clients:
            client.wait_for(lambda c=client: c.seqs(sid) == [1])
        assert _ready(one)["status"] == _ready(two)["status"] == "ok"

        throwaway_redis.stop()
        for server in (one, two):
            report = _ready(server)
            assert report["status"] == "degraded" and report["checks"]["redis"]["status"] == "degraded", report
        # Each process keeps serving its own clients: sends are acknowledged, and a socket on
        # the same process receives them live.
        during_one = [ana.send(sid, f"one during the outage {i}") for i in range(3)]
        during_two = [li.send(sid, f"two during the outage {i}") for i in range(3)]
        assert all(answer["ok"] for answer in during_one + during_two), during_one + during_two
        seqs_one = [a["message"]["seq"] for a in during_one]
        seqs_two = [a["message"]["seq"] for a in during_two]
        olga.wait_for(lambda: set(seqs_one) <= set(olga.arrivals))
        jonas.wait_for(lambda: set(seqs_two) <= set(jonas.arrivals))
        rest = requests.get(f"{two.url}/api/v1/shipments/{sid}/messages", timeout=10,
                            headers={"Authorization": f"Bearer {world.tokens['broker']}"})
        assert rest.status_code == 200 and len(rest.json()["messages"]) == 7

        throwaway_redis.start()  # same port: the processes reconnect by themselves
        deadline = time.monotonic() + 60
        resumed = None
        while resumed is None:
            assert time.monotonic() < deadline, "cross-process delivery did not resume"
            answer = ana.send(sid, "after the outage")
            assert answer["ok"], answer
            seq = answer["message"]["seq"]
            try:
                jonas.wait_for(lambda s=seq: s in jonas.arrivals, timeout=1.5)
                resumed = seq
            except AssertionError:
                continue
        li.wait_for(lambda: resumed in li.arrivals)
        for server in (one, two):
            assert _ready(server)["status"] == "ok"

        # What process two's clients missed from process one is caught up by join.
        missed = set(seqs_one) - set(jonas.arrivals)
        assert missed, "the outage cut cross-process delivery"
        for client in (li, jonas):
            answer = client.join(sid, after_seq=1)
            assert answer["ok"] and not answer["more"]
            assert client.seqs(sid) == list(range(1, resumed + 1))
            assert not client.duplicates
        for client in (ana, olga):
            assert client.join(sid, after_seq=1)["ok"]
            assert client.seqs(sid) == list(range(1, resumed + 1))
    finally:
        for client in clients:
            client.disconnect()
        for server in (one, two):
            server.stop()
            print(f"--- {server.url} ---\n{server.log_tail(30)}")
