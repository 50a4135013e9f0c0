"""The `no_response` risk rule: raised by the worker's scheduled re-check once a partner has
held the ball past RISK_RESPONSE_HOURS of their own working hours, resolved once they answer."""

from __future__ import annotations

import uuid

from hub.extensions import db
from hub.risks.models import RiskFlag
from hub.risks.services import check_all
from hub.threads.models import Message
from hub.threads.services import send_message
from hub.timestamps import parse_timestamp


def _flags(shipment_id: int) -> list[tuple[str, bool]]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(RiskFlag).where(RiskFlag.shipment_id == shipment_id, RiskFlag.rule == "no_response"))
    return [(row.detail, row.resolved_at is None) for row in rows]


def test_no_response_counts_the_partners_working_hours(app, pair, now_is):
    assert app.config["RISK_RESPONSE_HOURS"] == 8
    sid = pair.shipment.id
    # Monday 16 November 2026, 09:00 in Shanghai (01:00 UTC).
    now_is("2026-11-16T01:00:00Z")
    send_message(pair.coordinator, sid, "@li.wei can you send the customs entry?", str(uuid.uuid4()), via="web")
    # 17:00 in Shanghai: eight hours, not past them.
    check_all(parse_timestamp("2026-11-16T09:00:00Z"))
    assert _flags(sid) == []
    # 17:30 in Shanghai: 8.5 working hours.
    check_all(parse_timestamp("2026-11-16T09:30:00Z"))
    assert _flags(sid) == [("Li Wei (Shenzhen Harbour Customs) has not answered for 8 h of their working hours", True)]
    notes = db.session.scalars(db.select(Message.body).where(Message.shipment_id == sid, Message.kind == "system")).all()
    assert any("No response from a partner" in body for body in notes), notes
    # Li Wei answers; the next scheduled run resolves the flag.
    now_is("2026-11-17T01:45:00Z")
    send_message(pair.agent, sid, "Attached this morning.", str(uuid.uuid4()), via="web")
    check_all(parse_timestamp("2026-11-17T02:00:00Z"))
    assert _flags(sid) == [("Li Wei (Shenzhen Harbour Customs) has not answered for 8 h of their working hours", False)]


def test_the_limit_is_configurable(app, pair, now_is):
    app.config["RISK_RESPONSE_HOURS"] = 1
    now_is("2026-11-16T01:00:00Z")
    send_message(pair.coordinator, pair.shipment.id, "@li.wei ping", str(uuid.uuid4()), via="web")
    check_all(parse_timestamp("2026-11-16T02:30:00Z"))
    assert [open_ for _detail, open_ in _flags(pair.shipment.id)] == [True]
