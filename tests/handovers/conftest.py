"""Fixtures of the hand-over tests: a frozen "now" for every module that stamps or counts
time on the hand-over path, and a shipper in Chicago working with an agent in Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from hub.extensions import db
from hub.handovers.models import Handover
from hub.timestamps import parse_timestamp
from tests import factories
from tests.inbound.conftest import inbound_app  # noqa: F401  (the reply-by-email app, a fixture)

_CLOCKS = ("hub.threads.services.utcnow", "hub.handovers.subscribers.utcnow", "hub.handovers.services.utcnow",
           "hub.accounts.working_hours.utcnow", "hub.countries.clock.utcnow")


@pytest.fixture
def now_is(monkeypatch):
    """Set the current time of the hand-over path: `now_is("2026-11-13T16:00:00Z")`."""

    def set_now(moment: str) -> datetime:
        frozen = parse_timestamp(moment)
        for target in _CLOCKS:
            monkeypatch.setattr(target, lambda: frozen)
        return frozen

    return set_now


@dataclass
class Pair:
    """Cora, a coordinator in Chicago, and Li Wei, an agent in Shanghai, on one shipment to China."""

    coordinator: Any
    agent: Any
    broker: Any
    shipment: Any
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        """Bearer headers of `coordinator`, `agent` or `broker`."""
        return factories.bearer(self.tokens[who])


@pytest.fixture
def pair(app) -> Pair:
    """The Chicago-Shanghai shipment (destination China)."""
    shipper = factories.org("shipper", "US", "Northwind Imports", "America/Chicago")
    agency = factories.org("customs_agent", "CN", "Shenzhen Harbour Customs", "Asia/Shanghai")
    brokerage = factories.org("broker", "DE", "Hanse Zoll", "Europe/Berlin")
    cora = factories.user(shipper, "coordinator", "cora@northwind.example", "Cora Coordinator", "en", "America/Chicago")
    li = factories.user(agency, "partner", "li.wei@szharbour.example", "Li Wei", "zh_Hans", "Asia/Shanghai")
    jonas = factories.user(brokerage, "partner", "jonas@hanse.example", "Jonas Becker", "en", "Europe/Berlin")
    shipment = factories.shipment(cora, "NW-CN-1", origin_country="US", destination_country="CN")
    factories.participant(shipment, li, "agent")
    factories.participant(shipment, jonas, "broker")
    tokens = {"coordinator": factories.token(cora), "agent": factories.token(li), "broker": factories.token(jonas)}
    return Pair(cora, li, jonas, shipment, tokens)


def periods(shipment_id: int) -> list[tuple[str, int | None, str, datetime, datetime | None]]:
    """(party, user_id, cause, since, until) of every hand-over of the shipment, oldest first."""
    db.session.expire_all()
    rows = db.session.scalars(db.select(Handover).where(Handover.shipment_id == shipment_id).order_by(Handover.id))
    return [(r.party, r.user_id, r.cause, r.since, r.until) for r in rows]
