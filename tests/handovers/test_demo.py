"""The demo shows whose move it is (partners and us, for a while) and has the history the
dashboard draws: released shipments over the last months across destinations, partners, modes."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.models import find_user_by_email
from hub.dashboard.services import check_period, dashboard
from hub.demo import seed
from hub.extensions import db
from hub.handovers.services import waiting_on_of
from hub.shipments.models import Shipment


def test_the_demo_shows_whose_move_it_is_and_draws_the_charts(app):
    assert seed() is True
    shipments = db.session.scalars(select(Shipment).where(Shipment.reference <= "NW-2026-015")).all()
    waiting = waiting_on_of(shipments)
    parties = [w.party for w in waiting.values()]
    assert parties.count("partner") >= 8 and parties.count("us") >= 4, parties
    assert any(w.seconds() > 0 for w in waiting.values())
    ana = find_user_by_email("ana@northwind.example")
    # The default period (the last 90 days) holds every lane of the history.
    board = dashboard(ana, check_period(None, None))
    assert {s.label for s in board.clearance_by_country} == {"US", "MX", "DE", "CN"}
    assert {s.label for s in board.clearance_by_mode} == {"sea", "air", "road", "rail", "courier"}
    assert len(board.clearance_by_agent) == 4 and len(board.response_by_organization) == 4
    assert 0 < sum(on_time for _c, on_time, _r in board.on_time) < board.released
    assert board.by_status.get("on_hold") == 2 and board.overdue >= 1
