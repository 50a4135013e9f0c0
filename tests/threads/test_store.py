"""The thread store's fast statements write exactly the rows the plain ORM path writes, on
both backends: the message, the shipment's seq counter and the author's read mark."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hub.extensions import db
from hub.shipment_tx import thread_transaction
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads import store
from hub.threads.models import Message
from tests import factories


def _values(shipment_id: int, author_id: int | None, body: str, client_id: str | None) -> dict[str, Any]:
    return {"shipment_id": shipment_id, "author_id": author_id, "kind": "text", "body": body,
            "body_html": f"<p>{body}</p>", "client_id": client_id, "via": "api",
            "created_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "edited_at": None, "deleted_at": None}


def _rows(shipment_id: int) -> dict[str, Any]:
    """What a send leaves in the database, without ids (each shipment has its own)."""
    db.session.expire_all()
    shipment = db.session.get(Shipment, shipment_id)
    messages = db.session.scalars(select(Message).where(Message.shipment_id == shipment_id).order_by(Message.seq))
    marks = db.session.scalars(select(ShipmentParticipant).where(ShipmentParticipant.shipment_id == shipment_id)
                               .order_by(ShipmentParticipant.user_id))
    return {
        "last_seq": shipment.last_seq, "updated_at": shipment.updated_at,
        "messages": [(m.seq, m.author_id, m.kind, m.body, m.body_html, m.client_id, m.via, m.created_at,
                      m.edited_at, m.deleted_at) for m in messages],
        "read_marks": [(p.user_id, p.role, p.last_read_seq) for p in marks],
    }


def _send(write: Any, shipment_id: int, author: Any, body: str, client_id: str | None) -> Message:
    with thread_transaction(shipment_id):
        message = write(_values(shipment_id, author.id if author else None, body, client_id), author)
    return message


def test_fast_statements_write_the_rows_the_orm_writes(app, world):
    twin = factories.shipment(world.staff, "ACME-TWIN")
    factories.participant(twin, world.agent, "agent")
    factories.participant(twin, world.broker, "broker")
    factories.participant(twin, world.observer, "observer")
    script = [(world.agent, "first", "c1"), (world.staff, "second", None), (None, "system note", None),
              (world.broker, "third", "c3"), (world.agent, "fourth", "c4")]

    for author, body, client_id in script:
        fast = _send(store.write_message, world.shipment.id, author, body, client_id and f"{client_id}-fast")
        reference = _send(store.ReferenceStore.write_message, twin.id, author, body, client_id and f"{client_id}-ref")
        assert fast.seq == reference.seq

    fast_rows, reference_rows = _rows(world.shipment.id), _rows(twin.id)
    # Same rows but the client ids, which are unique per author.
    for rows in (fast_rows, reference_rows):
        rows["messages"] = [row[:5] + (row[5] and row[5].rsplit("-", 1)[0],) + row[6:] for row in rows["messages"]]
    assert fast_rows == reference_rows
    assert [row[0] for row in fast_rows["messages"]] == [1, 2, 3, 4, 5]
    # The author has read their own message; the observer has read nothing.
    marks = {user_id: seq for user_id, _role, seq in fast_rows["read_marks"]}
    assert marks[world.agent.id] == 5 and marks[world.broker.id] == 4 and marks[world.observer.id] == 0


def test_a_message_written_fast_is_in_the_session_as_if_loaded(app, world):
    message = _send(store.write_message, world.shipment.id, world.agent, "loaded", "c-loaded")
    assert db.session.get(Message, message.id) is message
    assert message.to_dict()["author"]["name"] == "Li Wei"
