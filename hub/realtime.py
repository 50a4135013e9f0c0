"""Real-time events: queued during a transaction, emitted to Socket.IO rooms after it commits;
the Socket.IO client managers of the hub."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio as python_socketio
from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from hub.extensions import db, socketio
from hub.shipment_tx import Step, after_commit, events_through_queue, hub_state

_log = logging.getLogger("hub.socket")
#: Where Flask-SocketIO keeps a socket's own session (a copy of the cookie session at connect).
_SOCKET_SESSION = "saved_session"
NAMESPACE = "/"


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
    """A room holding every socket of one user (closed to disconnect them all)."""
    return f"user:{user_id}"


def browser_room(user_id: int) -> str:
    """A room holding the sockets a user's browser sessions opened (with the session cookie)."""
    return f"browser:{user_id}"


def token_room(token_id: int) -> str:
    """A room holding the sockets opened with one API token."""
    return f"token:{token_id}"


#: Closing one of these rooms disconnects its sockets (access ended), in every server process.
_DISCONNECTING_ROOMS = ("user:", "browser:", "token:")


def disconnect_room(room: str) -> None:
    """Disconnect every socket in `room` now, in this process and, through the message queue,
    in every other (the client manager disconnects them as it handles the room's close)."""
    socketio.server.manager.close_room(room, NAMESPACE)


def emit_after_commit(event_name: str, payload: dict[str, Any], room: str) -> None:
    """Queue an event; it is emitted only if and when the current transaction commits."""
    session = db.session()

    def deliver() -> None:
        if events_through_queue(session):
            publisher = _queue_publisher()
            publisher.emit(event_name, payload, namespace=NAMESPACE, room=room)
            if not publisher.hub_published:
                # The queue is away (python-socketio logged it and gave up): this server's own
                # sockets still get the event; the other servers' clients catch up by `join`.
                socketio.server.manager.emit(event_name, payload, namespace=NAMESPACE, room=room,
                                             ignore_queue=True)
        else:
            socketio.emit(event_name, payload, to=room)
        # The event's name and room only: never its payload (a message's body).
        _log.info("socket event emitted", extra={"event": event_name, "room": room})

    after_commit(Step.EMIT, deliver)


def _reporting(manager_class: type) -> type:
    """The queue manager's class, remembering whether its last publish reached the queue
    (python-socketio's Redis manager logs a failed publish and gives up without raising;
    its `_publish` answers None then, the number of receivers otherwise)."""

    class Reporting(manager_class):  # type: ignore[misc, valid-type]
        hub_published = True

        def _publish(self, data: Any) -> Any:
            result = super()._publish(data)
            self.hub_published = result is not None
            return result

    return Reporting


def _queue_publisher() -> Any:
    """A write-only client of the app's message queue, with its own host id, so this server's
    listener delivers what it publishes like any other server's (in the queue's order)."""
    state = hub_state()
    if state.queue_publisher is None:
        manager = socketio.server.manager
        state.queue_publisher = _reporting(type(manager))(current_app.config["SOCKETIO_MESSAGE_QUEUE"],
                                                          channel=manager.channel, write_only=True)
    return state.queue_publisher


# --- client managers ------------------------------------------------------------------------

#: Called with a room's name just before it is closed, in this process (see `RoomClosing`).
RoomClosingHook = Callable[[str], None]


class RoomClosing:
    """A manager that calls `on_room_closing(room)` before closing a room in this process: the
    thread area evicts a removed participant's sockets by closing their membership room, and
    forgets the checked credentials of an access room (user, browser, token) being closed."""

    on_room_closing: RoomClosingHook | None = None

    def _room_closing(self, room: object) -> None:
        if not isinstance(room, str):
            return
        if room.startswith(_DISCONNECTING_ROOMS):
            self._disconnect_local(room)
        if self.on_room_closing is not None:
            # The thread area evicts membership rooms and forgets the credentials an access room's
            # close ended (see hub.threads.rooms.install).
            self.on_room_closing(room)

    def _disconnect_local(self, room: str) -> None:
        """Disconnect this process's sockets in `room` (the queue carries the close to others)."""
        server = self.server  # type: ignore[attr-defined]
        for sid, _eio_sid in list(self.get_participants(NAMESPACE, room)):  # type: ignore[attr-defined]
            server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


class LocalManager(RoomClosing, python_socketio.Manager):
    """One process serves every socket."""

    def close_room(self, room: str, namespace: str) -> None:  # type: ignore[override]
        """Close a room of this process."""
        self._room_closing(room)
        super().close_room(room, namespace)


class _QueueRoomClosing(RoomClosing):
    """Several processes share a message queue: every process handles every close (its own
    and, through the queue, the others'), so a removal takes effect on all of them."""

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        self._room_closing(message.get("room"))
        super()._handle_close_room(message)  # type: ignore[misc]


class RedisQueueManager(_QueueRoomClosing, python_socketio.RedisManager):
    """Processes that share Redis."""


class KombuQueueManager(_QueueRoomClosing, python_socketio.KombuManager):
    """Processes that share another queue Kombu speaks to (RabbitMQ, ...)."""


def client_manager(app: Flask) -> Any:
    """The Socket.IO client manager for the app's settings (a new one per app)."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    if url.startswith(("redis://", "rediss://")):
        return RedisQueueManager(url, channel="flask-socketio")
    if url:
        return KombuQueueManager(url, channel="flask-socketio")
    return LocalManager()
