"""What every log line of a unit of work carries: its request id (an HTTP request, a socket
event, a worker job) and the user id where known. Context variables, so each greenlet or
thread has its own."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("hub_request_id", default=None)
_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("hub_user_id", default=None)
_fields: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("hub_log_fields", default={})  # noqa: B039

#: An incoming X-Request-ID is kept when it looks like an id (a proxy's, a client's), else replaced.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def accepted_request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is a plausible id, else a fresh one."""
    return incoming if incoming and _ACCEPTABLE_ID.match(incoming) else new_request_id()


def current_request_id() -> str | None:
    """The request id of the unit of work running here (None outside any)."""
    return _request_id.get()


def current_user_id() -> int | None:
    """The signed-in user's id of the unit of work, when known."""
    return _user_id.get()


def current_fields() -> dict[str, Any]:
    """Extra fields every log line of the unit of work carries (socket sid, outbox id, ...)."""
    return _fields.get()


def set_user_id(user_id: int | None) -> None:
    """Remember the user of the current unit of work (once authentication found them)."""
    _user_id.set(user_id)


def begin_unit(request_id: str, user_id: int | None = None, **fields: Any) -> list[contextvars.Token[Any]]:
    """Start a unit of work in the current context; `end_unit` with the answer restores it."""
    return [_request_id.set(request_id), _user_id.set(user_id), _fields.set(fields)]


def end_unit(tokens: list[contextvars.Token[Any]]) -> None:
    """Restore what `begin_unit` replaced."""
    request_token, user_token, fields_token = tokens
    _fields.reset(fields_token)
    _user_id.reset(user_token)
    _request_id.reset(request_token)


@contextmanager
def unit_of_work(request_id: str | None = None, user_id: int | None = None, **fields: Any) -> Iterator[str]:
    """A block with its own request id (fresh unless given) and fields; yields the id."""
    rid = request_id or new_request_id()
    tokens = begin_unit(rid, user_id, **fields)
    try:
        yield rid
    finally:
        end_unit(tokens)


def socket_event_context(event: str, sid: str, user_id: int | None) -> Any:
    """The unit of work of one client Socket.IO event: a fresh request id, the socket's user."""
    return unit_of_work(None, user_id, socket_event=event, sid=sid)
