"""Who is emailed for milestones, mentions, documents and missed messages (by preference, never
the actor, never inactive users), and the digest: once for several messages, dropped when read."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hub.extensions import db
from hub.notifications.digests import process_due_digests
from hub.notifications.models import NotificationPreference, OutboxEmail, PendingDigest, SuppressedAddress
from hub.shipments.models import ShipmentParticipant
from hub.signals import document_requested, document_reviewed
from hub.threads.services import send_message
from tests import factories


def _emails(kind: str | None = None) -> dict[str, str]:
    """recipient -> status of the outbox rows (of one kind)."""
    query = db.select(OutboxEmail)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return {row.to_email: row.status for row in db.session.scalars(query)}


def _prefer(user, level: str, shipment=None, muted: list[str] | None = None) -> None:
    db.session.add(NotificationPreference(user_id=user.id, shipment_id=shipment.id if shipment else None,
                                          level=level, muted_milestones=muted or []))
    db.session.commit()


def test_a_milestone_emails_participants_by_preference_never_the_actor(client, world):
    _prefer(world.observer, "mute", world.shipment)
    _prefer(world.broker, "milestones", None, ["booked"])
    pending = factories.user(world.agent.organization, "partner", "pending@agency.example", "Pending Invitee")
    pending.active = False
    factories.participant(world.shipment, pending, "forwarder")
    bounced = factories.user(world.agent.organization, "partner", "kenji@agency.example", "Kenji")
    factories.participant(world.shipment, bounced, "forwarder")
    db.session.add(SuppressedAddress(email="kenji@agency.example", reason="bounce"))
    db.session.commit()

    answer = client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                         json={"code": "booked", "occurred_at": "2026-11-20T08:00:00Z"})
    assert answer.status_code == 201
    # agent: the actor; observer: muted; broker: opted out of `booked`; pending: inactive;
    # admin: not a participant; kenji: suppressed (row kept, marked).
    assert _emails("milestone") == {"ana@acme.example": "pending", "kenji@agency.example": "suppressed"}

    client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                json={"code": "arrived", "occurred_at": "2026-11-21T08:00:00Z"})
    rows = list(db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "milestone")
                                   .order_by(OutboxEmail.id)))
    assert sorted(r.to_email for r in rows[2:]) == ["ana@acme.example", "jonas@brokers.example",
                                                    "kenji@agency.example"]
    ana = next(r for r in rows[2:] if r.to_email == "ana@acme.example")
    assert ana.subject == "ACME-001: Arrived" and "Booked" in ana.text_body  # timeline so far


def test_a_repeated_milestone_emails_nobody_again(client, world):
    body = {"code": "booked", "occurred_at": "2026-11-20T08:00:00Z"}
    client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"), json=body)
    count = len(_emails())
    assert client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                       json=body).status_code == 200
    assert len(_emails()) == count


def test_a_mention_emails_the_mentioned_participant_at_once(app, world):
    send_message(world.staff, world.shipment.id, "@li.wei and @jonas please look", str(uuid.uuid4()), "api")
    assert set(_emails("mention")) == {"li.wei@agency.example", "jonas@brokers.example"}
    _prefer(world.agent, "mute", world.shipment)
    send_message(world.broker, world.shipment.id, "@li.wei again", str(uuid.uuid4()), "api")
    assert len(list(db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "mention")))) == 2


def test_document_requests_and_reviews(app, world):
    with db.session.begin_nested():
        document_requested.send(world.shipment, actor=world.broker, request_id=7, doc_type="commercial_invoice",
                                label="Commercial invoice", due_date=date(2026, 12, 1), note="Signed, please")
    db.session.commit()
    assert set(_emails("document_requested")) == {"ana@acme.example", "li.wei@agency.example",
                                                  "olga@brokers.example"}
    with db.session.begin_nested():
        document_reviewed.send(world.shipment, actor=world.broker, uploader=world.agent, document_id=3,
                               doc_type="commercial_invoice", label="Commercial invoice", filename="inv.pdf",
                               version=2, decision="reject", reason="Unsigned")
    db.session.commit()
    assert _emails("document_reviewed") == {"li.wei@agency.example": "pending"}
    _prefer(world.agent, "mute", world.shipment)
    document_reviewed.send(world.shipment, actor=world.broker, uploader=world.agent, document_id=3,
                           doc_type="commercial_invoice", label="Commercial invoice", filename="inv.pdf",
                           version=3, decision="accept", reason=None)
    db.session.commit()
    assert len(list(db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "document_reviewed")))) == 1


def _digest_rows():
    db.session.expire_all()
    return list(db.session.scalars(db.select(PendingDigest)))


def test_the_digest_sends_once_for_several_messages_and_is_dropped_when_read(app, world):
    delay = timedelta(seconds=app.config["DIGEST_DELAY_S"])
    _prefer(world.broker, "all")
    first, _ = send_message(world.staff, world.shipment.id, "First", str(uuid.uuid4()), "api")
    send_message(world.agent, world.shipment.id, "Second", str(uuid.uuid4()), "api")
    send_message(world.staff, world.shipment.id, "Third", str(uuid.uuid4()), "api")
    due = {(d.user_id, d.due_at) for d in _digest_rows() if d.due_at}
    # broker (all) and staff (all, staff default) for the agent's message; never the author alone.
    assert (world.broker.id, first.created_at + delay) in due
    assert (world.staff.id, next(d.due_at for d in _digest_rows() if d.user_id == world.staff.id)) in due
    assert all(d.user_id in (world.broker.id, world.staff.id) for d in _digest_rows())

    assert process_due_digests(now=first.created_at + delay - timedelta(seconds=1)) == 0  # not due yet
    # Ana's row came from the agent's message, but posting "Third" marked the thread read for
    # her: nothing is unread, so only the broker gets a digest.
    assert process_due_digests(now=first.created_at + delay + timedelta(seconds=5)) == 1
    digests = {r.to_email: r for r in db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "digest"))}
    broker_digest = digests["jonas@brokers.example"]
    assert broker_digest.subject == "ACME-001: 3 messages you missed"
    assert all(word in broker_digest.text_body for word in ("First", "Second", "Third"))
    assert set(digests) == {"jonas@brokers.example"}
    assert process_due_digests(now=first.created_at + delay * 10) == 0  # sent once

    later, _ = send_message(world.staff, world.shipment.id, "Fourth", str(uuid.uuid4()), "api")
    participant = db.session.scalar(db.select(ShipmentParticipant).where(
        ShipmentParticipant.user_id == world.broker.id, ShipmentParticipant.shipment_id == world.shipment.id))
    participant.last_read_seq = later.seq  # the broker read it in the browser
    db.session.commit()
    assert process_due_digests(now=later.created_at + delay * 2) == 0
    assert [d.due_at for d in _digest_rows() if d.user_id == world.broker.id] == [None]  # dropped
    assert len(list(db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "digest")))) == 1


def test_milestone_messages_are_not_digested(client, world):
    _prefer(world.broker, "all")
    client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                json={"code": "booked", "occurred_at": "2026-11-20T08:00:00Z"})
    assert _digest_rows() == []


def test_the_worker_turns_a_due_digest_into_a_sent_email(app, world):
    from hub.notifications.worker import run_worker

    app.config["DIGEST_DELAY_S"] = 0
    _prefer(world.broker, "all")
    send_message(world.staff, world.shipment.id, "Customs called", str(uuid.uuid4()), "api")
    run_worker(app, once=True)
    db.session.expire_all()
    [digest] = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "digest"))
    assert (digest.to_email, digest.status, digest.transport) == ("jonas@brokers.example", "sent", "mailbox")
