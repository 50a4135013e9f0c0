"""Queueing emails into the outbox, inside the caller's transaction.

The row holds the fully rendered email (recipient's language and time zone), so the worker
only sends it and nothing about it changes if the shipment changes later.
"""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy import select

from hub.accounts.models import User, normalize_email
from hub.extensions import db
from hub.inbound.tokens import reply_address
from hub.notifications.models import OutboxEmail, SuppressedAddress
from hub.notifications.rendering import public_url, recipient_context, render_email, unsubscribe_url
from hub.shipments.models import Shipment

#: Emails about a shipment's thread: each can be answered by email (Reply-To) and the ones to
#: one recipient about one shipment thread together in their mail client.
THREAD_KINDS = frozenset({"milestone", "mention", "digest", "document_requested", "document_reviewed",
                          "risk_opened", "risk_resolved", "document_uploaded"})


def new_message_id() -> str:
    """A Message-ID for an email about to be queued (kept on its row: retries resend it)."""
    domain = current_app.config.get("INBOUND_EMAIL_DOMAIN") or parseaddr(current_app.config["MAIL_FROM"])[1].rpartition(
        "@")[2] or "clearance-hub.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def first_message_id(user_id: int, shipment_id: int) -> str | None:
    """The Message-ID of the shipment's first thread email to this recipient, if any."""
    message_id = OutboxEmail.headers["Message-ID"].as_string()
    return db.session.scalar(
        select(message_id).where(OutboxEmail.user_id == user_id, OutboxEmail.shipment_id == shipment_id,
                                 OutboxEmail.kind.in_(THREAD_KINDS), message_id.is_not(None))
        .order_by(OutboxEmail.id).limit(1)
    )


def thread_headers(user_id: int, shipment_id: int) -> dict[str, str]:
    """Message-ID, and In-Reply-To/References pointing at the shipment's first email to the
    recipient, so mail clients show one conversation per shipment."""
    headers = {"Message-ID": new_message_id()}
    first = first_message_id(user_id, shipment_id)
    if first:
        headers["In-Reply-To"] = first
        headers["References"] = first
    return headers


def is_suppressed(email: str) -> bool:
    """Whether SendGrid reported this address as bounced or spam (and no admin lifted it)."""
    return db.session.scalar(
        select(SuppressedAddress.id).where(SuppressedAddress.email == normalize_email(email))
    ) is not None


def shipment_timeline(shipment: Shipment) -> list[Any]:
    """The shipment's milestones ordered by `occurred_at` (the milestones area's timeline)."""
    from hub.milestones.services import timeline

    return list(timeline(shipment))


def email_context(user: User | None, shipment: Shipment | None) -> dict[str, Any]:
    """What the shared layout shows: recipient, shipment facts, timeline, absolute links."""
    context: dict[str, Any] = {
        "recipient": user,
        "shipment": shipment,
        "base_url": public_url("index"),
        "settings_url": public_url("notifications.settings_page"),
        "unsubscribe_url": None,
    }
    if shipment is not None:
        participant = shipment.participant(user) if user is not None else None
        context |= {
            "shipment_url": public_url("shipments.detail_page", shipment_id=shipment.id),
            "timeline": shipment_timeline(shipment),
            "recipient_role": participant.role if participant else None,
        }
        if user is not None:
            from hub.notifications.preferences import effective_preference

            context["recipient_level"] = effective_preference(user, shipment.id)[0]
            context["unsubscribe_url"] = unsubscribe_url(user.id, shipment.id)
    return context


def queue_email(
    *,
    kind: str,
    to_email: str,
    to_name: str,
    template: str,
    context: dict[str, Any],
    subject: str | None = None,
    user_id: int | None = None,
    shipment_id: int | None = None,
    headers: dict[str, str] | None = None,
    recipient: User | None = None,
    discard: bool = False,
) -> OutboxEmail:
    """Render `templates/email/<template>` in the recipient's locale and add an outbox row;
    the caller commits. The subject comes from `<template>.subject.txt` when it exists
    (translated), else `subject`. A suppressed address gets a row marked `suppressed`,
    which is never sent. A thread email (THREAD_KINDS) carries its threading headers and,
    with INBOUND_EMAIL_DOMAIN, the recipient's own Reply-To address for answering by email.
    `recipient`: the user to render for when `user_id` is not given (an unsaved stand-in);
    `discard`: render and build the row but do not add it (nothing is sent)."""
    user = db.session.get(User, user_id) if user_id is not None else recipient
    shipment = db.session.get(Shipment, shipment_id) if shipment_id is not None else None
    threaded = kind in THREAD_KINDS and user is not None and shipment is not None
    reply_to = reply_address(user.id, shipment.id) if threaded else None  # type: ignore[union-attr]
    with recipient_context(user.locale if user else "en", user.time_zone if user else "UTC"):
        values = email_context(user, shipment) | {"reply_by_email": reply_to is not None} | context
        rendered = render_email(template, values, subject=subject)
    all_headers = dict(headers or {})
    if threaded:
        all_headers |= thread_headers(user.id, shipment.id)  # type: ignore[union-attr]
    if reply_to:
        all_headers["Reply-To"] = reply_to
    if values.get("unsubscribe_url"):
        # RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to this URL.
        all_headers["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
        all_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    suppressed = is_suppressed(to_email)
    row = OutboxEmail(
        kind=kind,
        to_email=normalize_email(to_email),
        to_name=to_name,
        user_id=user_id,
        shipment_id=shipment_id,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        headers=all_headers,
        status="suppressed" if suppressed else "pending",
        last_error="the address is suppressed (bounce or spam report)" if suppressed else None,
    )
    if not discard:
        db.session.add(row)
    return row
