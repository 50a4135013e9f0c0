"""The demo tells a believable story: messages dated over the shipments' real dates and in
`seq` order, different conversations per shipment, documents that match the milestones."""

from __future__ import annotations

from sqlalchemy import select

from hub.demo import seed
from hub.documents.services import checklist, list_requests
from hub.extensions import db
from hub.milestones.services import timeline
from hub.shipments.models import Shipment
from hub.threads.models import Message


def test_the_demo_story_holds_together(app):
    assert seed() is True
    shipments = db.session.scalars(select(Shipment).order_by(Shipment.reference)).all()
    conversations = set()
    for shipment in shipments:
        messages = db.session.scalars(
            select(Message).where(Message.shipment_id == shipment.id).order_by(Message.seq)).all()
        times = [m.created_at for m in messages]
        assert times == sorted(times), shipment.reference
        codes = [m.code for m in timeline(shipment)]
        if len(codes) > 2:
            assert (times[-1] - times[0]).days >= 2, f"{shipment.reference}: messages not spread over its dates"
        conversations.add(tuple(m.body for m in messages if m.kind == "text"))
        state = checklist(shipment)
        if "documents_complete" in codes:
            assert state["complete"], f"{shipment.reference} records Documents complete but {state['items']}"
        elif "documents_requested" in codes:
            assert any(r.status == "open" for r in list_requests(shipment))
        if shipment.status == "on_hold":
            assert any(r.doc_type == "phytosanitary_certificate" and r.status == "open"
                       for r in list_requests(shipment))
    assert len(conversations) >= 8  # not one script pasted everywhere
