"""The demo shows whose move it is (partners and us, for a while) and has the history the
dashboard draws: released shipments over the last months across destinations, partners, modes."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.models import find_user_by_email
from hub.dashboard.services import check_period, dashboard
from hub.demo import _before_working_hours, seed
from hub.extensions import db
from hub.handovers.services import waiting_on_of
from hub.shipments.models import Shipment
from hub.timestamps import parse_timestamp


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

    # Whatever day the demo is seeded (the CI that found this ran on a Sunday), its stories end
    # and its last words are said in the coordinator's working hours (09:00-18:00 in Chicago).
    monday_early = parse_timestamp("2026-12-07T14:00:00Z")  # 08:00 in Chicago
    assert _before_working_hours(ana, monday_early, 3) == parse_timestamp("2026-12-04T21:00:00Z")  # Fri 15:00
    sunday = parse_timestamp("2026-12-06T13:30:00Z")
    assert _before_working_hours(ana, sunday, 0) == parse_timestamp("2026-12-05T00:00:00Z")  # Fri 18:00
    tuesday = parse_timestamp("2026-12-08T20:00:00Z")  # 14:00 in Chicago
    assert _before_working_hours(ana, tuesday, 11) == parse_timestamp("2026-12-07T18:00:00Z")  # Mon 12:00
