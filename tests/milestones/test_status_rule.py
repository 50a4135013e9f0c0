"""The shipment status follows from the timeline by `occurred_at`, whatever order the reports
arrive in (contract notes, Milestones: Status)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from hub.milestones.services import status_from
from hub.shipments.models import Shipment

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


CASES = [
    pytest.param([], "new", id="nothing-recorded"),
    pytest.param([("booked", 0)], "booked", id="one-regular"),
    pytest.param([("booked", 0), ("departed", 5), ("arrived", 9)], "arrived", id="in-order"),
    # The furthest in the catalogue's order wins, even when reported (and dated) earlier.
    pytest.param([("released", 10), ("arrived", 12)], "released", id="furthest-not-latest"),
    pytest.param([("on_hold", 3)], "on_hold", id="only-an-exception"),
    pytest.param([("on_hold", 3), ("under_inspection", 5)], "under_inspection", id="only-exceptions-latest-wins"),
    pytest.param([("under_inspection", 5), ("on_hold", 3)], "under_inspection", id="only-exceptions-any-order"),
    pytest.param([("arrived", 1), ("on_hold", 2)], "on_hold", id="exception-after-furthest"),
    pytest.param([("arrived", 1), ("on_hold", 2), ("duties_assessed", 3)], "duties_assessed",
                 id="exception-superseded-by-later-regular"),
    # A later regular milestone of a lower order also ends the exception (any code counts).
    pytest.param([("declaration_filed", 1), ("on_hold", 2), ("documents_complete", 3)], "declaration_filed",
                 id="exception-ended-by-lower-regular"),
    pytest.param([("arrived", 5), ("under_inspection", 2)], "arrived", id="exception-before-furthest"),
    pytest.param([("arrived", 1), ("under_inspection", 2), ("on_hold", 3)], "on_hold", id="latest-of-two-exceptions"),
    pytest.param([("arrived", 1), ("on_hold", 2), ("released", 4), ("on_hold", 5)], "on_hold",
                 id="exception-repeats-after-release"),
    # The same code twice: its latest occurrence is the one an exception has to follow.
    pytest.param([("arrived", 1), ("on_hold", 2), ("arrived", 3)], "arrived", id="repeated-furthest-code"),
    pytest.param([("arrived", 1), ("on_hold", 2), ("arrived", 3), ("under_inspection", 4)], "under_inspection",
                 id="exception-after-repeated-code"),
    # An exception at the very instant of a lower regular milestone still stands ("later" is strict).
    pytest.param([("released", 1), ("arrived", 2), ("on_hold", 2)], "on_hold", id="exception-ties-lower-regular"),
    pytest.param([("arrived", 2), ("on_hold", 2)], "arrived", id="exception-ties-furthest"),
]


@pytest.mark.parametrize(("reports", "expected"), CASES)
def test_status_from_timeline_in_every_recording_order(reports, expected):
    milestones = [(code, at(hours)) for code, hours in reports]
    for order in itertools.permutations(milestones):
        assert status_from(order) == expected, order


def test_every_status_value_is_a_column_value():
    # The rule only ever answers codes the shipment's status column knows (and the list filter offers).
    from hub.milestones_catalogue import STATUS_CODES

    assert status_from([]) in STATUS_CODES
    assert Shipment.__table__.c.status.type.length >= max(len(code) for code in STATUS_CODES)


REPORTS_OUT_OF_ORDER = [
    # (code, occurred_at) in the order the reports arrive, and the status after each report.
    (("arrived", "2026-11-10T06:00:00Z"), "arrived"),
    (("booked", "2026-11-01T09:00:00+08:00"), "arrived"),
    (("on_hold", "2026-11-10T15:00:00+01:00"), "on_hold"),
    (("departed", "2026-11-03T12:00:00Z"), "on_hold"),
    (("under_inspection", "2026-11-10T08:00:00Z"), "on_hold"),
    (("duties_assessed", "2026-11-11T09:00:00Z"), "duties_assessed"),
    (("under_inspection", "2026-11-09T09:00:00Z"), "duties_assessed"),
    (("released", "2026-11-12T09:00:00Z"), "released"),
]


def test_api_status_with_late_and_out_of_order_reports(post_milestone, client, world):
    for (code, occurred_at), expected in REPORTS_OUT_OF_ORDER:
        response = post_milestone("agent", {"code": code, "occurred_at": occurred_at})
        assert response.status_code == 201, response.json
        shipment = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("staff")).json
        assert shipment["status"] == expected, (code, occurred_at)


def test_api_status_with_only_exceptions(post_milestone, client, world):
    post_milestone("agent", {"code": "under_inspection", "occurred_at": "2026-11-10T09:00:00Z"})
    post_milestone("agent", {"code": "on_hold", "occurred_at": "2026-11-09T09:00:00Z"})
    shipment = client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("observer")).json
    assert shipment["status"] == "under_inspection"
