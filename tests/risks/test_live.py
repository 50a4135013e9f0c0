"""A real server and python-socketio clients: a hold reported over REST reaches the agent in the
shipment's room and the coordinator, who has not opened the shipment, in their user room."""

from __future__ import annotations

import requests

from hub.timestamps import to_iso, utcnow
from tests.threads.conftest import connect, live_server, live_servers  # noqa: F401  (fixtures)


def test_risk_events_reach_the_room_and_the_coordinators(world, connect, live_server):  # noqa: F811
    coordinator = connect(world.tokens["staff"])
    agent = connect(world.tokens["agent"])
    for client in (coordinator, agent):
        client.sio.on("risk", client._recorder("risk"))
    agent.join(world.shipment.id)
    answer = requests.post(f"{live_server.url}/api/v1/shipments/{world.shipment.id}/milestones",
                           json={"code": "on_hold", "occurred_at": to_iso(utcnow().replace(microsecond=0))},
                           headers=world.headers("agent"), timeout=10)
    assert answer.status_code == 201, answer.text

    def got_risk(client) -> bool:
        return any(name == "risk" and data["change"] == "opened" and data["risk"]["rule"] == "on_hold"
                   for name, data in client.events)

    coordinator.wait_for(lambda: got_risk(coordinator))
    agent.wait_for(lambda: got_risk(agent))
    # The thread got the system message too, live.
    agent.wait_for(lambda: any(m["kind"] == "system" and m["body"].startswith("Risk opened (high): On hold")
                               for m in agent.messages.get(world.shipment.id, {}).values()))
    listed = requests.get(f"{live_server.url}/api/v1/shipments/{world.shipment.id}/risks",
                          headers=world.headers("agent"), timeout=10).json()
    assert [f["rule"] for f in listed["items"]] == ["on_hold"]
