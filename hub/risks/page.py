"""What the risks area adds to the shipment list and page: open flags with their severity, the
last message's first line and author, the "needs me" filter and the most-urgent-first order.
Each adds a constant number of queries to a list page, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select

from hub.accounts.models import User
from hub.documents.models import Document, DocumentVersion
from hub.extensions import db
from hub.risks.models import SEVERITY_RANK, RiskFlag
from hub.risks.services import flags_view, open_flags_of
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.threads.models import Message, MessageMention
from hub.timestamps import to_iso

#: Participant roles that review documents (as hub.permissions' REVIEW_DOCUMENT rule).
_REVIEWER_ROLES = ("coordinator", "agent", "broker")


def first_line(body: str, limit: int = 120) -> str:
    """The first non-empty line of a message, cut to `limit` characters."""
    line = next((part.strip() for part in body.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def list_risks(user: User, shipments: Sequence[Shipment]) -> dict[int, dict[str, Any]]:
    """`risks` (open flags) and `last_message` (`{"seq", "first_line", "author", "kind",
    "created_at"}` or None) of each shipment of a list page: two queries."""
    ids = [s.id for s in shipments]
    flags = open_flags_of(ids)
    last = {s.id: s.last_seq for s in shipments}
    messages: dict[int, dict[str, Any]] = {}
    if ids:
        # Only the columns shown, not the messages with their authors and organizations as
        # objects: a page has a last message for nearly every row.
        for row in db.session.execute(
            select(Message.shipment_id, Message.seq, Message.kind, Message.body, Message.deleted_at,
                   Message.created_at, User.name.label("author"))
            .join(Shipment, and_(Shipment.id == Message.shipment_id, Shipment.last_seq == Message.seq))
            .outerjoin(User, User.id == Message.author_id)
            .where(Message.shipment_id.in_(ids))
        ):
            if last.get(row.shipment_id) == row.seq:
                messages[row.shipment_id] = {
                    "seq": row.seq,
                    "kind": row.kind,
                    "first_line": first_line(row.body) if row.deleted_at is None else "",
                    "author": row.author,
                    "created_at": to_iso(row.created_at),
                }
    return {
        shipment_id: {"risks": flags_view(flags[shipment_id]) if flags[shipment_id] else [],
                      "last_message": messages.get(shipment_id)}
        for shipment_id in ids
    }


def needs_me_filter(user: User, query: Select[Any]) -> Select[Any]:
    """Shipments with an open flag the viewer owns, a mention of them they have not read, or a
    document version waiting for a review they may give (not their own upload)."""
    my_flag = exists().where(RiskFlag.shipment_id == Shipment.id, RiskFlag.owner_id == user.id,
                             RiskFlag.resolved_at.is_(None))
    read_seq = (
        select(ShipmentParticipant.last_read_seq)
        .where(ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id)
        .correlate(Shipment).scalar_subquery()
    )
    unread_mention = exists().where(
        MessageMention.user_id == user.id, Message.id == MessageMention.message_id,
        Message.shipment_id == Shipment.id, Message.deleted_at.is_(None),
        Message.seq > func.coalesce(read_seq, 0),
    )
    reviewer = exists().where(ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id,
                              ShipmentParticipant.role.in_(_REVIEWER_ROLES))
    if user.is_staff:
        reviewer = or_(Shipment.owner_org_id == user.organization_id, reviewer)
    waiting_review = exists().where(
        Document.shipment_id == Shipment.id, Document.withdrawn_at.is_(None),
        DocumentVersion.document_id == Document.id, DocumentVersion.version == Document.current_version,
        DocumentVersion.status == "received",
        or_(DocumentVersion.uploaded_by_id.is_(None), DocumentVersion.uploaded_by_id != user.id),
    )
    return query.where(or_(my_flag, unread_mention, and_(reviewer, waiting_review)))


def urgency_order(user: User) -> list[Any]:
    """Most urgent first: the most severe open flag, then how many flags are open."""
    rank = func.max(case({name: value for name, value in SEVERITY_RANK.items()}, value=RiskFlag.severity, else_=0))
    worst = (select(rank).where(RiskFlag.shipment_id == Shipment.id, RiskFlag.resolved_at.is_(None))
             .correlate(Shipment).scalar_subquery())
    count = (select(func.count(RiskFlag.id)).where(RiskFlag.shipment_id == Shipment.id, RiskFlag.resolved_at.is_(None))
             .correlate(Shipment).scalar_subquery())
    return [func.coalesce(worst, 0).desc(), count.desc()]
