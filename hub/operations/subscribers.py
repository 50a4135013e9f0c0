"""The metrics and log lines fed by domain signals (hub/signals.py): no area counts itself."""

from __future__ import annotations

import logging
from typing import Any

from hub.operations import metrics
from hub.operations.logs import log_socket_event
from hub.signals import (
    email_attempted,
    email_bounced,
    inbound_email_received,
    message_posted,
    socket_connected,
    socket_disconnected,
    socket_event_handled,
    subscribe,
)

email_log = logging.getLogger("hub.email")


def on_socket_connected(_sid: str, **_: Any) -> None:
    """One more open socket."""
    metrics.sockets_connected.inc()


def on_socket_disconnected(_sid: str, **_: Any) -> None:
    """One fewer open socket."""
    metrics.sockets_connected.dec()


def on_socket_event(event: str, outcome: str, **_: Any) -> None:
    """Count and log an answered client event."""
    metrics.socket_events.labels(event, outcome).inc()
    log_socket_event(event, outcome)


def on_message_posted(message: Any, **_: Any) -> None:
    """Count the message by channel once its transaction commits."""
    channel = "system" if message.author_id is None else message.via
    metrics.count_after_commit(metrics.messages_posted.labels(channel).inc)


def on_email_attempted(outcome: str, outbox_id: int, kind: str = "", **_: Any) -> None:
    """Count a recorded send attempt by what it came to."""
    counter = {"sent": metrics.emails_sent, "retry": metrics.emails_retried}.get(outcome, metrics.emails_failed)
    counter.inc()
    email_log.info("email attempt recorded", extra={"outcome": outcome, "outbox_id": outbox_id, "kind": kind})


def on_email_bounced(event: str, **_: Any) -> None:
    """Count a bounce reported by SendGrid once the webhook's transaction commits."""
    metrics.count_after_commit(metrics.emails_bounced.inc)


def on_inbound_email(outcome: str, **_: Any) -> None:
    """Count an inbound email as accepted (posted) or rejected; a repeated delivery of one
    already dealt with counts nothing."""
    counted = {"posted": "accepted", "rejected": "rejected"}.get(outcome)
    if counted is not None:
        metrics.inbound_emails.labels(counted).inc()


def connect_subscribers() -> None:
    """Subscribe to the signals that feed the metrics and logs (idempotent)."""
    subscribe({
        socket_connected: on_socket_connected,
        socket_disconnected: on_socket_disconnected,
        socket_event_handled: on_socket_event,
        message_posted: on_message_posted,
        email_attempted: on_email_attempted,
        email_bounced: on_email_bounced,
        inbound_email_received: on_inbound_email,
    })
