"""A real `hub serve` process and a real python-socketio client: a coordinator's question over
REST passes the ball to the agent; the agent's answer on the socket brings it back to us, at
the answer's own time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import requests

from hub.accounts.models import User
from hub.accounts.working_hours import working_hours_of
from hub.extensions import db
from hub.handovers.services import working_seconds
from hub.timestamps import parse_timestamp
from tests.handovers.conftest import periods
from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, detach_world


def test_a_question_and_a_socket_answer_through_a_real_server(app, database_url, world):
    shipment_id, agent_id = world.shipment.id, world.agent.id
    detach_world(world)
    with LiveServer(database_url) as server:
        question = requests.post(f"{server.url}/api/v1/shipments/{shipment_id}/messages", timeout=20,
                                 headers={"Authorization": f"Bearer {world.tokens['staff']}"},
                                 json={"body": "@li.wei has customs released it?", "client_id": str(uuid.uuid4())})
        assert question.status_code == 201, server.log_tail()
        li = ThreadClient(server.url, world.tokens["agent"]).connect()
        try:
            assert li.join(shipment_id)["ok"]
            ack = li.send(shipment_id, "Released at 14:10.")
            assert ack["ok"], ack
        finally:
            li.disconnect()
        waiting = requests.get(f"{server.url}/api/v1/shipments/{shipment_id}", timeout=20,
                               headers={"Authorization": f"Bearer {world.tokens['staff']}"}).json()["waiting_on"]
    asked, answered = parse_timestamp(question.json()["created_at"]), parse_timestamp(ack["message"]["created_at"])
    assert [(p[0], p[1], p[2]) for p in periods(shipment_id)] == [("partner", agent_id, "mention"), ("us", None, "message")]
    partner_period = periods(shipment_id)[0]
    # The agent's period runs from the question to the answer, to the microsecond.
    assert (partner_period[3], partner_period[4]) == (asked, answered)
    assert waiting["party"] == "us" and waiting["since"] == ack["message"]["created_at"]
    # Li Wei works 09:00-18:00 in Shanghai: the exchange took, in their hours, the part of it
    # that fell inside them (at most the wall-clock time it took).
    hours = working_hours_of(db.session.get(User, agent_id))
    taken = working_seconds(hours, asked, answered)
    assert 0 <= taken <= (answered - asked).total_seconds() + 1
    assert answered <= datetime.now(UTC)
