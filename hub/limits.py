"""Rate limits (Flask-Limiter, counted in RATELIMIT_STORAGE_URI): who a limit counts, and the
limits shared by REST views and socket handlers, which Flask-Limiter's decorators cannot reach.
Each limit is a setting (README); `RATELIMIT_ENABLED=0` turns every one of them off."""

from __future__ import annotations

import time

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from hub.errors import RateLimited
from hub.extensions import limiter


def setting(name: str):  # noqa: ANN201  (a callable Flask-Limiter reads for each request)
    """The limit named by a setting, read when the request comes (tests and deployments change it)."""
    return lambda: current_app.config[name]


def account_key() -> str:
    """The account a sign-in or reset names (its email, lower-cased), from the form or JSON."""
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def user_key() -> str:
    """The signed-in user (every token and session of theirs together), else the address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "address:" + (get_remote_address() or "")


def hit(name: str, scope: str, key: str) -> None:
    """Count one action against the limit of setting `name` for `key`; RateLimited (with
    `retry_after`) once over it."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in parse_many(current_app.config[name]):
        if not limiter.limiter.hit(item, scope, key):
            reset_at, _remaining = limiter.limiter.get_window_stats(item, scope, key)
            raise RateLimited("Too many requests; try again later.", retry_after=max(1, int(reset_at - time.time()) + 1))
