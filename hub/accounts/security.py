"""Who is calling: session cookies for pages, bearer tokens for integrations; the API gate; CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import ColumnElement, Integer, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError

from hub.accounts.models import ApiToken, User
from hub.database import DriverStatement
from hub.errors import error_response
from hub.extensions import csrf, db, login_manager
from hub.i18n import N_
from hub.timestamps import utcnow

F = TypeVar("F", bound=Callable[..., Any])


def public_endpoint(view: F) -> F:
    """Mark an API view as open to anonymous callers (OpenAPI document, webhooks, token)."""
    view.hub_public = True  # type: ignore[attr-defined]
    return view


def issue_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; answers the row and the secret, shown only once."""
    secret = "hub_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, digest=ApiToken.digest_of(secret), name=name)
    db.session.add(token)
    return token, secret


def user_for_token(secret: str) -> tuple[User, ApiToken] | None:
    """The active user owning this token secret, if the token exists and has not expired."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(secret)))
    if token is None or not token.user.active or token.expired(utcnow()):
        return None
    return token.user, token


def user_for_session_id(session_id: str) -> User | None:
    """The active user a session or remember-me cookie names (`User.get_id`: "id:generation"),
    or None when it belongs to an ended session (logout, password change, deactivation)."""
    user_id, _, generation = session_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
        wanted = int(generation)
    except ValueError:
        return None
    if user is None or not user.active or (user.session_generation or 0) != wanted:
        return None
    return user


_users = User.__table__
_tokens = ApiToken.__table__
#: A socket's credential as it is now: its user's state and, for a token socket, its token.
# On the driver's cursor: a socket event may run it (see hub.database.DriverStatement).
_SOCKET_CREDENTIAL = DriverStatement(
    select(_users.c.active, _users.c.session_generation, _tokens.c.id.label("token_id"), _tokens.c.expires_at)
    .select_from(_users.outerjoin(_tokens, (_tokens.c.id == bindparam("b_token")) & (_tokens.c.user_id == _users.c.id)))
    .where(_users.c.id == bindparam("b_user"))
)


def socket_credential_valid(user_id: int, kind: str, value: int) -> bool:
    """Whether a socket's credential still holds, in one indexed read: the user is active and,
    for a browser socket (`kind` "session"), their session generation is still `value` (no
    logout, password change or reset since); for a token socket ("token"), token `value` is
    theirs, not revoked and not expired."""
    rows = _SOCKET_CREDENTIAL.rows(db.session.connection(),
                                   {"b_user": user_id, "b_token": value if kind == "token" else None})
    row = rows[0] if rows else None
    if row is None or not row.active:
        return False
    if kind == "session":
        return (row.session_generation or 0) == value
    return row.token_id is not None and (row.expires_at is None or row.expires_at > utcnow())


#: A socket credential: (user id, "session" or "token", session generation or token id).
SocketCredential = tuple[int, str, int]


def valid_socket_credentials(keys: Collection[SocketCredential]) -> set[SocketCredential]:
    """Which of these socket credentials still hold (as `socket_credential_valid` says), in one
    read of the users and one of the tokens however many there are: a process re-checks every
    socket it recently heard from at once instead of one read per event."""
    if len(keys) == 1:
        return {key for key in keys if socket_credential_valid(*key)}
    users = {row.id: row for row in db.session.execute(
        select(_users.c.id, _users.c.active, _users.c.session_generation)
        .where(_one_of(_users.c.id, {user_id for user_id, _, _ in keys}))).all()}
    token_ids = {value for _, kind, value in keys if kind == "token"}
    tokens = {row.id: row for row in db.session.execute(
        select(_tokens.c.id, _tokens.c.user_id, _tokens.c.expires_at).where(_one_of(_tokens.c.id, token_ids))).all()} \
        if token_ids else {}
    now = utcnow()
    valid: set[SocketCredential] = set()
    for key in keys:
        user_id, kind, value = key
        user = users.get(user_id)
        if user is None or not user.active:
            continue
        if kind == "session":
            if (user.session_generation or 0) == value:
                valid.add(key)
            continue
        token = tokens.get(value)
        if token is not None and token.user_id == user_id and (token.expires_at is None or token.expires_at > now):
            valid.add(key)
    return valid


def _one_of(column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter: a hundred ids bound and
    cast one by one cost twice the read."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def bearer_secret() -> str | None:
    """The token from `Authorization: Bearer ...`, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _user_from_bearer() -> User | None:
    """The user of the request's bearer token (remembered in `g.api_token`), or None."""
    secret = bearer_secret()
    found = user_for_token(secret) if secret else None
    if found is None:
        return None
    user, token = found
    g.api_token = token
    touch_token(token)
    return user


def touch_token(token: ApiToken) -> None:
    """Record the token's use (shown in its list), at most once a minute: a write per request
    would serialise readers on SQLite."""
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        try:
            db.session.commit()
        except OperationalError:
            # Best effort: a reader (GET) does not wait for the write lock another process or
            # request holds; the touch is left to a later request.
            db.session.rollback()
            if g.get("api_token") is not None:
                g.api_token = db.session.get(ApiToken, token.id)


def init_security(app: Flask) -> None:
    """Wire Flask-Login, bearer tokens, the API's 401 gate and CSRF checks."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = N_("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if bearer_secret() is not None:
            # A request carrying a token is that token's user, whatever cookie comes along.
            return _user_from_bearer()
        return user_for_session_id(user_id)

    @login_manager.request_loader
    def load_user_from_request(_request: Any) -> User | None:
        return _user_from_bearer() if bearer_secret() is not None else None

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        from flask import flash, redirect, url_for

        if request.path.startswith("/api/"):
            return error_response(401, "unauthorized", "Sign in or send a valid API token.")
        flash(gettext(login_manager.login_message), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def api_gate() -> Any:
        view = app.view_functions.get(request.endpoint or "")
        is_api = request.path.startswith("/api/")
        if is_api and bearer_secret() is not None and not current_user.is_authenticated:
            if view is None or not getattr(view, "hub_public", False):
                return error_response(401, "unauthorized", "The API token is not valid.")
        if is_api and view is not None and not getattr(view, "hub_public", False):
            if not current_user.is_authenticated:
                return error_response(401, "unauthorized", "Sign in or send a valid API token.")
        if request.method not in ("GET", "HEAD", "OPTIONS") and bearer_secret() is not None:
            # A read-only token writes nothing, on any route (loading the user sets g.api_token).
            token = g.get("api_token") if current_user.is_authenticated else None
            if token is not None and token.scope == "read":
                return error_response(403, "forbidden", "This API token is read-only.")
        # Bearer-token requests and webhooks (signed on their own) are exempt from CSRF.
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and bearer_secret() is None
            and not request.path.startswith("/webhooks/")
            and not (view is not None and getattr(view, "hub_csrf_exempt", False))
        ):
            csrf.protect()
        return None


def csrf_exempt(view: F) -> F:
    """Exempt a view from the CSRF check (one-click unsubscribe, token login)."""
    view.hub_csrf_exempt = True  # type: ignore[attr-defined]
    return view
