"""Socket rooms of shipment threads: joining, presence, and evicting a removed participant.

A socket that joins shipment S enters two rooms: `shipment:S` (every thread event is emitted
there) and `shipment:S:user:U` (its membership, one per user and shipment). Evicting user U
from S closes the membership room; each server process, on handling that close, first takes
the membership room's sockets out of `shipment:S` (the client manager calls `_room_closing`,
see `hub.realtime.RoomClosing`). With `SOCKETIO_MESSAGE_QUEUE` the close travels through the
same Redis channel as every emit, so it reaches every process, and in order: an event emitted
after the eviction never reaches the removed user.

What a process knows of its sockets (presence, joined shipments) is the app's own
(`SocketRooms`, in `app.extensions["hub"]`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from flask import Flask

from hub.accounts.security import SocketCredential
from hub.extensions import socketio
from hub.realtime import NAMESPACE, browser_room, disconnect_room, shipment_room, token_room, user_room
from hub.shipment_tx import Step, after_commit, hub_state

_MEMBERSHIP_PREFIX = "member:"
_log = logging.getLogger(__name__)


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


#: Presence changes of a shipment within this many seconds go out as one `presence` event:
#: a burst of joins (a page reload of many users, a server restart) costs one emit each, not
#: one per join to every socket already in the room (which grows as joins squared).
PRESENCE_COALESCE_S = 0.5


#: When a process re-reads socket credentials, it reads those of the sockets heard from within
#: this many seconds, at most CREDENTIALS_PER_READ in one read (two statements): a read of a
#: thousand took 7 ms on SQLite and 30 ms on PostgreSQL, in which no other socket of the process
#: was served, once a period; the credentials beyond the cap are read by the next events due.
CREDENTIALS_RECENT_S = 60.0
CREDENTIALS_PER_READ = 100


class CheckedCredentials:
    """Socket credentials this process read and found valid, each until a deadline: a socket
    event within SOCKET_AUTH_RECHECK_S of the last read of its credential reads nothing. When
    one has run out, the credentials of the sockets heard from recently whose trust runs out
    soon are read again with it (a few reads of at most CREDENTIALS_PER_READ a period for the
    whole process, not one per event; one each for sockets connecting one after another). The
    close of an access room (the broadcast of an ended session, revoked token or deactivation)
    forgets the affected entries at once; a process that missed the broadcast (the queue away)
    reads the credential again once its deadline passes, and refuses it then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: One re-read at a time: the events that find their credential stale meanwhile wait
        #: for it instead of each reading the same credentials again.
        self.reading = threading.Lock()
        self._until: dict[SocketCredential, float] = {}
        self._heard: dict[SocketCredential, float] = {}
        #: The reads made, oldest first: (their deadline, the credentials they found valid).
        #: Only batching uses it (which credentials to take along); `_until` alone says what is
        #: fresh, so a credential read again since, or forgotten, is simply passed over.
        self._reads: deque[tuple[float, list[SocketCredential]]] = deque()

    def fresh(self, key: SocketCredential, now: float) -> bool:
        """Whether `key` (user id, "session" or "token", generation or token id) was found
        valid recently enough; notes that its socket was heard from."""
        self._heard[key] = now
        return self._until.get(key, 0.0) > now

    def to_read(self, key: SocketCredential, now: float, period: float) -> list[SocketCredential]:
        """`key` and the other credentials heard from within CREDENTIALS_RECENT_S whose trust
        ends within half a `period` (the most recently heard first, CREDENTIALS_PER_READ in
        all; the rest stay due, for the next reads); forgets the ones not heard from since.
        Credentials read less than half a period ago are left for later: while sockets keep
        connecting (a restart's reconnections), each new one would otherwise read every other
        again, n reads of up to n credentials. The cost is that of the credentials due, not of
        every socket of the process, and no one read holds up the process for long."""
        soon = now + period / 2
        due: list[SocketCredential] = []
        taken = {key}
        with self._lock:
            while self._reads and self._reads[0][0] <= soon:
                for other in self._reads.popleft()[1]:
                    if other in taken or self._until.get(other, soon + 1) > soon:
                        continue  # the one asking, already taken, read again since, or forgotten
                    taken.add(other)
                    if now - self._heard.get(other, now) > CREDENTIALS_RECENT_S:
                        del self._until[other]  # quiet for long: its next event reads it alone
                        self._heard.pop(other, None)
                        continue
                    due.append(other)
            # The most recently heard first. Those beyond the cap stay due, first in line for
            # the next read (the next event whose credential runs out): a process's thousand
            # sockets are read in a few small reads, each as short as a send, instead of one
            # long one that every other socket waits behind. A socket gone meanwhile is
            # forgotten once a read finds it quiet for CREDENTIALS_RECENT_S.
            due.sort(key=self._heard.__getitem__, reverse=True)
            taken_now, left = due[:CREDENTIALS_PER_READ - 1], due[CREDENTIALS_PER_READ - 1:]
            if left:
                self._reads.appendleft((now, left))
        return [key, *taken_now]

    def remember(self, keys: Iterable[SocketCredential], valid: set[SocketCredential], until: float) -> None:
        """`keys` were just read: trust the `valid` ones until `until` (monotonic seconds) and
        forget the others (their next event reads them again, and is refused)."""
        with self._lock:
            trusted = []
            for key in keys:
                if key in valid:
                    self._until[key] = until
                    trusted.append(key)
                else:
                    self._until.pop(key, None)
                    self._heard.pop(key, None)
            if trusted:
                self._reads.append((until, trusted))

    def forget_room(self, room: str) -> None:
        """An access room closes: forget what it ended (a user's everything, their browser
        sessions, or one token)."""
        kind, _, raw = room.partition(":")
        try:
            number = int(raw)
        except ValueError:
            return
        with self._lock:
            for key in list(self._until):
                user_id, credential, value = key
                if (kind == "user" and user_id == number) or (kind == "browser" and user_id == number
                                                             and credential == "session") \
                        or (kind == "token" and credential == "token" and value == number):
                    del self._until[key]


class SocketRooms:
    """One app's sockets: presence, the shipments each socket joined, presence announcements
    due, and the socket credentials recently checked."""

    def __init__(self, presence: LocalPresence | RedisPresence) -> None:
        self.presence = presence
        self.credentials = CheckedCredentials()
        # The shipments each socket of this process has joined (sockets live in one process).
        self.joined: dict[str, set[int]] = {}
        self.joined_lock = threading.Lock()
        self.presence_due: set[int] = set()
        self.presence_lock = threading.Lock()

    def forget_joined(self, sid: str, shipment_id: int) -> None:
        """The socket is no longer in the shipment's room."""
        with self.joined_lock:
            self.joined.get(sid, set()).discard(shipment_id)


def _rooms() -> SocketRooms:
    return hub_state().rooms


def checked_credentials() -> CheckedCredentials:
    """This app's cache of socket credentials found valid (per process)."""
    return _rooms().credentials


def join(sid: str, shipment_id: int, user_id: int) -> None:
    """Put a socket in the shipment's room and membership room, and announce presence."""
    rooms = _rooms()
    socketio.server.enter_room(sid, shipment_room(shipment_id), namespace=NAMESPACE)
    socketio.server.enter_room(sid, membership_room(shipment_id, user_id), namespace=NAMESPACE)
    with rooms.joined_lock:
        rooms.joined.setdefault(sid, set()).add(shipment_id)
    rooms.presence.add(shipment_id, sid, user_id)
    announce_presence(shipment_id)


def leave(sid: str, shipment_id: int, user_id: int) -> None:
    """Take a socket out of the shipment's rooms and announce presence."""
    rooms = _rooms()
    socketio.server.leave_room(sid, shipment_room(shipment_id), namespace=NAMESPACE)
    socketio.server.leave_room(sid, membership_room(shipment_id, user_id), namespace=NAMESPACE)
    rooms.forget_joined(sid, shipment_id)
    rooms.presence.remove(shipment_id, sid)
    announce_presence(shipment_id)


def disconnected(sid: str) -> None:
    """Forget a closed socket; the shipments it had joined learn who is still online."""
    rooms = _rooms()
    with rooms.joined_lock:
        shipments = rooms.joined.pop(sid, set())
    for shipment_id in shipments:
        rooms.presence.remove(shipment_id, sid)
        announce_presence(shipment_id)


def joined(sid: str, shipment_id: int) -> bool:
    """Whether this socket has joined the shipment (and was not evicted since)."""
    rooms = _rooms()
    with rooms.joined_lock:
        return shipment_id in rooms.joined.get(sid, set())


def online(shipment_id: int) -> list[int]:
    """Ids of users with a socket joined to the shipment, ascending."""
    return _rooms().presence.online(shipment_id)


def announce_presence(shipment_id: int) -> None:
    """Emit `presence` `{"shipment_id", "online": [user ids]}` to the shipment's room, soon."""
    rooms = _rooms()
    with rooms.presence_lock:
        if shipment_id in rooms.presence_due:
            return
        rooms.presence_due.add(shipment_id)
    socketio.start_background_task(_announce_later, rooms, shipment_id)


def _announce_later(rooms: SocketRooms, shipment_id: int) -> None:
    socketio.sleep(PRESENCE_COALESCE_S)
    with rooms.presence_lock:
        rooms.presence_due.discard(shipment_id)
    try:
        socketio.server.emit(
            "presence", {"shipment_id": shipment_id, "online": rooms.presence.online(shipment_id)},
            to=shipment_room(shipment_id), namespace=NAMESPACE,
        )
    except Exception:  # noqa: BLE001  (presence is best effort; the next change announces again)
        _log.exception("could not announce presence of shipment %s", shipment_id)


# --- eviction -----------------------------------------------------------------------------


def evict_after_commit(shipment_id: int, user_id: int) -> None:
    """Once the current transaction commits (after its room events), take the user's sockets
    out of the shipment's room in every server process; they receive nothing more from it."""
    after_commit(Step.MEMBERSHIP, lambda: evict(shipment_id, user_id))


def evict(shipment_id: int, user_id: int) -> None:
    """Take the user's sockets out of the shipment's room now, in every server process."""
    # The client manager evicts the membership room's sockets here and, through the queue,
    # in every other process before it closes the room (`_room_closing`).
    socketio.server.manager.close_room(membership_room(shipment_id, user_id), NAMESPACE)
    _rooms().presence.remove_user(shipment_id, user_id)
    announce_presence(shipment_id)


def _evict_local(rooms: SocketRooms, manager: Any, shipment_id: int, user_id: int) -> None:
    for sid, _eio_sid in list(manager.get_participants(NAMESPACE, membership_room(shipment_id, user_id))):
        manager.basic_leave_room(sid, NAMESPACE, shipment_room(shipment_id))
        rooms.forget_joined(sid, shipment_id)
        if isinstance(rooms.presence, LocalPresence):
            rooms.presence.remove(shipment_id, sid)


def on_participant_removed(shipment: Any, *, user_id: int, **_: Any) -> None:
    """A participant removed from a shipment loses its room once the removal commits."""
    evict_after_commit(shipment.id, user_id)


def on_access_ended(user: Any, *, token_id: int | None = None, sessions: bool = False,
                    everything: bool = False, **_: Any) -> None:
    """Once the change that ended a user's access commits, their affected sockets are
    disconnected on every server process."""
    if everything:
        ending = [user_room(user.id)]
    else:
        ending = ([browser_room(user.id)] if sessions else []) + ([token_room(token_id)] if token_id else [])
    for room in ending:
        after_commit(Step.MEMBERSHIP, lambda room=room: disconnect_room(room))


def install(app: Flask) -> None:
    """Give the app its socket rooms and bind evictions to its Socket.IO client manager."""
    from hub.signals import access_ended, participant_removed

    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    presence = RedisPresence(queue) if queue.startswith(("redis://", "rediss://")) else LocalPresence()
    rooms = app.extensions["hub"].rooms = SocketRooms(presence)
    manager = socketio.server.manager

    def room_closing(room: str) -> None:
        membership = _parse_membership(room)
        if membership is not None:
            _evict_local(rooms, manager, *membership)
        elif room.startswith(("user:", "browser:", "token:")):
            rooms.credentials.forget_room(room)

    manager.on_room_closing = room_closing
    participant_removed.connect(on_participant_removed, weak=False)
    access_ended.connect(on_access_ended, weak=False)
