"""The milestone form suggests the regular milestone that usually comes next."""

from __future__ import annotations

from hub.milestones_catalogue import next_code


def test_the_next_regular_milestone_in_the_catalogues_order():
    assert next_code([]) == "booked"
    assert next_code(["booked"]) == "documents_requested"
    assert next_code(["booked", "arrived", "departed"]) == "duties_assessed"  # reports out of order
    assert next_code(["arrived", "on_hold"]) == "duties_assessed"  # exceptions are not a step
    assert next_code(["delivered"]) == "delivered"


def test_the_panel_selects_the_suggestion(client, world):
    from tests import factories

    client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                json={"code": "booked", "occurred_at": "2026-11-20T08:00:00Z"})
    factories.login(client, world.agent)
    html = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert '<option value="documents_requested" selected>' in html
    assert 'id="milestone-form-error" tabindex="-1" hidden' in html
