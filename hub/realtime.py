"""Real-time events: queued during a transaction, emitted to Socket.IO rooms after it commits."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.extensions import db, socketio

_PENDING = "hub_pending_events"


def shipment_room(shipment_id: int) -> str:
    """The Socket.IO room of a shipment's thread."""
    return f"shipment:{shipment_id}"


def user_room(user_id: int) -> str:
    """A room holding every socket of one user (used to evict them from shipments)."""
    return f"user:{user_id}"


def emit_after_commit(event_name: str, payload: dict[str, Any], room: str) -> None:
    """Queue an event; it is emitted only if and when the current transaction commits."""
    session = db.session()
    session.info.setdefault(_PENDING, []).append((event_name, payload, room))


def _emit_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for event_name, payload, room in pending:
        try:
            socketio.emit(event_name, payload, to=room)
        except Exception:  # an emit failure must not undo a committed write
            current_app.logger.exception("could not emit %s to %s", event_name, room)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


event.listen(Session, "after_commit", _emit_pending)
event.listen(Session, "after_soft_rollback", lambda session, _tx: _drop_pending(session))
