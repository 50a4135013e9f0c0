"""Concurrent senders on PostgreSQL: 8 threads x 200 messages to one shipment give seq 1..1600
with no gap and no duplicate, and `last_seq` agrees."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from hub.shipments.models import Shipment
from hub.threads.models import Message
from hub.threads.services import send_message

THREADS = 8
PER_THREAD = 200


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_senders_get_gapless_unique_seqs(app, world):
    sid = world.shipment.id
    senders = [world.staff.id, world.agent.id, world.broker.id, world.admin.id]
    db.session.commit()
    start = threading.Barrier(THREADS)
    acknowledged: list[int] = []
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, senders[n % len(senders)])
                start.wait()
                for i in range(PER_THREAD):
                    message, created = send_message(user, sid, f"thread {n} message {i}", str(uuid.uuid4()), via="api")
                    assert created
                    acknowledged.append(message.seq)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures[:3]

    total = THREADS * PER_THREAD
    seqs = db.session.scalars(select(Message.seq).where(Message.shipment_id == sid).order_by(Message.seq)).all()
    assert seqs == list(range(1, total + 1))
    assert sorted(acknowledged) == list(range(1, total + 1))
    assert db.session.get(Shipment, sid, populate_existing=True).last_seq == total
    # Each thread's own messages kept their order.
    rows = db.session.execute(select(Message.body, Message.seq).where(Message.shipment_id == sid)).all()
    for n in range(THREADS):
        mine = sorted((int(body.rsplit(" ", 1)[1]), seq) for body, seq in rows if body.startswith(f"thread {n} "))
        assert [seq for _i, seq in mine] == sorted(seq for _i, seq in mine)
