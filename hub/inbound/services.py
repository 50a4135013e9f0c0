"""Replies by email: the checks an Inbound Parse post passes before anything is posted
(`check_reply`), then posting it through the thread's and the documents' own services
(`do_post_reply`), or recording why it was refused (`record_refusal`).

Every outcome but a transient database failure is final: SendGrid is answered 200 and the
record says what happened, so a refused email is never retried.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import User, normalize_email
from hub.documents.catalogue import DOC_TYPE_CODES
from hub.documents.services import list_requests, stage_file, upload_document
from hub.errors import Forbidden, HubError, NotFound
from hub.extensions import db
from hub.inbound.models import InboundEmail
from hub.inbound.parsing import INLINE_IMAGE_MAX_BYTES, Attachment, InboundPost, authenticated, html_to_text, reply_text
from hub.inbound.tokens import TokenRefused, read_reply_token, tokens_in
from hub.permissions import Access, Action, authorize
from hub.shipments.models import Shipment
from hub.signals import inbound_email_refused
from hub.threads.services import check_send_message, do_send_message

#: Why an email was not posted (or one of its files was not stored), as admins read it.
REASONS: dict[str, str] = {
    "unknown_token": "not sent to a reply address of this hub",
    "forged_token": "the reply address's signature does not match (forged or altered)",
    "expired_token": "the reply address has expired",
    "sender_mismatch": "sent from an address other than the recipient's",
    "not_authenticated": "the sender's domain did not pass SPF or DKIM",
    "auto_reply": "an automatic reply (out of office, bounce)",
    "deactivated": "the recipient's account is deactivated",
    "not_participant": "the recipient no longer takes part in the shipment",
    "may_not_post": "observers do not post in the thread",
    "empty": "nothing was left after removing the quoted email and signature",
    "too_long": "longer than MESSAGE_MAX_CHARS",
    "attachment_refused": "an attachment was not stored",
    "internal_error": "the hub failed to process it",
}
#: Reasons not worth an email back: nobody to tell, or telling would start a mail loop.
_SILENT = {"auto_reply", "deactivated"}
_CLIENT_ID_NAMESPACE = uuid.UUID("5f0c1a9e-7a43-4d59-9c1e-2f6b4b1d6e17")


class ReplyRefused(Exception):
    """The email is not posted; `reason` is a key of REASONS."""

    def __init__(self, reason: str, detail: str | None = None, user: User | None = None,
                 shipment: Shipment | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.user, self.shipment = reason, detail, user, shipment


@dataclass
class CheckedReply:
    """An email that may be posted: who, where, what, and which files."""

    user: User
    shipment: Shipment
    text: str
    doc_type: str
    files: list[Attachment]
    skipped_inline: list[str] = field(default_factory=list)
    #: The sender's right to post to the thread, as checked.
    access: Access | None = None


@dataclass
class Outcome:
    """What the webhook answers SendGrid (always 200 for these)."""

    status: str  # "posted", "rejected", "duplicate"
    record: InboundEmail | None = None

    def to_dict(self) -> dict[str, Any]:
        """The answer's body."""
        record = self.record
        return {"outcome": self.status, "id": record.id if record else None,
                "reason": record.reason if record else None}


# --- check ----------------------------------------------------------------------------------


def check_reply(post: InboundPost) -> CheckedReply:
    """Who sent it to which thread, may they post there, and what is left to post; raises
    ReplyRefused otherwise (nothing is written here)."""
    tokens = tokens_in(post.recipients())
    if not tokens:
        raise ReplyRefused("unknown_token")
    try:
        token = read_reply_token(tokens[0])
    except TokenRefused as refused:
        raise ReplyRefused(refused.reason) from None
    user = db.session.get(User, token.user_id)
    shipment = db.session.get(Shipment, token.shipment_id)
    if user is None or shipment is None:
        raise ReplyRefused("unknown_token")
    # Both the From header and the SMTP envelope must be the recipient's own address.
    if post.sender != normalize_email(user.email) or post.envelope_sender != normalize_email(user.email):
        raise ReplyRefused("sender_mismatch", f"from {post.sender or '?'} (envelope {post.envelope_sender or '?'})",
                           user, shipment)
    if current_app.config["INBOUND_REQUIRE_AUTH"] and not authenticated(post, post.sender):
        raise ReplyRefused("not_authenticated", f"SPF {post.spf or 'none'}; DKIM {post.dkim.strip() or 'none'}",
                           user, shipment)
    if post.is_automatic():
        raise ReplyRefused("auto_reply", None, user, shipment)
    if not user.active:
        raise ReplyRefused("deactivated", None, user, shipment)
    if shipment.participant(user) is None:
        raise ReplyRefused("not_participant", None, user, shipment)
    try:
        access = authorize(user, Action.POST_MESSAGE, shipment)
    except NotFound:
        raise ReplyRefused("not_participant", None, user, shipment) from None
    except Forbidden:
        raise ReplyRefused("may_not_post", None, user, shipment) from None
    text = reply_text(post.text if post.text.strip() else html_to_text(post.html))
    inline_ids = post.inline_content_ids()
    skipped = [a for a in post.attachments if _signature_image(a, inline_ids)]
    files = [a for a in post.attachments if a.field_name not in {s.field_name for s in skipped}]
    if not text and not files:
        raise ReplyRefused("empty", None, user, shipment)
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if len(text) > limit:
        raise ReplyRefused("too_long", f"{len(text)} characters, at most {limit}", user, shipment)
    return CheckedReply(user, shipment, text, _doc_type(post.subject, shipment), files,
                        [a.filename for a in skipped], access)


def _signature_image(attachment: Attachment, inline_ids: set[str]) -> bool:
    """A small image the HTML shows inline by its Content-ID: a logo of the signature."""
    return (attachment.content_id is not None and attachment.content_id in inline_ids
            and attachment.content_type.lower().startswith("image/") and len(attachment.data) <= INLINE_IMAGE_MAX_BYTES)


def _doc_type(subject: str, shipment: Shipment) -> str:
    """`[commercial_invoice]` in the subject names the type; else the type of the shipment's
    only open request; else `other`."""
    for word in re.findall(r"\[([A-Za-z_]+)\]", subject):
        if word.lower() in DOC_TYPE_CODES:
            return word.lower()
    open_requests = [r for r in list_requests(shipment) if r.status == "open"]
    if len(open_requests) == 1:
        return open_requests[0].doc_type
    return "other"


# --- do -------------------------------------------------------------------------------------


def find_record(post: InboundPost) -> InboundEmail | None:
    """The record of an email with the same Message-ID received before, if any."""
    key = post.message_id
    return db.session.scalar(select(InboundEmail).where(InboundEmail.message_id == key)) if key else None


def receive_email(post: InboundPost) -> Outcome:
    """Post a reply, or record why not; the same Message-ID again answers `duplicate`."""
    existing = find_record(post)
    if existing is not None and existing.status != "processing":
        return Outcome("duplicate", existing)
    try:
        checked = check_reply(post)
    except ReplyRefused as refused:
        return record_refusal(post, refused, existing)
    return do_post_reply(post, checked, existing)


def _new_record(post: InboundPost) -> InboundEmail:
    return InboundEmail(message_id=post.message_id, sender=post.sender[:254], subject=post.subject[:300],
                        status="processing", documents=[])


def record_refusal(post: InboundPost, refused: ReplyRefused, existing: InboundEmail | None = None) -> Outcome:
    """Store the refusal with its reason and tell a known sender why (in their language)."""
    record = existing or _new_record(post)
    record.status, record.reason, record.detail = "rejected", refused.reason, refused.detail
    record.user_id = refused.user.id if refused.user is not None else None
    record.shipment_id = refused.shipment.id if refused.shipment is not None else None
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:  # the same email, stored meanwhile by a concurrent delivery
        db.session.rollback()
        return Outcome("duplicate", find_record(post))
    if refused.reason not in _SILENT and not post.is_automatic():
        _tell_sender(post, record, refused.reason, refused.detail, refused.shipment)
    db.session.commit()
    return Outcome("rejected", record)


def _tell_sender(post: InboundPost, record: InboundEmail, reason: str, detail: str | None,
                 shipment: Shipment | None) -> None:
    """Signal the refusal for the known, active user who sent it (nobody else is written to)."""
    sender = db.session.scalar(select(User).where(User.email == post.sender)) if post.sender else None
    if sender is None or not sender.active:
        return
    visible = shipment if shipment is not None and shipment.participant(sender) is not None else None
    inbound_email_refused.send(record, user=sender, reason=reason, detail=detail, shipment=visible)


def do_post_reply(post: InboundPost, checked: CheckedReply, existing: InboundEmail | None = None) -> Outcome:
    """Post the text with the thread's `send_message` (via "email") and store each file as a
    document through the documents' own staging and upload; a refused file is recorded and
    the sender told, the rest is posted."""
    record = existing or _new_record(post)
    record.user_id, record.shipment_id = checked.user.id, checked.shipment.id
    db.session.add(record)
    try:
        db.session.commit()  # claims the Message-ID: a concurrent delivery of it stops here
    except IntegrityError:
        db.session.rollback()
        return Outcome("duplicate", find_record(post))
    user, shipment_id = checked.user, checked.shipment.id
    if checked.text:
        # The client_id comes from the Message-ID: a retried delivery answers the same message.
        seed = post.message_id or uuid.uuid4().hex
        client_id = str(uuid.uuid5(_CLIENT_ID_NAMESPACE, seed))
        assert checked.access is not None
        message, _created = do_send_message(check_send_message(checked.access, checked.text, client_id, via="email"))
        record.posted_message_id = message.id
        db.session.commit()
    refused: list[str] = []
    for attachment in checked.files:
        if any(stored.get("field") == attachment.field_name for stored in record.documents or []):
            continue  # stored by an earlier delivery of this email that did not finish
        try:
            authorize(user, Action.UPLOAD_DOCUMENT, db.session.get_one(Shipment, shipment_id))
            staged = stage_file(attachment.stream(), attachment.filename)
        except HubError as error:
            refused.append(f"{attachment.filename}: {error.message}")
            continue
        document = upload_document(user, db.session.get_one(Shipment, shipment_id), checked.doc_type, None, staged,
                                   via="email")
        record.documents = [*(record.documents or []), {"id": document.id, "filename": staged.filename,
                                                        "field": attachment.field_name}]
        db.session.commit()
    record.status = "posted"
    if refused:
        record.reason, record.detail = "attachment_refused", "; ".join(refused)
        _tell_sender(post, record, "attachment_refused", record.detail, checked.shipment)
    db.session.commit()
    return Outcome("posted", record)


def record_failure(post: InboundPost, error: Exception) -> Outcome:
    """An unexpected failure that retrying would not cure: recorded, answered 200."""
    db.session.rollback()
    existing = find_record(post)
    return record_refusal(post, ReplyRefused("internal_error", f"{type(error).__name__}: {error}"[:2000]), existing)
