"""Socket.IO handlers of the thread (default namespace): thin, parse, authorize, call the
service, answer through the acknowledgement callback.

Every client event is answered `{"ok": true, ...}` or `{"ok": false, "error": {"code",
"message"}}` with the API's error codes; never silence, never a stack trace.

A joining socket enters the room *before* the catch-up is read, so nothing committed in between
is missed; a message may then arrive both in the `join` answer and as a `message` event, and an
event may arrive before the answer: clients merge by `seq`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from sqlalchemy.exc import OperationalError

from hub.accounts.models import SignedInUser, User, signed_in_user
from hub.accounts.security import touch_token, user_for_token, valid_socket_credentials
from hub.database import reads_only
from hub.errors import N_, Forbidden, HubError, MalformedRequest, RateLimited, Unauthorized, ValidationFailed
from hub.extensions import db, socketio
from hub.payload import MAX_ID
from hub.permissions import Action, can, get_shipment_for, signed_in_user_authorized_on
from hub.realtime import browser_room, shipment_room, token_room, user_room
from hub.request_context import socket_event_context
from hub.signals import socket_connected, socket_disconnected, socket_event_handled
from hub.threads import rooms, services

_SESSION_USER = "hub_socket_user_id"
_SESSION_READ_ONLY = "hub_socket_read_only"
#: What the socket authenticated with: ("session", session generation) or ("token", token id).
_SESSION_CREDENTIAL = "hub_socket_credential"
_FLOOD_WINDOW = "hub_socket_flood_window"
_FLOOD_STRIKES = "hub_socket_flood_strikes"


def _socket_user() -> SignedInUser:
    """The user this socket authenticated as at connect, if still active (read for every event,
    so a deactivation or a change of role or organization counts at once)."""
    user_id = session.get(_SESSION_USER)
    user = signed_in_user(user_id) if user_id is not None else None
    if user is None or not user.active:
        raise Unauthorized(N_("Sign in again."))
    return user


def _writable() -> None:
    """A socket opened with a read-only token reads; it sends, types and marks nothing."""
    if session.get(_SESSION_READ_ONLY):
        raise Forbidden(N_("This API token is read-only."))


def _socket_user_allowed(shipment_id: int, action: Action) -> SignedInUser:
    """`_socket_user`, authorized to `action` the shipment, in the same single query (`typing`,
    which every open thread sends most, with `send`)."""
    user_id = session.get(_SESSION_USER)
    access = signed_in_user_authorized_on(user_id, shipment_id, action) if user_id is not None else None
    if access is None:
        raise Unauthorized(N_("Sign in again."))
    return access.user


def _acknowledged(handler: Callable[..., dict[str, Any]] | None = None, *,
                  reads: bool = False) -> Any:
    """Answer `{"ok": true, ...}` or the error object; roll back whatever a failure left.
    `reads=True`: the event only reads, so on SQLite it never queues behind a writer.
    Every event is announced through `socket_event_handled` with its outcome."""
    if handler is None:
        return functools.partial(_acknowledged, reads=reads)
    name = handler.__name__.removeprefix("on_")

    @functools.wraps(handler)
    def wrapper(payload: Any = None, *_extra: Any) -> dict[str, Any]:
        with socket_event_context(name, request.sid, session.get(_SESSION_USER)), \
                reads_only() if reads else nullcontext():
            answer = _answer(handler, payload)
            outcome = "ok" if answer["ok"] else answer["error"]["code"]
            socket_event_handled.send(name, outcome=outcome)
            return answer

    return wrapper


def _answer(handler: Callable[..., dict[str, Any]], payload: Any) -> dict[str, Any]:
    try:
        _still_signed_in()
        _flood_guard()
        return {"ok": True} | handler(payload)
    except HubError as exc:
        db.session.rollback()
        return {"ok": False, "error": _refusal(exc)}
    except OperationalError as exc:
        db.session.rollback()
        # A line per event, no traceback: an outage fails every event the same way.
        current_app.logger.warning("database unavailable in socket event %s: %s", handler.__name__,
                                   str(exc).splitlines()[0][:200])
        return {"ok": False, "error": {"code": "unavailable",
                                       "message": "The database is unavailable for the moment; try again."}}
    except Exception:
        db.session.rollback()
        current_app.logger.exception("unhandled error in socket event %s", handler.__name__)
        return {"ok": False, "error": {"code": "internal_error", "message": "Something went wrong on our side."}}
def _refusal(exc: HubError) -> dict[str, Any]:
    """The error of a refused event: in the user's language on a browser's socket (its page shows
    it), in English on a token's. The language is the user's, read from the database: while it
    is away, English."""
    credential = session.get(_SESSION_CREDENTIAL)
    try:
        return exc.to_dict(localized=bool(credential) and credential[0] == "session")
    except OperationalError:
        db.session.rollback()
        return exc.to_dict()


def _still_signed_in() -> None:
    """Every event re-checks the credential the socket connected with (the session's generation,
    the token, the user being active), not only the disconnect an ended session broadcasts: a
    socket that missed that broadcast (the queue was away) can do nothing. A credential found
    valid is trusted for SOCKET_AUTH_RECHECK_S in this process; when it runs out, the
    credentials of every socket recently heard from are read again at once, so the send path
    stays one read shorter. The broadcast forgets a credential at once. An ended credential
    closes the socket."""
    user_id, credential = session.get(_SESSION_USER), session.get(_SESSION_CREDENTIAL)
    if user_id is None or not credential:
        raise Unauthorized(N_("Sign in again."))
    key = (user_id, credential[0], credential[1])
    checked = rooms.checked_credentials()
    if checked.fresh(key, time.monotonic()):
        return
    recheck_s = current_app.config["SOCKET_AUTH_RECHECK_S"]
    with checked.reading:
        now = time.monotonic()
        if checked.fresh(key, now):  # read by another event while this one waited
            return
        keys = checked.to_read(key, now, recheck_s) if recheck_s > 0 else [key]
        valid = valid_socket_credentials(keys)
        if recheck_s > 0:  # else nothing is trusted: every event reads its own
            checked.remember(keys, valid, now + recheck_s)
    if key not in valid:
        socketio.server.disconnect(request.sid, namespace=rooms.NAMESPACE)
        raise Unauthorized(N_("Your session has ended; sign in again."))


def _flood_guard() -> None:
    """A socket sending more than SOCKET_EVENTS_PER_S events a second is slowed (each extra
    event waits, then is refused `rate_limited`), and disconnected after
    SOCKET_FLOOD_DISCONNECT_AFTER refused events; other sockets are not touched. Counted in
    the socket's own session (a socket lives in one process)."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return
    now = time.monotonic()
    started, count = session.get(_FLOOD_WINDOW, (now, 0))
    if now - started >= 1.0:
        started, count = now, 0
    session[_FLOOD_WINDOW] = (started, count + 1)
    if count + 1 <= config["SOCKET_EVENTS_PER_S"]:
        return
    strikes = session[_FLOOD_STRIKES] = session.get(_FLOOD_STRIKES, 0) + 1
    if strikes > config["SOCKET_FLOOD_DISCONNECT_AFTER"]:
        socketio.server.disconnect(request.sid, namespace=rooms.NAMESPACE)
        raise RateLimited(N_("Too many events: disconnected."))
    socketio.sleep(min(1.0, 0.01 * strikes))  # slowed: the flood's own acknowledgements wait
    raise RateLimited(N_("Too many events; slow down."), retry_after=1)


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise MalformedRequest("The payload must be an object.")
    return payload


def _shipment_id(payload: dict[str, Any]) -> int:
    value = payload.get("shipment_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise MalformedRequest("shipment_id must be a positive integer.", fields={"shipment_id": "must be a positive integer"})
    return value


def _seq(payload: dict[str, Any], name: str, default: int | None = None) -> int:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise ValidationFailed(f"{name} must be a non-negative integer.", fields={name: "must be a non-negative integer"})
    return value


def on_connect(auth: Any = None) -> None:
    """Accept a signed-in browser (session cookie; Engine.IO checks its Origin against
    PUBLIC_BASE_URL) or `auth={"token": "<API token>"}`; refuse anything else."""
    user: User | None = None
    token = auth.get("token") if isinstance(auth, dict) else None
    access_room = None
    if token is not None:
        found = user_for_token(token) if isinstance(token, str) else None
        if found is None:
            raise ConnectionRefusedError("The API token is not valid.", {"code": "unauthorized"})
        user = found[0]
        access_room = token_room(found[1].id)
        session[_SESSION_CREDENTIAL] = ("token", found[1].id)
        session[_SESSION_READ_ONLY] = found[1].scope == "read"
        touch_token(found[1])
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        access_room = browser_room(user.id)
        session[_SESSION_CREDENTIAL] = ("session", user.session_generation or 0)
    if user is None or not user.active or access_room is None:
        raise ConnectionRefusedError("Sign in, or connect with auth={\"token\": \"<API token>\"}.", {"code": "unauthorized"})
    session[_SESSION_USER] = user.id
    # Rooms closed when the access ends (token revoked, logout, password reset, deactivation).
    socketio.server.enter_room(request.sid, user_room(user.id), namespace=rooms.NAMESPACE)
    socketio.server.enter_room(request.sid, access_room, namespace=rooms.NAMESPACE)
    socket_connected.send(request.sid, user_id=user.id)


def on_disconnect(*_args: Any) -> None:
    """A closed socket leaves presence."""
    rooms.disconnected(request.sid)
    socket_disconnected.send(request.sid)


@_acknowledged(reads=True)
def on_join(payload: Any) -> dict[str, Any]:
    """`{"shipment_id", "after_seq"}`: enter the room; answer the messages after `after_seq`."""
    data = _object(payload)
    shipment_id = _shipment_id(data)
    after_seq = _seq(data, "after_seq", 0)
    user = _socket_user()
    get_shipment_for(user, shipment_id)
    rooms.join(request.sid, shipment_id, user.id)
    # Checked again in a fresh transaction: a removal that committed while we joined and whose
    # eviction ran before our enter_room must not leave this socket in the room.
    db.session.rollback()
    shipment = db.session.get(services.Shipment, shipment_id)
    if shipment is None or not can(user, Action.VIEW, shipment):
        rooms.leave(request.sid, shipment_id, user.id)
        raise services.NotFound("Shipment not found.")
    messages, more = services.messages_after(shipment, after_seq, services.JOIN_CATCH_UP_LIMIT)
    return {"messages": [m.to_dict() for m in messages], "more": more}


@_acknowledged
def on_send(payload: Any) -> dict[str, Any]:
    """`{"shipment_id", "body", "client_id"}`: post a message; answer it."""
    data = _object(payload)
    shipment_id = _shipment_id(data)
    _writable()
    client_id = services.check_client_id(data.get("client_id"))
    checked = services.check_send_message_by_id(session.get(_SESSION_USER), shipment_id, data.get("body"), client_id,
                                                via="web")
    message, _created = services.do_send_message(checked)
    return {"message": services.message_object(message)}


@_acknowledged(reads=True)
def on_typing(payload: Any) -> dict[str, Any]:
    """`{"shipment_id"}`: tell the room's other sockets this user is typing."""
    shipment_id = _shipment_id(_object(payload))
    _writable()
    user = _socket_user_allowed(shipment_id, Action.POST_MESSAGE)
    socketio.server.emit(
        "typing", {"shipment_id": shipment_id, "user": user.summary()},
        to=shipment_room(shipment_id), skip_sid=request.sid, namespace=rooms.NAMESPACE,
    )
    return {}


@_acknowledged
def on_read(payload: Any) -> dict[str, Any]:
    """`{"shipment_id", "seq"}`: the user has read up to `seq`; the room gets `read`."""
    data = _object(payload)
    shipment_id = _shipment_id(data)
    seq = _seq(data, "seq")
    _writable()
    user = _socket_user()
    state = services.mark_read(user, shipment_id, seq)
    return {"seq": state["last_read_seq"], "unread_count": state["unread_count"]}


@_acknowledged(reads=True)
def on_leave(payload: Any) -> dict[str, Any]:
    """`{"shipment_id"}`: stop receiving the shipment's events."""
    shipment_id = _shipment_id(_object(payload))
    user = _socket_user()
    get_shipment_for(user, shipment_id)  # hidden is not_found, for every event under a shipment
    if rooms.joined(request.sid, shipment_id):
        rooms.leave(request.sid, shipment_id, user.id)
    return {}


def register_socket_handlers() -> None:
    """Attach the handlers to the Socket.IO server of the app being created: `init_app` makes
    a new server for each app, and Flask-SocketIO keeps handlers registered on an existing
    server for that server only."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    for name, handler in (("join", on_join), ("send", on_send), ("typing", on_typing),
                          ("read", on_read), ("leave", on_leave)):
        socketio.on_event(name, handler)
