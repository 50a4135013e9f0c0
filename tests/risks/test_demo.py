"""The demo opens on a list that says what is at risk: open flags of several kinds, the holds
high, the tariff change on the cotton apparel, whatever day it is seeded on."""

from __future__ import annotations

from sqlalchemy import select

from hub.demo import seed
from hub.extensions import db
from hub.risks.models import RiskFlag
from hub.shipments.models import Shipment


def test_the_demo_has_open_flags_of_several_kinds(app, client):
    assert seed() is True
    rows = db.session.execute(
        select(Shipment.reference, RiskFlag.rule, RiskFlag.severity, RiskFlag.owner_id)
        .join(Shipment, Shipment.id == RiskFlag.shipment_id).where(RiskFlag.resolved_at.is_(None))
    ).all()
    kinds = {rule for _ref, rule, _severity, _owner in rows}
    assert {"on_hold", "clearance_overdue", "policy_change"} <= kinds and len(kinds) >= 3
    assert ("NW-2026-013", "clearance_overdue", "high") in {(r, k, s) for r, k, s, _o in rows}
    assert all(owner is not None for *_rest, owner in rows)
    tariff = [ref for ref, rule, _s, _o in rows if rule == "policy_change"]
    assert tariff == ["NW-2026-007"]
