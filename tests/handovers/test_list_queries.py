"""The list answers `waiting_on` in a constant number of statements whatever the page holds."""

from __future__ import annotations

import uuid

from hub.threads.services import send_message
from tests import factories
from tests.threads.test_send_cost import counted_statements


def _shipments(world, count: int, start: int) -> None:
    # Half waiting on the agent, half on us (the agent answered): both kinds of hours are read.
    for n in range(start, start + count):
        shipment = factories.shipment(world.staff, f"WAIT-{n:03d}")
        factories.participant(shipment, world.agent, "agent")
        send_message(world.staff, shipment.id, "@li.wei please check", str(uuid.uuid4()), via="web")
        if n % 2:
            send_message(world.agent, shipment.id, "Checked.", str(uuid.uuid4()), via="web")


def _list(client, world) -> tuple[dict, int]:
    with counted_statements() as statements:
        answer = client.get("/api/v1/shipments?per_page=100", headers=world.headers("staff"))
    assert answer.status_code == 200, answer.json
    return answer.json, len(statements)


def test_waiting_on_costs_no_query_per_shipment(client, world):
    _shipments(world, 2, 0)
    _list(client, world)  # the first request also records the token's use
    few, few_statements = _list(client, world)
    _shipments(world, 20, 2)
    many, many_statements = _list(client, world)
    assert len(many["items"]) == len(few["items"]) + 20
    assert many_statements == few_statements
    parties = [item["waiting_on"]["party"] for item in many["items"] if item["reference"].startswith("WAIT-")]
    assert sorted(parties) == ["partner"] * 11 + ["us"] * 11
    # The page's list too.
    factories.login(client, world.staff)
    client.get("/shipments")
    with counted_statements() as page_statements:
        page = client.get("/shipments")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Waiting on Li Wei (Shenzhen Agency)") == 11
    assert len(page_statements) <= few_statements + 6, page_statements
