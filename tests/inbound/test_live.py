"""A real `hub serve` process and a real python-socketio client in the shipment's room: the
reply an agent sends by email reaches the room live, as any message does."""

from __future__ import annotations

import requests

from hub.inbound.tokens import reply_address
from tests.inbound.conftest import BOUNDARY, DOMAIN, SECRET, WEBHOOK, InboundEmailPost
from tests.live import LIVE_SECRET_KEY, LiveServer
from tests.threads.conftest import ThreadClient, detach_world


def test_an_emailed_reply_reaches_the_room_live(app, database_url, world):
    app.config.update(INBOUND_EMAIL_DOMAIN=DOMAIN, SECRET_KEY=LIVE_SECRET_KEY)  # signed as the server signs
    shipment_id, agent_id = world.shipment.id, world.agent.id
    email = InboundEmailPost(
        sender="li.wei@agency.example", sender_name="Li Wei", to=reply_address(agent_id, shipment_id),
        subject="Re: ACME-001: Arrived",
        text="Released at 15:20, truck leaves tonight.\n\nOn Fri, Nov 20, 2026 at 9:00 AM Clearance Hub wrote:\n> x\n",
    )
    detach_world(world)
    env = {"INBOUND_EMAIL_DOMAIN": DOMAIN, "INBOUND_WEBHOOK_SECRET": SECRET, "INBOUND_REQUIRE_AUTH": "1"}
    with LiveServer(database_url, env=env) as server:
        ana = ThreadClient(server.url, world.tokens["staff"]).connect()
        try:
            assert ana.join(shipment_id) == {"ok": True, "messages": [], "more": False}
            answer = requests.post(server.url + WEBHOOK, data=email.body(), timeout=20,
                                   headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
            assert answer.status_code == 200 and answer.json()["outcome"] == "posted", server.log_tail()
            ana.wait_for(lambda: ana.arrivals == [1])
            message = ana.messages[shipment_id][1]
            assert message["body"] == "Released at 15:20, truck leaves tonight."
            assert message["via"] == "email" and message["kind"] == "text"
            assert message["author"] == {"id": agent_id, "name": "Li Wei", "organization": "Shenzhen Agency"}
            # Delivered again by SendGrid: nothing new reaches the room.
            again = requests.post(server.url + WEBHOOK, data=email.body(), timeout=20,
                                  headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
            assert again.json()["outcome"] == "duplicate"
            ana.send(shipment_id, "Thanks Li!")
            ana.wait_for(lambda: ana.arrivals == [1, 2])
        finally:
            ana.disconnect()
