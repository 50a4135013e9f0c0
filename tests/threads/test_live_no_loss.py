"""No message lost: a client that drops while others keep sending catches up with `after_seq`
and ends with every message exactly once, in order, also across a server restart; every
acknowledged message is in the database."""

from __future__ import annotations

import threading

from sqlalchemy import select

from hub.extensions import db
from hub.threads.models import Message
from tests.threads.conftest import ThreadClient


def _send_many(client: ThreadClient, shipment_id: int, prefix: str, count: int, acked: list) -> threading.Thread:
    def run() -> None:
        for i in range(count):
            answer = client.send(shipment_id, f"{prefix} {i}")
            assert answer["ok"], answer
            acked.append(answer["message"])

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _reconnect(url: str, token: str, shipment_id: int, previous: ThreadClient) -> tuple[ThreadClient, dict]:
    """A fresh connection that keeps what `previous` held and joins after its last seq."""
    client = ThreadClient(url, token).connect()
    client.messages = {shipment_id: dict(previous.messages.get(shipment_id, {}))}
    after = previous.last_seq(shipment_id)
    answer = client.join(shipment_id, after_seq=after)
    assert answer["ok"], answer
    caught_up = [m["seq"] for m in answer["messages"]]
    assert caught_up == sorted(set(caught_up)) and all(s > after for s in caught_up)  # once each, in order
    return client, answer


def test_a_dropped_client_catches_up_exactly_once_also_after_a_restart(world, live_server, connect):
    sid = world.shipment.id
    ana = connect(world.tokens["staff"])
    li = connect(world.tokens["agent"])
    jonas = ThreadClient(live_server.url, world.tokens["broker"]).connect()
    for client in (ana, li, jonas):
        assert client.join(sid)["ok"]
    acked: list[dict] = [ana.send(sid, "first")["message"]]
    jonas.wait_for(lambda: jonas.seqs(sid) == [1])

    # Jonas drops; two others keep sending concurrently.
    jonas.disconnect()
    senders = [_send_many(ana, sid, "ana", 25, acked), _send_many(li, sid, "li", 25, acked)]
    for sender in senders:
        sender.join()
    jonas, _ = _reconnect(live_server.url, world.tokens["broker"], sid, jonas)
    # Live traffic right after the catch-up is merged too.
    _send_many(ana, sid, "after", 5, acked).join()
    jonas.wait_for(lambda: jonas.last_seq(sid) == 56)
    assert jonas.seqs(sid) == list(range(1, 57))
    assert len({m["id"] for m in jonas.messages[sid].values()}) == 56

    # Jonas drops again, more is sent, and the server process restarts before he is back.
    jonas.disconnect()
    _send_many(li, sid, "before restart", 10, acked).join()
    ana.disconnect()
    li.disconnect()
    live_server.restart()
    ana = ThreadClient(live_server.url, world.tokens["staff"]).connect()
    try:
        assert ana.join(sid, after_seq=66)["messages"] == []
        _send_many(ana, sid, "after restart", 10, acked).join()
        jonas, answer = _reconnect(live_server.url, world.tokens["broker"], sid, jonas)
        try:
            assert [m["seq"] for m in answer["messages"]] == list(range(57, 77))
            assert jonas.seqs(sid) == list(range(1, 77))
            bodies = [jonas.messages[sid][s]["body"] for s in range(1, 77)]
            assert bodies[-1] == "after restart 9" and bodies[56] == "before restart 0"
        finally:
            jonas.disconnect()
    finally:
        ana.disconnect()

    # Every acknowledged message is in the database, with the seq it was acknowledged with.
    stored = {m.id: m.seq for m in db.session.scalars(select(Message).where(Message.shipment_id == sid))}
    db.session.rollback()
    assert len(acked) == 76
    assert {m["id"]: m["seq"] for m in acked} == stored
    assert sorted(stored.values()) == list(range(1, 77))


def test_a_resend_with_the_same_client_id_after_reconnecting_creates_nothing(world, live_server, connect):
    sid = world.shipment.id
    li = connect(world.tokens["agent"])
    assert li.join(sid)["ok"]
    first = li.send(sid, "sent once", "6b0c1b1e-9b4f-4b8f-9d7e-2f1f5a0c9e11")
    li.disconnect()
    again = connect(world.tokens["agent"])
    second = again.send(sid, "sent once", "6B0C1B1E-9B4F-4B8F-9D7E-2F1F5A0C9E11")  # same UUID, other spelling
    assert second == first and first["message"]["seq"] == 1
    assert again.join(sid)["messages"] == [first["message"]]
