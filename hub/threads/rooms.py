"""Socket rooms of shipment threads: joining, presence, and evicting a removed participant.

A socket that joins shipment S enters two rooms: `shipment:S` (every thread event is emitted
there) and `shipment:S:user:U` (its membership, one per user and shipment). Evicting user U
from S closes the membership room; each server process, on handling that close, first takes
the membership room's sockets out of `shipment:S`. With `SOCKETIO_MESSAGE_QUEUE` the close
travels through the same Redis channel as every emit, so it reaches every process, and in
order: an event emitted after the eviction never reaches the removed user.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from socketio.pubsub_manager import PubSubManager
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.extensions import db, socketio
from hub.realtime import shipment_room

NAMESPACE = "/"
_MEMBERSHIP_PREFIX = "member:"
_EVICTIONS = "hub_thread_evictions"


def membership_room(shipment_id: int, user_id: int) -> str:
    """The room of one user's sockets joined to one shipment."""
    return f"{_MEMBERSHIP_PREFIX}{shipment_id}:{user_id}"


def _parse_membership(room: object) -> tuple[int, int] | None:
    if not isinstance(room, str) or not room.startswith(_MEMBERSHIP_PREFIX):
        return None
    shipment, _, user = room[len(_MEMBERSHIP_PREFIX):].partition(":")
    try:
        return int(shipment), int(user)
    except ValueError:
        return None


# --- presence -----------------------------------------------------------------------------


class LocalPresence:
    """Who has a socket joined to each shipment, for one server process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[int, dict[str, int]] = {}

    def add(self, shipment_id: int, sid: str, user_id: int) -> None:
        """Record a joined socket."""
        with self._lock:
            self._sockets.setdefault(shipment_id, {})[sid] = user_id

    def remove(self, shipment_id: int, sid: str) -> None:
        """Forget a socket that left or disconnected."""
        with self._lock:
            sockets = self._sockets.get(shipment_id, {})
            sockets.pop(sid, None)
            if not sockets:
                self._sockets.pop(shipment_id, None)

    def remove_user(self, shipment_id: int, user_id: int) -> None:
        """Forget every socket of an evicted user."""
        with self._lock:
            sockets = self._sockets.get(shipment_id, {})
            for sid in [s for s, u in sockets.items() if u == user_id]:
                del sockets[sid]

    def online(self, shipment_id: int) -> list[int]:
        """Ids of users with at least one joined socket, ascending."""
        with self._lock:
            return sorted(set(self._sockets.get(shipment_id, {}).values()))


class RedisPresence:
    """Presence shared by every process of a deployment, in one Redis hash per shipment
    (field: socket id, value: user id). Entries of a process that died without cleaning up
    expire with the hash a day after the last join.

    Best effort: while Redis does not answer, joins, leaves and sends go on (each process
    keeps serving its own sockets) and `online` is empty; the next change after Redis is
    back announces presence again."""

    TTL_S = 24 * 3600

    def __init__(self, url: str) -> None:
        import redis

        # Short timeouts: a Redis that hangs must not hold up a join for long.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    @staticmethod
    def _key(shipment_id: int) -> str:
        return f"hub:presence:{shipment_id}"

    def _unavailable(self, what: str, exc: BaseException) -> None:
        logging.getLogger(__name__).warning("presence: Redis unavailable (%s): %s", what, exc.__class__.__name__)

    def add(self, shipment_id: int, sid: str, user_id: int) -> None:
        """Record a joined socket."""
        try:
            pipe = self._redis.pipeline()
            pipe.hset(self._key(shipment_id), sid, user_id)
            pipe.expire(self._key(shipment_id), self.TTL_S)
            pipe.execute()
        except self._errors as exc:
            self._unavailable("add", exc)

    def remove(self, shipment_id: int, sid: str) -> None:
        """Forget a socket that left or disconnected."""
        try:
            self._redis.hdel(self._key(shipment_id), sid)
        except self._errors as exc:
            self._unavailable("remove", exc)

    def remove_user(self, shipment_id: int, user_id: int) -> None:
        """Forget every socket of an evicted user."""
        try:
            entries = self._redis.hgetall(self._key(shipment_id))
            sids = [sid for sid, uid in entries.items() if int(uid) == user_id]
            if sids:
                self._redis.hdel(self._key(shipment_id), *sids)
        except self._errors as exc:
            self._unavailable("remove_user", exc)

    def online(self, shipment_id: int) -> list[int]:
        """Ids of users with at least one joined socket, ascending (none while Redis is away)."""
        try:
            return sorted({int(uid) for uid in self._redis.hvals(self._key(shipment_id))})
        except self._errors as exc:
            self._unavailable("online", exc)
            return []


presence: LocalPresence | RedisPresence = LocalPresence()

# The shipments each socket of this process has joined (sockets live in one process).
_joined: dict[str, set[int]] = {}
_joined_lock = threading.Lock()


def join(sid: str, shipment_id: int, user_id: int) -> None:
    """Put a socket in the shipment's room and membership room, and announce presence."""
    socketio.server.enter_room(sid, shipment_room(shipment_id), namespace=NAMESPACE)
    socketio.server.enter_room(sid, membership_room(shipment_id, user_id), namespace=NAMESPACE)
    with _joined_lock:
        _joined.setdefault(sid, set()).add(shipment_id)
    presence.add(shipment_id, sid, user_id)
    announce_presence(shipment_id)


def leave(sid: str, shipment_id: int, user_id: int) -> None:
    """Take a socket out of the shipment's rooms and announce presence."""
    socketio.server.leave_room(sid, shipment_room(shipment_id), namespace=NAMESPACE)
    socketio.server.leave_room(sid, membership_room(shipment_id, user_id), namespace=NAMESPACE)
    with _joined_lock:
        _joined.get(sid, set()).discard(shipment_id)
    presence.remove(shipment_id, sid)
    announce_presence(shipment_id)


def disconnected(sid: str) -> None:
    """Forget a closed socket; the shipments it had joined learn who is still online."""
    with _joined_lock:
        shipments = _joined.pop(sid, set())
    for shipment_id in shipments:
        presence.remove(shipment_id, sid)
        announce_presence(shipment_id)


def joined(sid: str, shipment_id: int) -> bool:
    """Whether this socket has joined the shipment (and was not evicted since)."""
    with _joined_lock:
        return shipment_id in _joined.get(sid, set())


#: Presence changes of a shipment within this many seconds go out as one `presence` event:
#: a burst of joins (a page reload of many users, a server restart) costs one emit each, not
#: one per join to every socket already in the room (which grows as joins squared).
PRESENCE_COALESCE_S = 0.5
_presence_due: set[int] = set()
_presence_lock = threading.Lock()


def announce_presence(shipment_id: int) -> None:
    """Emit `presence` `{"shipment_id", "online": [user ids]}` to the shipment's room, soon."""
    with _presence_lock:
        if shipment_id in _presence_due:
            return
        _presence_due.add(shipment_id)
    socketio.start_background_task(_announce_later, shipment_id)


def _announce_later(shipment_id: int) -> None:
    socketio.sleep(PRESENCE_COALESCE_S)
    with _presence_lock:
        _presence_due.discard(shipment_id)
    try:
        socketio.server.emit(
            "presence", {"shipment_id": shipment_id, "online": presence.online(shipment_id)},
            to=shipment_room(shipment_id), namespace=NAMESPACE,
        )
    except Exception:  # noqa: BLE001  (presence is best effort; the next change announces again)
        import logging

        logging.getLogger(__name__).exception("could not announce presence of shipment %s", shipment_id)


# --- eviction -----------------------------------------------------------------------------


def evict_after_commit(shipment_id: int, user_id: int) -> None:
    """Once the current transaction commits, take the user's sockets out of the shipment's
    room in every server process; they receive nothing more from it."""
    session = db.session()
    session.info.setdefault(_EVICTIONS, []).append((shipment_id, user_id))


def evict(shipment_id: int, user_id: int) -> None:
    """Take the user's sockets out of the shipment's room now, in every server process."""
    room = membership_room(shipment_id, user_id)
    manager = socketio.server.manager
    if isinstance(manager, PubSubManager):
        # Handled here and, through the queue, by every other process (see `install`).
        manager.close_room(room, namespace=NAMESPACE)
    else:
        _evict_local(manager, shipment_id, user_id)
        manager.close_room(room, NAMESPACE)
    presence.remove_user(shipment_id, user_id)
    announce_presence(shipment_id)


def _evict_local(manager: Any, shipment_id: int, user_id: int) -> None:
    sids = [sid for sid, _eio_sid in manager.get_participants(NAMESPACE, membership_room(shipment_id, user_id))]
    for sid in sids:
        manager.basic_leave_room(sid, NAMESPACE, shipment_room(shipment_id))
        with _joined_lock:
            _joined.get(sid, set()).discard(shipment_id)
        if isinstance(presence, LocalPresence):
            presence.remove(shipment_id, sid)


def _run_evictions(session: Session) -> None:
    pending = session.info.pop(_EVICTIONS, None)
    for shipment_id, user_id in pending or ():
        try:
            evict(shipment_id, user_id)
        except Exception:  # noqa: BLE001  (the removal is committed; log, never undo it)
            import logging

            logging.getLogger(__name__).exception("could not evict user %s from shipment %s", user_id, shipment_id)


event.listen(Session, "after_commit", _run_evictions)
event.listen(Session, "after_soft_rollback", lambda session, _tx: session.info.pop(_EVICTIONS, None))


def install(app: Flask) -> None:
    """Bind presence and eviction to this app's Socket.IO server (called by `register`)."""
    global presence
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    presence = RedisPresence(queue) if queue.startswith(("redis://", "rediss://")) else LocalPresence()
    manager = socketio.server.manager
    if isinstance(manager, PubSubManager) and not getattr(manager, "hub_eviction_installed", False):
        handle_close_room = manager._handle_close_room

        def _handle_close_room(message: dict[str, Any]) -> None:
            # Every process handles every close_room published on the queue (and its own);
            # a membership room's close first evicts its sockets from the shipment's room.
            membership = _parse_membership(message.get("room"))
            if membership is not None:
                _evict_local(manager, *membership)
            handle_close_room(message)

        manager._handle_close_room = _handle_close_room
        manager.hub_eviction_installed = True
