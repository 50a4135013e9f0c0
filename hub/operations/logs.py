"""Structured logs: one JSON object per line on standard error (`HUB_LOG_FORMAT=text`: plain
lines for development), each with the request id of its unit of work and the user id where
known. What is logged is named fields, never a request's body, a password or a token: an
access line names the route pattern (`/reset/<token>`), not the path that holds the token."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect as sa_inspect

from hub.request_context import (
    accepted_request_id,
    begin_unit,
    current_fields,
    current_request_id,
    current_user_id,
    end_unit,
    set_user_id,
)

access_log = logging.getLogger("hub.access")
socket_log = logging.getLogger("hub.socket")

#: Attributes of every LogRecord: not extra fields.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
#: Extra fields whose value is never written, whatever a caller passes.
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|cookie|api_key|body", re.IGNORECASE)
#: A bearer token or SendGrid key inside a message text (a library's error, say).
_SECRET_TEXT = re.compile(r"(Bearer\s+)[^\s\"']+|SG\.[A-Za-z0-9_.-]+", re.IGNORECASE)
_HANDLER_MARK = "hub_operations_handler"


def _scrub_text(text: str) -> str:
    return _SECRET_TEXT.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _RECORD_ATTRIBUTES or key.startswith("_") or key in ("request_id", "user_id"):
            continue
        fields[key] = "[redacted]" if _SECRET_KEYS.search(key) else value
    return fields


class ContextFilter(logging.Filter):
    """Stamps each record with the unit of work's request id, user id and fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id`, `user_id` and the unit's fields (a record's own extras win)."""
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "user_id"):
            record.user_id = current_user_id()
            if record.user_id is None and has_request_context():
                try:
                    record.user_id = _signed_in_user_id()
                except Exception:  # noqa: BLE001  (a log line never fails its caller)
                    record.user_id = None
        for key, value in current_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, user_id, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line, secrets scrubbed."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _scrub_text(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        line |= _extra_fields(record)
        if record.exc_info:
            line["exception"] = _scrub_text(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Development: `time level logger [request id user] message key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one readable line (plus a traceback), secrets scrubbed."""
        fields = " ".join(f"{k}={v}" for k, v in _extra_fields(record).items())
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        text = (f"{when} {record.levelname:<7} {record.name} [{getattr(record, 'request_id', None) or '-'} "
                f"user={getattr(record, 'user_id', None) or '-'}] {_scrub_text(record.getMessage())} {fields}").rstrip()
        if record.exc_info:
            text += "\n" + _scrub_text(self.formatException(record.exc_info))
        return text


def configure_logging(log_format: str) -> None:
    """Send the process's logs to standard error in `json` or `text`, at INFO (once per
    process; a later call changes only the format)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _HANDLER_MARK, True)
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(TextFormatter() if log_format == "text" else JsonFormatter())
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    # python-socketio's and engineio's own chatter stays at warnings.
    for noisy in ("socketio", "engineio", "socketio.server", "engineio.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def install_request_logging(app: Flask) -> None:
    """A request id per request (the caller's X-Request-ID when plausible), answered in
    X-Request-ID; one access line per request with route, status, duration and user."""
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)  # the root handler writes app.logger's lines too

    def _begin_request() -> None:
        g.hub_started = time.perf_counter()
        g.hub_log_tokens = begin_unit(accepted_request_id(request.headers.get("X-Request-ID")))

    # First of all before-request hooks: lines logged while a bearer token is looked up carry
    # the id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)

    @app.after_request
    def _answer_request_id(response: Any) -> Any:
        request_id = current_request_id()
        if request_id is not None and "hub_log_tokens" in g:
            response.headers["X-Request-ID"] = request_id
            user = current_user_id() or _signed_in_user_id()
            set_user_id(user)
            access_log.info("request", extra={
                "method": request.method, "route": _route(), "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.hub_started) * 1000, 2),
                "ids": {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int)},
            })
        return response

    @app.teardown_request
    def _end_request(_exc: BaseException | None) -> None:
        tokens = g.pop("hub_log_tokens", None)
        if tokens is not None:
            end_unit(tokens)


def _signed_in_user_id() -> int | None:
    """The request's user when authentication already ran. Never touches the database (a
    log line about a lost database must not need it): the id from the object's identity."""
    user = g.get("_login_user")
    if user is None:
        return None
    state = sa_inspect(user, raiseerr=False)
    if state is not None:
        return state.identity[0] if state.identity else None
    value = getattr(user, "id", None)  # a SignedInUser: plain attributes
    return value if isinstance(value, int) else None


def log_socket_event(event: str, outcome: str) -> None:
    """One line per answered client socket event (inside the event's unit of work)."""
    socket_log.info("socket event", extra={"event": event, "outcome": outcome})
