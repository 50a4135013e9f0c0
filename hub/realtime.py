"""Real-time events: queued during a transaction, emitted to Socket.IO rooms after it commits."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.extensions import db, socketio

_PENDING = "hub_pending_events"
_log = logging.getLogger("hub.socket")
#: Where Flask-SocketIO keeps a socket's own session (a copy of the cookie session at connect).
_SOCKET_SESSION = "saved_session"


class SocketSessionInterface(SecureCookieSessionInterface):
    """The cookie session, except for a Socket.IO event: Flask-SocketIO gives each event its
    socket's own session instead, so the cookie need not be verified again for every event."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """The socket's session when there is one, else the signed cookie's."""
        socket_session = request.environ.get(_SOCKET_SESSION)
        if socket_session is not None:
            return socket_session
        return super().open_session(app, request)


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
            # The event's name and room only: never its payload (a message's body).
            _log.info("socket event emitted", extra={"event": event_name, "room": room})
        except Exception:  # an emit failure must not undo a committed write
            current_app.logger.exception("could not emit %s to %s", event_name, room)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


event.listen(Session, "after_commit", _emit_pending)
event.listen(Session, "after_soft_rollback", lambda session, _tx: _drop_pending(session))
