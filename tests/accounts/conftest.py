"""Helpers of the accounts tests: reading emailed links from the outbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from hub.extensions import db
from hub.notifications.models import OutboxEmail


def outbox(kind: str, to_email: str | None = None) -> list[OutboxEmail]:
    """Outbox rows of one kind (and recipient), oldest first."""
    query = select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
    if to_email is not None:
        query = query.where(OutboxEmail.to_email == to_email)
    return list(db.session.scalars(query))


def link_in(email: OutboxEmail, base: str = "http://hub.test") -> str:
    """The path of the hub link in an email's text body (absolute on PUBLIC_BASE_URL)."""
    match = re.search(re.escape(base) + r"(/\S+)", email.text_body)
    assert match, f"no {base} link in: {email.text_body}"
    assert match.group(0) in email.html_body, "the HTML body carries the same link"
    return urlsplit(match.group(0)).path
