"""The thread's operations: posting (the one path every channel goes through: socket, REST,
email, system, milestones, documents), listing, editing, deleting and read state.

Each action is a `check_...` step (access and validation, once; it answers what the `do_...`
step needs) and a `do_...` step (the change, inside the ordering layer's transaction; events
and emails follow the commit). Ordering lives in `hub.shipment_tx`, the fast statements of the
send in `hub.threads.store`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import limits
from hub.accounts.models import Principal, User
from hub.audit import record_audit
from hub.errors import N_, MalformedRequest, NotFound, Text, Unauthorized, ValidationFailed, reason
from hub.extensions import db
from hub.payload import clean_text
from hub.permissions import (
    Access,
    Action,
    authorize_on,
    get_shipment_for,
    owner_and_role,
    signed_in_user_authorized_on,
)
from hub.permissions import check_change_message as check_change_message_rule
from hub.permissions.rules import allows, decide
from hub.realtime import emit_after_commit, shipment_room
from hub.shipment_tx import shipment_transaction, thread_transaction
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.signals import message_posted
from hub.threads import store
from hub.threads.markup import render_markdown
from hub.threads.models import Message, MessageMention, MessageRevision
from hub.timestamps import utcnow

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._%+-]+)")

#: Messages a `join` answers at most; the client pages the rest with the REST list.
JOIN_CATCH_UP_LIMIT = 500
LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 500


# --- posting --------------------------------------------------------------------------------


def add_message(
    shipment: Shipment | int,
    author: Principal | None,
    body: str,
    *,
    kind: str = "text",
    via: str = "web",
    client_id: str | None = None,
    facts: dict[str, Any] | None = None,
) -> Message:
    """Add a message inside an open `shipment_transaction` or `thread_transaction` (of this
    shipment, or its id): next `seq`, rendered body, mentions; the `message` event is emitted
    after the commit. (Milestones, documents and system notes post through here, with their
    `facts`.)"""
    shipment_id = shipment if isinstance(shipment, int) else shipment.id
    values = _message_values(shipment_id, author, body, kind, via, client_id)
    values["facts"] = facts
    message = store.write_message(values, author)
    _message_written(message, author)
    return message


def _message_values(shipment_id: int, author: Principal | None, body: str, kind: str, via: str,
                    client_id: str | None) -> dict[str, Any]:
    """The new message's row but its `seq`."""
    return {
        "shipment_id": shipment_id, "author_id": author.id if author is not None else None,
        "kind": kind, "body": body, "body_html": render_markdown(body), "client_id": client_id, "via": via,
        "created_at": utcnow(), "edited_at": None, "deleted_at": None, "facts": None,
    }


def _message_written(message: Message, author: Principal | None) -> None:
    """What follows every new message in its transaction: mentions, the signal (emails and
    digests), and its event once committed."""
    for user_id in _mentioned_user_ids(message.shipment_id, message.body, author):
        db.session.add(MessageMention(message_id=message.id, user_id=user_id))
    message_posted.send(message)
    _emit_message(message, author.summary() if author is not None else None)


def _emit_message(message: Message, author: dict[str, object] | None = None) -> None:
    payload = message.to_dict(author)
    message.sent_object = payload
    emit_after_commit("message", payload, shipment_room(message.shipment_id))


def message_object(message: Message) -> dict[str, Any]:
    """The message object of a message this request just wrote or read."""
    return message.sent_object if message.sent_object is not None else message.to_dict()


def check_message_body(body: object) -> str:
    """A non-empty body of at most MESSAGE_MAX_CHARS characters, or ValidationFailed."""
    if not isinstance(body, str):
        raise ValidationFailed(N_("The message body must be a string."), fields={"body": N_("must be a string")})
    if not body.strip():
        raise ValidationFailed(N_("The message is empty."), fields={"body": N_("must not be empty")})
    try:
        clean_text(body, multiline=True)
    except ValueError as exc:
        raise ValidationFailed(N_("The message holds characters that cannot be shown."),
                               fields={"body": reason(exc)}) from None
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise ValidationFailed(
            N_("The message is longer than %(limit)s characters."), params={"limit": limit},
            fields={"body": Text(N_("at most %(limit)s characters"), limit=limit)},
        )
    return body


def check_client_id(value: object) -> str:
    """A UUID chosen by the sender, in its canonical lower-case form, or MalformedRequest."""
    if not isinstance(value, str):
        raise MalformedRequest(N_("client_id must be a UUID string."), fields={"client_id": N_("must be a UUID string")})
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise MalformedRequest(N_("client_id is not a UUID."), fields={"client_id": N_("must be a UUID")}) from None


def new_client_id() -> str:
    """A fresh client_id for callers that sent none (a REST integration without retries)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class MessageToSend:
    """A text message checked for sending: its author may post it to the shipment."""

    author: Principal
    shipment_id: int
    text: str
    client_id: str
    via: str


def check_send_message(access: Access, body: object, client_id: object, via: str) -> MessageToSend:
    """Check a text message for the thread `access` may post to: the body, the client_id."""
    if access.action is not Action.POST_MESSAGE:
        raise ValueError("check_send_message needs POST_MESSAGE access")
    # One budget per author whatever the channel (RATELIMIT_MESSAGES): 429 / `rate_limited`.
    limits.hit("RATELIMIT_MESSAGES", "messages", f"user:{access.user.id}")
    return MessageToSend(access.user, access.shipment_id, check_message_body(body), check_client_id(client_id), via)


def check_send_message_by_id(user_id: int | None, shipment_id: int, body: object, client_id: object,
                             via: str) -> MessageToSend:
    """`check_send_message` for a socket that knows its user by id: the user, as they are now,
    and their access in one query (Unauthorized when they are gone or deactivated)."""
    access = signed_in_user_authorized_on(user_id, shipment_id, Action.POST_MESSAGE) if user_id is not None else None
    if access is None:
        raise Unauthorized(N_("Sign in again."))
    return check_send_message(access, body, client_id, via)


def do_send_message(message: MessageToSend) -> tuple[Message, bool]:
    """Post a checked message; answers (message, created). A repeated `client_id` from the
    same author answers the original message and creates nothing."""
    values = _message_values(message.shipment_id, message.author, message.text, "text", message.via,
                             message.client_id)
    try:
        with thread_transaction(message.shipment_id):
            if db.session.get_bind().dialect.name == "postgresql":
                # Checked under the lock, in the statement that writes: a repeat writes nothing.
                posted, created = store.write_message_once(values, message.author)
            else:
                # A repeat (a client's retry) is rare: the messages' unique (author, client_id)
                # refuses it, the transaction rolls back (its seq too) and it is answered below.
                posted, created = store.write_message(values, message.author), True
            if created:
                _message_written(posted, message.author)
    except IntegrityError:
        # A repeat: the original may be in another shipment, or stored first by a concurrent request.
        existing = store.message_by_client_id(message.author.id, message.client_id)
        if existing is None:
            raise
        return existing, False
    return posted, created


def send_message(user: Principal, shipment_id: int, body: object, client_id: str, via: str) -> tuple[Message, bool]:
    """Check and post a text message as `user` (404 / 403, then 422); answers (message, created)."""
    return do_send_message(check_send_message(authorize_on(user, shipment_id, Action.POST_MESSAGE), body,
                                              client_id, via))


def _mentioned_user_ids(shipment_id: int, body: str, author: Principal | None) -> list[int]:
    handles = {m.group(1).lower().rstrip(".") for m in _MENTION.finditer(body)}
    if not handles:
        return []
    shipment = db.session.get(Shipment, shipment_id)
    ids = []
    for participant in shipment.participants if shipment is not None else []:
        local_part = participant.user.email.split("@", 1)[0].lower()
        if local_part in handles and (author is None or participant.user_id != author.id):
            ids.append(participant.user_id)
    return ids


# --- reading ------------------------------------------------------------------------------


def messages_after(shipment: Shipment, after_seq: int, limit: int) -> tuple[list[Message], bool]:
    """Up to `limit` messages with seq > after_seq, oldest first, and whether more follow."""
    rows = list(
        db.session.scalars(
            select(Message)
            .where(Message.shipment_id == shipment.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def list_messages(
    shipment: Shipment,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = LIST_DEFAULT_LIMIT,
) -> tuple[list[Message], bool]:
    """A page of the thread, oldest first, and whether more exist in the direction asked.

    `after_seq`: the next `limit` after it; `before_seq`: the `limit` just before it; neither:
    the latest `limit` (`more` then says whether earlier ones exist). The caller has checked
    that the reader may see the shipment.
    """
    limit = max(1, min(limit, LIST_MAX_LIMIT))
    if after_seq is not None and before_seq is not None:
        raise ValidationFailed(N_("Give after_seq or before_seq, not both."), fields={"before_seq": N_("not with after_seq")})
    if after_seq is not None:
        return messages_after(shipment, after_seq, limit)
    query = select(Message).where(Message.shipment_id == shipment.id)
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    rows = list(db.session.scalars(query.order_by(Message.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    return list(reversed(rows[:limit])), more


# --- editing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageChange:
    """A message its author may still change (edit or delete), as checked."""

    user: User
    message: Message


def check_change_message(user: User, message_id: int, verb: str) -> MessageChange:
    """May `user` `verb` ("edit", "delete") the message now: NotFound when it or its thread is
    hidden from them, Forbidden when not theirs, deleted, past MESSAGE_EDIT_WINDOW_S or when
    they may not post any more. The facts are read once; `hub.permissions` decides."""
    message = db.session.get(Message, message_id)
    facts = owner_and_role(user, message.shipment_id) if message is not None else None
    if message is None or facts is None:
        raise NotFound(N_("Message not found."))
    owner_org_id, role = facts
    try:
        decide(user, owner_org_id, role, Action.VIEW)
    except NotFound:
        raise NotFound(N_("Message not found.")) from None
    check_change_message_rule(
        user, author_id=message.author_id, kind=message.kind, deleted=message.deleted_at is not None,
        created_at=message.created_at, now=utcnow(), window_s=current_app.config["MESSAGE_EDIT_WINDOW_S"],
        may_post=allows(user, owner_org_id, role, Action.POST_MESSAGE), verb=verb,
    )
    return MessageChange(user, message)


def _changing(change: MessageChange) -> Message:
    """The message, read again under the shipment's lock (a concurrent delete may have won)."""
    message = db.session.get(Message, change.message.id, populate_existing=True)
    if message is None or message.deleted_at is not None:
        raise NotFound(N_("Message not found."))
    return message


def do_edit_message(change: MessageChange, body: object) -> Message:
    """Replace the message's body; the previous body is kept as a revision, people newly
    mentioned are recorded, and the room gets the edited message."""
    text = check_message_body(body)
    with shipment_transaction(change.message.shipment_id) as shipment:
        message = _changing(change)
        if text != message.body:
            db.session.add(MessageRevision(message_id=message.id, body=message.body))
            message.body = text
            message.body_html = render_markdown(text)
            message.edited_at = utcnow()
            known = set(db.session.scalars(select(MessageMention.user_id).where(MessageMention.message_id == message.id)))
            for user_id in _mentioned_user_ids(shipment.id, text, change.user):
                if user_id not in known:
                    db.session.add(MessageMention(message_id=message.id, user_id=user_id))
            record_audit(change.user, "message.edit", "message", message.id, {"seq": message.seq}, shipment.id)
            db.session.flush()
            _emit_message(message)
    return message


def do_delete_message(change: MessageChange) -> Message:
    """Soft-delete the message: its body moves to the revision history, the thread keeps its
    `seq` with an empty body."""
    with shipment_transaction(change.message.shipment_id) as shipment:
        message = _changing(change)
        db.session.add(MessageRevision(message_id=message.id, body=message.body))
        message.body = ""
        message.body_html = ""
        message.deleted_at = utcnow()
        record_audit(change.user, "message.delete", "message", message.id, {"seq": message.seq}, shipment.id)
        db.session.flush()
        _emit_message(message)
    return message


def edit_message(user: User, message_id: int, body: object) -> Message:
    """Check and edit a message (author only, within MESSAGE_EDIT_WINDOW_S)."""
    return do_edit_message(check_change_message(user, message_id, "edit"), body)


def delete_message(user: User, message_id: int) -> Message:
    """Check and soft-delete a message (author only, within MESSAGE_EDIT_WINDOW_S)."""
    return do_delete_message(check_change_message(user, message_id, "delete"))


# --- read state ---------------------------------------------------------------------------


def mark_read(user: Principal, shipment_id: int, seq: object) -> dict[str, int]:
    """Move the caller's `last_read_seq` forward to `seq` (clamped to the thread's last seq;
    never backwards) and tell the room. Staff who are not participants have no read state.

    Answers `{"shipment_id", "last_read_seq", "last_seq", "unread_count"}`.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValidationFailed(N_("seq must be a non-negative integer."), fields={"seq": N_("must be a non-negative integer")})
    shipment = get_shipment_for(user, shipment_id)
    participant = db.session.scalar(
        select(ShipmentParticipant)
        .where(ShipmentParticipant.shipment_id == shipment.id, ShipmentParticipant.user_id == user.id)
        .with_for_update(of=ShipmentParticipant)
    )
    last_seq = shipment.last_seq
    if participant is None:
        db.session.rollback()
        return {"shipment_id": shipment_id, "last_read_seq": last_seq, "last_seq": last_seq, "unread_count": 0}
    target = min(seq, last_seq)
    if target > participant.last_read_seq:
        participant.last_read_seq = target
        emit_after_commit(
            "read", {"shipment_id": shipment.id, "user_id": user.id, "seq": target}, shipment_room(shipment.id)
        )
    read = participant.last_read_seq
    db.session.commit()
    return {"shipment_id": shipment_id, "last_read_seq": read, "last_seq": last_seq,
            "unread_count": max(0, last_seq - read)}


def read_states(shipment: Shipment) -> list[dict[str, Any]]:
    """Each participant's `last_read_seq`, for read receipts ("Seen by Ana, Kenji")."""
    return [
        {"user_id": p.user_id, "name": p.user.name, "last_read_seq": p.last_read_seq}
        for p in shipment.participants
    ]


def on_participant_added(shipment: Shipment, *, user: Any, role: str, accepted: bool = False, **_: Any) -> None:
    """A user who accepted an invitation joined: the thread says so (a system message, inside
    the shipment transaction the acceptance holds). Direct additions post nothing, as before."""
    if accepted:
        # The facts let each reader's page and digest say it in their language (hub.i18n.facts_text).
        facts = {"kind": "participant", "action": "joined", "name": user.name,
                 "organization": user.organization.name, "role": role}
        add_message(shipment, None, f"{user.name} ({user.organization.name}) accepted the invitation and joined "
                                    f"as {role}.", kind="system", facts=facts)
