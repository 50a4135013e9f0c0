"""The email worker: claims due outbox rows, sends each with one SendGrid v3 mail/send request
(or into the local mailbox when no API key is configured), retries with backoff, and turns
due digests into emails.

Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` plus a lease; on SQLite a
conditional UPDATE of the lease. A row is sent only under an unexpired lease; a crashed
worker's rows are claimed again once their lease expires (the one duplicate the design
allows: a row in flight when its worker dies).
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
import urllib.error
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context
from python_http_client.exceptions import HTTPError
from sqlalchemy import func, select, update

from hub.extensions import db
from hub.notifications.digests import next_digest_due, process_due_digests
from hub.notifications.models import OutboxEmail
from hub.notifications.outbox import is_suppressed
from hub.request_context import unit_of_work
from hub.signals import email_attempted
from hub.timestamps import utcnow

log = logging.getLogger("hub.notifications.worker")


@dataclass
class SendResult:
    """What one attempt came to."""

    outcome: str  # "sent", "retry", "failed"
    message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None  # a rate-limit reset the server announced
    rate_limited: bool = False


class Transport(Protocol):
    """Where emails go."""

    name: str

    def send(self, row: OutboxEmail) -> SendResult:
        """Try once to hand the email over."""


def sendgrid_payload(row: OutboxEmail, mail_from: str) -> dict[str, Any]:
    """The v3 mail/send body, built with SendGrid's helpers: one personalization, the text
    part before the HTML part, the unsubscribe and threading headers, `reply_to` (SendGrid
    refuses a Reply-To among `headers`) and `custom_args` {"outbox_id"}."""
    from sendgrid.helpers.mail import Content, CustomArg, From, Header, Mail, MimeType, ReplyTo, To

    from_name, from_email = parseaddr(mail_from)
    mail = Mail(from_email=From(from_email, from_name or None), to_emails=To(row.to_email, row.to_name or None),
                subject=row.subject)
    mail.add_content(Content(MimeType.text, row.text_body))
    mail.add_content(Content(MimeType.html, row.html_body))
    for key, value in (row.headers or {}).items():
        if key.lower() == "reply-to":
            mail.reply_to = ReplyTo(value)
        else:
            mail.add_header(Header(key, value))
    mail.add_custom_arg(CustomArg("outbox_id", str(row.id)))
    return mail.get()


def _reset_time(headers: Any, now: datetime) -> datetime | None:
    """The moment a 429 says sending may resume: `X-RateLimit-Reset` (epoch seconds) or
    `Retry-After` (seconds)."""
    if headers is None:
        return None
    reset = headers.get("X-RateLimit-Reset")
    retry_after = headers.get("Retry-After")
    try:
        if reset is not None:
            value = float(reset)
            # Epoch seconds as SendGrid sends them; a small number is a delay in seconds.
            return datetime.fromtimestamp(value, now.tzinfo) if value > 1e9 else now + timedelta(seconds=value)
        if retry_after is not None:
            return now + timedelta(seconds=float(retry_after))
    except (TypeError, ValueError, OverflowError):
        return None
    return None


class SendGridTransport:
    """SendGrid's official client against SENDGRID_API_HOST."""

    name = "sendgrid"

    def __init__(self, api_key: str, host: str, mail_from: str, timeout: float) -> None:
        from sendgrid import SendGridAPIClient

        self.client = SendGridAPIClient(api_key=api_key, host=host)
        self.client.client.timeout = timeout
        self.mail_from = mail_from

    def send(self, row: OutboxEmail) -> SendResult:
        """POST /v3/mail/send once; classify the answer."""
        try:
            response = self.client.send(sendgrid_payload(row, self.mail_from))
        except HTTPError as exc:
            status = exc.status_code
            detail = f"HTTP {status}: {_short(exc.body)}"
            if status == 429:
                return SendResult("retry", error=detail, retry_at=_reset_time(exc.headers, utcnow()),
                                  rate_limited=True)
            if status >= 500:
                return SendResult("retry", error=detail)
            return SendResult("failed", error=detail)  # 4xx other than 429: retrying cannot help
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            return SendResult("retry", error=f"network: {exc.__class__.__name__}: {exc}")
        headers = response.headers
        message_id = headers.get("X-Message-Id") if headers is not None else None
        return SendResult("sent", message_id=message_id)


class MailboxTransport:
    """No API key: the row itself is the delivered email, read at /dev/mailbox."""

    name = "mailbox"

    def send(self, row: OutboxEmail) -> SendResult:
        """Delivery to the local mailbox always succeeds."""
        return SendResult("sent", message_id=f"mailbox-{row.id}")


def _short(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body or "")[:300]


def transport_for(app: Flask) -> Transport:
    """SendGrid when SENDGRID_API_KEY is set, else the local mailbox."""
    if app.config.get("SENDGRID_API_KEY"):
        return SendGridTransport(app.config["SENDGRID_API_KEY"], app.config["SENDGRID_API_HOST"],
                                 app.config["MAIL_FROM"], app.config["EMAIL_SEND_TIMEOUT_S"])
    return MailboxTransport()


def backoff_delay(attempts: int, base: float) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), stretched by up to 50%."""
    return base * (2 ** max(attempts - 1, 0)) * (1 + random.random() / 2)


def _due_clause(now: datetime) -> Any:
    return (
        (OutboxEmail.status == "pending")
        & (OutboxEmail.next_attempt_at <= now)
        & (OutboxEmail.lease_until.is_(None) | (OutboxEmail.lease_until < now))
    )


def claim_rows(limit: int) -> list[tuple[int, datetime]]:
    """Lease up to `limit` due rows for this worker; answers (id, lease_until) pairs."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["EMAIL_LEASE_S"])
    claimed: list[tuple[int, datetime]] = []
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(
            select(OutboxEmail.id).where(_due_clause(now)).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit).with_for_update(skip_locked=True)
        ))
        if ids:
            db.session.execute(
                update(OutboxEmail).where(OutboxEmail.id.in_(ids))
                .values(lease_until=lease, attempts=OutboxEmail.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        claimed = [(i, lease) for i in ids]
    else:
        candidates = list(db.session.scalars(
            select(OutboxEmail.id).where(_due_clause(now)).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        ))
        for row_id in candidates:
            # Several workers may run on SQLite too: the conditional UPDATE claims a row once.
            result = db.session.execute(
                update(OutboxEmail).where(OutboxEmail.id == row_id, _due_clause(now))
                .values(lease_until=lease, attempts=OutboxEmail.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.append((row_id, lease))
    db.session.commit()
    return claimed


def _finish(row_id: int, lease: datetime, **values: Any) -> bool:
    """Record an attempt's outcome if this worker still holds the row's lease."""
    result = db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == row_id, OutboxEmail.lease_until == lease)
        .values(lease_until=None, **values).execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning("outbox row %s: lease lost before the outcome was recorded", row_id)
    return result.rowcount == 1


def release(row_id: int, lease: datetime) -> None:
    """Give back a claimed row that was not attempted (its attempt is not counted)."""
    _finish(row_id, lease, attempts=OutboxEmail.attempts - 1)


def attempt(transport: Transport, row_id: int, lease: datetime) -> SendResult | None:
    """Send one claimed row and record the outcome; None when the row vanished."""
    row = db.session.get(OutboxEmail, row_id, populate_existing=True)
    if row is None:
        db.session.rollback()
        return None
    kind = row.kind
    config = current_app.config
    if is_suppressed(row.to_email):
        _finish(row_id, lease, status="suppressed", last_error="the address is suppressed (bounce or spam report)")
        email_attempted.send("suppressed", outbox_id=row_id, kind=kind)
        return SendResult("failed", error="suppressed")
    attempts = row.attempts
    # No transaction (nor SQLite's write lock) is held during the network call; the detached
    # row keeps the attributes already loaded.
    db.session.expunge(row)
    db.session.rollback()
    result = transport.send(row)
    now = utcnow()
    outcome = result.outcome
    if result.outcome == "sent":
        _finish(row_id, lease, status="sent", sent_at=now, provider_message_id=result.message_id,
                transport=transport.name, last_error=None)
    elif result.outcome == "retry" and attempts < config["EMAIL_MAX_ATTEMPTS"]:
        retry_at = now + timedelta(seconds=backoff_delay(attempts, config["EMAIL_BACKOFF_BASE_S"]))
        if result.retry_at is not None:
            retry_at = max(result.retry_at, now)
        _finish(row_id, lease, next_attempt_at=retry_at, last_error=result.error)
        result.retry_at = retry_at
        outcome = "retry"
    else:
        _finish(row_id, lease, status="failed", last_error=result.error)
        log.error("outbox row %s failed after %s attempt(s): %s", row_id, attempts, result.error)
        outcome = "failed"
    email_attempted.send(outcome, outbox_id=row_id, kind=kind)
    return result


def _queued_by(row_id: int) -> str | None:
    """The request id of the unit of work that queued the row (a fresh one when unknown)."""
    request_id = db.session.scalar(select(OutboxEmail.request_id).where(OutboxEmail.id == row_id))
    db.session.rollback()
    return request_id


def next_wakeup() -> datetime | None:
    """The earliest moment a pending row or digest becomes due."""
    now = utcnow()
    row_due = db.session.scalar(
        select(func.min(func.coalesce(OutboxEmail.lease_until, OutboxEmail.next_attempt_at)))
        .where(OutboxEmail.status == "pending")
    )
    candidates = [t for t in (row_due, next_digest_due()) if t is not None]
    db.session.rollback()
    return max(min(candidates), now) if candidates else None


def drain(transport: Transport, stop: threading.Event | None = None) -> datetime | None:
    """Send every row that is due now; answers the moment sending may resume when a 429
    paused it (the rest of the batch is released untouched), else None."""
    batch_size = current_app.config["EMAIL_BATCH_SIZE"]
    # A call may take up to the send timeout: start one only with that much lease left (at
    # most half the lease, so a misconfigured timeout cannot stall every row).
    margin = min(current_app.config["EMAIL_SEND_TIMEOUT_S"], current_app.config["EMAIL_LEASE_S"] / 2)
    while stop is None or not stop.is_set():
        process_due_digests()
        claimed = claim_rows(batch_size)
        if not claimed:
            return None
        for index, (row_id, lease) in enumerate(claimed):
            if (stop is not None and stop.is_set()) or utcnow() + timedelta(seconds=margin) >= lease:
                # Stopping, or the lease could run out during the call: leave it to a fresh claim.
                for rest_id, rest_lease in claimed[index:]:
                    release(rest_id, rest_lease)
                break
            with unit_of_work(_queued_by(row_id), outbox_id=row_id):
                result = attempt(transport, row_id, lease)
            if result is not None and result.rate_limited:
                for rest_id, rest_lease in claimed[index + 1:]:
                    release(rest_id, rest_lease)
                return result.retry_at
    return None


#: Jobs other areas run on the worker's schedule: name -> (config key of the interval in
#: seconds, the job). The risks area re-checks its time-based rules this way.
_periodic_jobs: dict[str, tuple[str, Callable[[], Any]]] = {}
_last_run: dict[tuple[int, str], float] = {}


def register_periodic_job(name: str, interval_setting: str, job: Callable[[], Any]) -> None:
    """Run `job()` from the worker loop every `app.config[interval_setting]` seconds (0: never)."""
    _periodic_jobs[name] = (interval_setting, job)


def run_periodic_jobs(app: Flask, *, force: bool = False) -> None:
    """Run each registered job whose interval has passed (all of them with `force`, as `--once` does)."""
    for name, (setting, job) in list(_periodic_jobs.items()):
        interval = app.config.get(setting) or 0
        key = (id(app), name)
        if not force and (interval <= 0 or time.monotonic() - _last_run.get(key, -1e18) < interval):
            continue
        _last_run[key] = time.monotonic()
        with unit_of_work(None, job=name):
            try:
                job()
            except Exception:  # noqa: BLE001 (one job's failure must not stop the emails)
                db.session.rollback()
                log.exception("worker job %s failed", name)


def run_worker(app: Flask, *, once: bool = False, stop: threading.Event | None = None) -> None:
    """The worker loop: with `once`, send what is due now and return; else until `stop`."""
    stop = stop or threading.Event()
    poll = app.config["EMAIL_POLL_S"]
    # Reuse the caller's app context (the CLI command's), else push one (a thread, a greenlet).
    reuse = has_app_context() and current_app._get_current_object() is app  # type: ignore[attr-defined]
    with nullcontext() if reuse else app.app_context():
        transport = transport_for(app)
        log.info("email worker started (%s)", transport.name)
        while not stop.is_set():
            try:
                run_periodic_jobs(app, force=once)
                paused_until = drain(transport, stop)
            except Exception:  # noqa: BLE001 (a database blip must not end the loop)
                db.session.rollback()
                log.exception("email worker: error while sending; retrying")
                if once:
                    raise
                stop.wait(poll)
                continue
            if once:
                return
            wake = paused_until or next_wakeup()
            delay = poll if wake is None else (wake - utcnow()).total_seconds()
            stop.wait(min(max(delay, 0.01), poll))
        if not reuse:
            db.session.remove()
