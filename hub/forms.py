"""Form posts of the HTML pages (they work without JavaScript): the fields a form filled in, and
an action the hub refuses shown as a flash message on the page the user returns to."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from flask import flash, request

from hub.errors import HubError
from hub.extensions import db


def filled_fields(names: Collection[str] | None = None) -> dict[str, str]:
    """The posted form's non-blank fields, stripped: those in `names`, or all but the CSRF token."""
    return {
        name: value.strip()
        for name, value in request.form.items()
        if (name in names if names is not None else name != "csrf_token") and value.strip()
    }


@contextmanager
def flashed_errors() -> Iterator[None]:
    """Run a page's action: a HubError from it undoes the session's changes and becomes an error
    flash (the message, then each field's reason) instead of an error page."""
    try:
        yield
    except HubError as exc:
        db.session.rollback()
        flash(exc.localized(" "), "error")
