"""The demo data: each shipment's status comes from a timeline recorded through the service."""

from __future__ import annotations

from sqlalchemy import select

from hub.demo import _SHIPMENTS, history_rows, seed
from hub.extensions import db
from hub.milestones.services import status_from, timeline
from hub.shipments.models import Shipment
from hub.threads.models import Message
from hub.timestamps import utcnow


def test_demo_statuses_follow_from_recorded_timelines(app):
    assert seed() is True
    expected = {row[0]: row[10] for row in _SHIPMENTS}
    # The released history the dashboard draws: every third one not delivered yet.
    expected |= {row[0]: "delivered" if n % 3 else "released" for n, row in enumerate(history_rows(utcnow()))}
    shipments = db.session.scalars(select(Shipment).order_by(Shipment.reference)).all()
    assert {s.reference: s.status for s in shipments} == expected
    # The first twelve show every status once; the last three show the clearance clock (tests/countries).
    assert len({row[10] for row in _SHIPMENTS[:12]}) == 12
    for shipment in shipments:
        milestones = timeline(shipment)
        assert shipment.status == status_from([(m.code, m.occurred_at) for m in milestones])
        assert (shipment.status == "new") == (milestones == [])
        times = [m.occurred_at for m in milestones]
        assert times == sorted(times)
        # Each milestone posted its thread message, by the partner or coordinator who reported it.
        posted = db.session.scalars(
            select(Message).where(Message.shipment_id == shipment.id, Message.kind == "milestone")
        ).all()
        assert len(posted) == len(milestones)
        assert {m.author_id for m in posted} == {m.recorded_by_id for m in milestones} or not milestones
        # ETD and ETA agree with the timeline once the shipment has departed or arrived.
        recorded = {m.code: m.occurred_at for m in milestones}
        if "departed" in recorded:
            assert shipment.etd == recorded["departed"]
        if "arrived" in recorded:
            assert shipment.eta == recorded["arrived"]
        observers = {p.user_id for p in shipment.participants if p.role == "observer"}
        assert not observers & {m.recorded_by_id for m in milestones}
