"""Posting to a shipment's thread: the one path every channel (socket, REST, email, system,
milestones, documents) goes through."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import User
from hub.errors import NotFound, ValidationFailed
from hub.extensions import db
from hub.permissions import Action, get_shipment_for
from hub.realtime import emit_after_commit, shipment_room
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.signals import message_posted
from hub.threads.markup import render_markdown
from hub.threads.models import Message, MessageMention

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._%+-]+)")

_locks_guard = threading.Lock()
_shipment_locks: weakref.WeakValueDictionary[int, threading.Lock] = weakref.WeakValueDictionary()


def _lock_for(shipment_id: int) -> threading.Lock:
    with _locks_guard:
        lock = _shipment_locks.get(shipment_id)
        if lock is None:
            lock = threading.Lock()
            _shipment_locks[shipment_id] = lock
        return lock


@contextmanager
def shipment_transaction(shipment_id: int) -> Iterator[Shipment]:
    """Lock the shipment row, yield it, commit; events queued inside are emitted before the
    per-shipment lock is released, so sockets see one shipment's events in `seq` order."""
    lock = _lock_for(shipment_id)
    with lock:
        try:
            shipment = db.session.execute(
                select(Shipment)
                .where(Shipment.id == shipment_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one_or_none()
            if shipment is None:
                raise NotFound("Shipment not found.")
            yield shipment
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def add_message(
    shipment: Shipment,
    author: User | None,
    body: str,
    *,
    kind: str = "text",
    via: str = "web",
    client_id: str | None = None,
) -> Message:
    """Add a message inside an open `shipment_transaction`: next `seq`, rendered body,
    mentions; the `message` event is emitted after the commit."""
    shipment.last_seq += 1
    message = Message(
        shipment_id=shipment.id,
        seq=shipment.last_seq,
        author=author,
        kind=kind,
        body=body,
        body_html=render_markdown(body),
        client_id=client_id,
        via=via,
    )
    db.session.add(message)
    db.session.flush()
    if author is not None:
        _mark_read_by_author(shipment, author, message.seq)
    for user_id in _mentioned_user_ids(shipment, body, author):
        db.session.add(MessageMention(message_id=message.id, user_id=user_id))
    db.session.flush()
    message_posted.send(message)
    emit_after_commit("message", message.to_dict(), shipment_room(shipment.id))
    return message


def check_message_body(body: object) -> str:
    """A non-empty body of at most MESSAGE_MAX_CHARS characters, or ValidationFailed."""
    if not isinstance(body, str):
        raise ValidationFailed("The message body must be a string.", fields={"body": "must be a string"})
    if not body.strip():
        raise ValidationFailed("The message is empty.", fields={"body": "must not be empty"})
    limit = current_app.config["MESSAGE_MAX_CHARS"]
    if len(body) > limit:
        raise ValidationFailed(
            f"The message is longer than {limit} characters.", fields={"body": f"at most {limit} characters"}
        )
    return body


def send_message(user: User, shipment_id: int, body: object, client_id: str, via: str) -> tuple[Message, bool]:
    """Post a text message as `user`; answers (message, created). A repeated `client_id` from
    the same author answers the original message and creates nothing."""
    shipment = get_shipment_for(user, shipment_id, Action.POST_MESSAGE)
    text = check_message_body(body)
    existing = _message_by_client_id(user, client_id)
    if existing is not None:
        return existing, False
    try:
        with shipment_transaction(shipment.id) as locked:
            message = add_message(locked, user, text, kind="text", via=via, client_id=client_id)
    except IntegrityError:
        # Another process stored the same client_id first: answer the original.
        existing = _message_by_client_id(user, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def _message_by_client_id(user: User, client_id: str) -> Message | None:
    return db.session.scalar(select(Message).where(Message.author_id == user.id, Message.client_id == client_id))


def _mark_read_by_author(shipment: Shipment, author: User, seq: int) -> None:
    participant = db.session.scalar(
        select(ShipmentParticipant).where(
            ShipmentParticipant.shipment_id == shipment.id, ShipmentParticipant.user_id == author.id
        )
    )
    if participant is not None and participant.last_read_seq < seq:
        participant.last_read_seq = seq


def _mentioned_user_ids(shipment: Shipment, body: str, author: User | None) -> list[int]:
    handles = {m.group(1).lower().rstrip(".") for m in _MENTION.finditer(body)}
    if not handles:
        return []
    ids = []
    for participant in shipment.participants:
        local_part = participant.user.email.split("@", 1)[0].lower()
        if local_part in handles and (author is None or participant.user_id != author.id):
            ids.append(participant.user_id)
    return ids
