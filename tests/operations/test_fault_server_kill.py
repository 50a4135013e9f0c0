"""The web server killed with SIGKILL while clients send with `client_id`s: after a restart
every acknowledged message is in the database exactly once, a resend of an unacknowledged
`client_id` is answered the original when it had committed (else stored once now), and a
reconnecting client's `join` with `after_seq` delivers every message exactly once."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from typing import Any

from sqlalchemy import select

from hub.extensions import db
from hub.threads.models import Message
from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, detach_world

SENDERS = ("staff", "agent", "broker")
KILL_AFTER_ACKS = 45


class Sender:
    """One user sending numbered messages with fresh client_ids until the connection dies."""

    def __init__(self, url: str, who: str, token: str, shipment_id: int) -> None:
        self.who, self.token, self.shipment_id = who, token, shipment_id
        self.client = ThreadClient(url, token).connect()
        self.acked: dict[str, dict[str, Any]] = {}  # client_id -> acknowledged message
        self.unacked: list[tuple[str, str]] = []  # (client_id, body) sent without an answer
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for i in range(10_000):
            client_id, body = str(uuid.uuid4()), f"{self.who} {i}"
            try:
                answer = self.client.call("send", {"shipment_id": self.shipment_id, "body": body,
                                                   "client_id": client_id}, timeout=3)
            except Exception:  # noqa: BLE001  (the server died under this send)
                self.unacked.append((client_id, body))
                return
            assert answer["ok"], answer
            self.acked[client_id] = answer["message"]


def _stored(shipment_id: int) -> list[Any]:
    """(id, seq, client_id) of the shipment's messages, read without holding a transaction."""
    rows = db.session.execute(select(Message.id, Message.seq, Message.client_id)
                              .where(Message.shipment_id == shipment_id).order_by(Message.seq)).all()
    db.session.rollback()
    return rows


def test_sigkill_mid_send_loses_no_acknowledged_message_and_delivers_each_once(app, world, database_url):
    detach_world(world)
    sid = world.shipment.id
    with LiveServer(database_url) as server:
        watcher = ThreadClient(server.url, world.tokens["observer"]).connect()
        assert watcher.join(sid)["ok"]
        senders = [Sender(server.url, who, world.tokens[who], sid) for who in SENDERS]
        for sender in senders:
            sender.thread.start()
        deadline = time.monotonic() + 60
        while sum(len(s.acked) for s in senders) < KILL_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(server.process.pid, signal.SIGKILL)  # gunicorn's master and its worker, mid-send
        server.process.wait(10)
        server.process = None
        for sender in senders:
            sender.thread.join(15)
            assert not sender.thread.is_alive()
            sender.client.disconnect()
        watcher.disconnect()
        acked = {cid: m for s in senders for cid, m in s.acked.items()}
        unacked = [(s, cid, body) for s in senders for cid, body in s.unacked]
        assert len(acked) >= KILL_AFTER_ACKS and unacked, "killed while sends were in flight"

        # Every acknowledged message survived, with the seq it was acknowledged with.
        before_restart = {m.client_id: m for m in _stored(sid)}
        for client_id, message in acked.items():
            assert before_restart[client_id].id == message["id"] and before_restart[client_id].seq == message["seq"]

        server.start()
        # Each sender resends what it got no answer for, with the same client_id.
        committed_unacked = 0
        for sender, client_id, body in unacked:
            again = ThreadClient(server.url, sender.token).connect()
            try:
                answer = again.call("send", {"shipment_id": sid, "body": body, "client_id": client_id})
            finally:
                again.disconnect()
            assert answer["ok"], answer
            if client_id in before_restart:  # it had committed: the original, not a second one
                committed_unacked += 1
                assert answer["message"]["id"] == before_restart[client_id].id
                assert answer["message"]["seq"] == before_restart[client_id].seq
            acked[client_id] = answer["message"]

        # The watcher reconnects and catches up after the last seq it had.
        last_seen = watcher.last_seq(sid)
        back = ThreadClient(server.url, world.tokens["observer"]).connect()
        try:
            back.messages = {sid: dict(watcher.messages.get(sid, {}))}
            answer = back.join(sid, after_seq=last_seen)
            assert answer["ok"] and not answer["more"], answer
            caught_up = [m["seq"] for m in answer["messages"]]
            assert caught_up == sorted(set(caught_up)) and all(seq > last_seen for seq in caught_up)
        finally:
            back.disconnect()

    stored = _stored(sid)
    total = len(acked)
    # Exactly once each: one row per client_id, seqs 1..n without gaps, the watcher holds each.
    assert sorted(m.client_id for m in stored) == sorted(acked)
    assert [m.seq for m in stored] == list(range(1, total + 1))
    assert back.seqs(sid) == list(range(1, total + 1))
    assert not back.duplicates and not watcher.duplicates
    assert {m["id"] for m in back.messages[sid].values()} == {m.id for m in stored}
    print(f"acknowledged {total - len(unacked)}, unacknowledged {len(unacked)} "
          f"(of which committed before the kill: {committed_unacked})")
