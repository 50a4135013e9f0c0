"""The list answers each shipment's clock in a constant number of statements, also for
shipments that have no stored clock yet (written before the clocks existed, or in bulk)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.extensions import db
from hub.milestones.models import Milestone
from tests import factories
from tests.threads.test_send_cost import counted_statements


def _bulk_shipments(world, count: int, start: int) -> None:
    # Like an upgraded database: shipments and their arrivals, but no clearance clock rows.
    for n in range(start, start + count):
        shipment = factories.shipment(world.staff, f"BULK-{n:03d}", destination_country="DE",
                                      eta=datetime(2026, 11, 2, tzinfo=UTC))
        db.session.add(Milestone(shipment_id=shipment.id, code="arrived", occurred_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
                                 recorded_by_id=world.staff.id))
    db.session.commit()


def _list(client, world) -> tuple[dict, int]:
    with counted_statements() as statements:
        answer = client.get("/api/v1/shipments?per_page=100", headers=world.headers("staff"))
    assert answer.status_code == 200, answer.json
    return answer.json, len(statements)


def test_clocks_of_shipments_without_a_stored_clock_cost_no_query_each(client, world):
    _bulk_shipments(world, 2, 0)
    _list(client, world)  # the first request also records the token's use
    few, few_statements = _list(client, world)
    _bulk_shipments(world, 20, 2)
    many, many_statements = _list(client, world)
    assert len(many["items"]) == len(few["items"]) + 20
    assert many_statements == few_statements
    bulk = [item for item in many["items"] if item["reference"].startswith("BULK-")]
    # Worked out from the arrival report: Monday 2 November 2026 at the German port.
    assert {item["clearance"]["basis"] for item in bulk} == {"arrived"}
    assert len({item["clearance"]["expected_release_on"] for item in bulk}) == 1
