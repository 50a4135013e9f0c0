"""The shipment list: each shipment's open flags and last message, "needs me", most urgent
first, in a constant number of statements whatever the number of shipments."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from hub.extensions import db
from hub.risks.services import open_flag
from hub.shipment_tx import shipment_transaction
from hub.threads.models import Message
from hub.threads.services import add_message
from tests import factories
from tests.threads.test_send_cost import counted_statements


def _flag(shipment_id: int, severity: str, owner=None) -> None:
    with shipment_transaction(shipment_id) as locked:
        open_flag(locked, "policy_change", severity, detail="Tariff change", owner=owner)


def _post(shipment_id: int, author, body: str) -> None:
    with shipment_transaction(shipment_id) as locked:
        add_message(locked, author, body, client_id=str(uuid.uuid4()))


def _list(client, world, query: str = "") -> tuple[dict, int]:
    with counted_statements() as statements:
        answer = client.get(f"/api/v1/shipments?per_page=100{query}", headers=world.headers("staff"))
    assert answer.status_code == 200, answer.json
    return answer.json, len(statements)


def _many(world, start: int, count: int) -> None:
    for n in range(start, start + count):
        shipment = factories.shipment(world.staff, f"BULK-{n:03d}")
        _flag(shipment.id, "low")
        _post(shipment.id, world.staff, f"Bulk note {n}\nsecond line")


def test_flags_and_last_message_cost_no_query_per_shipment(client, world):
    _many(world, 0, 2)
    _list(client, world)
    few, few_statements = _list(client, world)
    _many(world, 2, 15)
    many, many_statements = _list(client, world)
    assert len(many["items"]) == len(few["items"]) + 15
    assert many_statements == few_statements
    bulk = next(item for item in many["items"] if item["reference"] == "BULK-003")
    assert [f["severity"] for f in bulk["risks"]] == ["low"]
    assert bulk["last_message"]["first_line"] == "Bulk note 3" and bulk["last_message"]["author"] == "Ana Coordinator"


def test_most_urgent_first_and_needs_me(client, world):
    factories.shipment(world.staff, "CALM-1")
    medium = factories.shipment(world.staff, "MED-1")
    high = factories.shipment(world.staff, "HIGH-1")
    mention = factories.shipment(world.staff, "MENTION-1")
    factories.participant(mention, world.agent, "agent")
    _flag(medium.id, "medium")
    _flag(high.id, "high")
    _post(mention.id, world.agent, "@ana can you confirm the HS code?")
    items, _ = _list(client, world)
    order = [item["reference"] for item in items["items"]]
    assert order.index("HIGH-1") < order.index("MED-1") < order.index("CALM-1")
    needs, _ = _list(client, world, "&shows=needs_me")
    assert sorted(item["reference"] for item in needs["items"]) == ["HIGH-1", "MED-1", "MENTION-1"]
    # Reading the thread takes the mention off the list.
    client.post(f"/api/v1/shipments/{mention.id}/read", json={"seq": 1}, headers=world.headers("staff"))
    needs, _ = _list(client, world, "&shows=needs_me")
    assert "MENTION-1" not in [item["reference"] for item in needs["items"]]
    page = client.get("/shipments?shows=needs_me", headers=world.headers("staff"))
    assert page.status_code == 200


def test_pages_walk_the_urgency_order_without_repeating_or_missing_a_shipment(client, world):
    """Each page is chosen from the whole sorted list: flagged shipments lead, each page
    continues where the last one ended, and the unread counts travel with their shipments."""
    severities = {"P-0": None, "P-1": "low", "P-2": "high", "P-3": None, "P-4": "medium", "P-5": "high", "P-6": None}
    for reference, severity in severities.items():
        shipment = factories.shipment(world.staff, reference)
        if severity:
            _flag(shipment.id, severity)
        _post(shipment.id, world.staff, f"Note on {reference}")
    headers = world.headers("staff")
    whole = client.get("/api/v1/shipments?per_page=200", headers=headers).json["items"]
    walked = []
    for page in (1, 2, 3, 4, 5):
        answer = client.get(f"/api/v1/shipments?per_page=2&page={page}", headers=headers).json
        walked += answer["items"]
    assert [item["reference"] for item in walked] == [item["reference"] for item in whole]
    assert {item["reference"] for item in walked} >= set(severities)
    ranked = [item["reference"] for item in whole if item["reference"] in severities]
    # Both high ones first (the newer first), then medium, low, then the calm ones newest first.
    assert ranked == ["P-5", "P-2", "P-4", "P-1", "P-6", "P-3", "P-0"]
    assert [item["unread_count"] for item in walked] == [item["unread_count"] for item in whole]


def test_last_message_of_a_system_message_and_of_a_deleted_one(client, world):
    """A system message has no author; a deleted message shows no line, yet is still the last."""
    from hub.threads.services import delete_message

    system = factories.shipment(world.staff, "SYS-1")
    with shipment_transaction(system.id) as locked:
        add_message(locked, None, "Customs released the goods.", kind="system")
    gone = factories.shipment(world.staff, "GONE-1")
    _post(gone.id, world.staff, "Wrong thread, sorry")
    message = db.session.scalars(select(Message).where(Message.shipment_id == gone.id)).one()
    delete_message(world.staff, message.id)
    items = {item["reference"]: item for item in _list(client, world)[0]["items"]}
    assert items["SYS-1"]["last_message"] | {"created_at": None} == {
        "seq": 1, "kind": "system", "first_line": "Customs released the goods.", "author": None, "created_at": None}
    assert items["GONE-1"]["last_message"]["first_line"] == ""
    assert items["GONE-1"]["last_message"]["seq"] == 1
    assert items["GONE-1"]["last_message"]["author"] == world.staff.name
