"""Fixtures of the risk tests: the room events emitted after commit, the thread's system
messages, the escalation emails in the outbox, a frozen clock for the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from hub.risks.models import RiskFlag
from hub.threads.models import Message
from hub.timestamps import parse_timestamp


@pytest.fixture
def emitted(monkeypatch) -> list[tuple[str, dict[str, Any], str]]:
    """(event, payload, room) of every Socket.IO event sent after a commit (one process, no queue)."""
    from hub.extensions import socketio

    sent: list[tuple[str, dict[str, Any], str]] = []
    original = socketio.emit

    def record(event: str, payload: Any = None, to: str | None = None, **kwargs: Any) -> Any:
        sent.append((event, payload, to))
        return original(event, payload, to=to, **kwargs)

    monkeypatch.setattr(socketio, "emit", record)
    return sent


@pytest.fixture
def now_is(monkeypatch):
    """Freeze "now" for the rules, the clock and new rows: `now_is("2026-02-11T04:00:00Z")`."""

    def set_now(moment: str) -> datetime:
        frozen = parse_timestamp(moment)
        for target in ("hub.risks.services.utcnow", "hub.countries.clock.utcnow"):
            monkeypatch.setattr(target, lambda: frozen)
        return frozen

    return set_now


def flags(shipment_id: int, rule: str | None = None) -> list[RiskFlag]:
    """The shipment's flags (of one rule), oldest first."""
    db.session.expire_all()
    query = select(RiskFlag).where(RiskFlag.shipment_id == shipment_id)
    if rule:
        query = query.where(RiskFlag.rule == rule)
    return list(db.session.scalars(query.order_by(RiskFlag.id)))


def system_messages(shipment_id: int) -> list[str]:
    """Bodies of the thread's system messages, in seq order."""
    return list(db.session.scalars(
        select(Message.body).where(Message.shipment_id == shipment_id, Message.kind == "system").order_by(Message.seq)
    ))


def risk_emails(shipment_id: int) -> list[OutboxEmail]:
    """The escalation emails queued about the shipment."""
    db.session.expire_all()
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.shipment_id == shipment_id, OutboxEmail.kind.like("risk_%"))
        .order_by(OutboxEmail.id)
    ))


def risk_events(emitted: list, change: str | None = None) -> list[tuple[str, dict[str, Any], str]]:
    """The `risk` events emitted (with one change)."""
    return [e for e in emitted if e[0] == "risk" and (change is None or e[1]["change"] == change)]
