"""A real `hub serve` process and real python-socketio clients: chatting, refusals, error
acknowledgements and the eviction of a removed participant."""

from __future__ import annotations

import uuid

import pytest
import socketio

from hub.extensions import db
from hub.threads.models import Message
from tests.threads.conftest import ThreadClient, browser_login, cookie_header


def test_two_users_chat_in_seq_order_and_an_outsider_is_refused(world, live_server, connect):
    sid = world.shipment.id
    ana = connect(world.tokens["staff"])
    li = connect(world.tokens["agent"])
    assert ana.join(sid) == {"ok": True, "messages": [], "more": False}
    assert li.join(sid)["ok"]

    sent = []
    for i in range(10):
        sender = ana if i % 2 == 0 else li
        answer = sender.send(sid, f"message **{i}**")
        assert answer["ok"], answer
        sent.append(answer["message"])
    assert [m["seq"] for m in sent] == list(range(1, 11))
    assert sent[0]["body_html"] == "<p>message <strong>0</strong></p>"
    assert sent[1]["author"] == {"id": world.agent.id, "name": "Li Wei", "organization": "Shenzhen Agency"}

    for client in (ana, li):
        client.wait_for(lambda c=client: len(c.arrivals) == 10)
        assert client.arrivals == list(range(1, 11))  # live events arrive in seq order
        assert [m["body"] for m in client.messages[sid].values()] == [f"message **{i}**" for i in range(10)]

    zhang = connect(world.tokens["outsider"])
    refused = zhang.call("join", {"shipment_id": sid, "after_seq": 0})
    assert refused == {"ok": False, "error": {"code": "not_found", "message": "Shipment not found."}}
    assert zhang.send(sid, "let me in")["error"]["code"] == "not_found"
    assert zhang.arrivals == []
    ana.send(sid, "after the outsider tried")
    li.wait_for(lambda: 11 in li.arrivals)
    assert zhang.arrivals == []


def test_connect_needs_a_session_cookie_or_a_token(world, live_server):
    for auth in (None, {"token": "hub_not-a-token"}, {"token": 42}):
        client = socketio.Client(reconnection=False)
        reasons = []
        client.on("connect_error", reasons.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(live_server.url, auth=auth, transports=["websocket"], wait_timeout=5)
        assert reasons[0]["data"] == {"code": "unauthorized"}
        assert "Sign in" in reasons[0]["message"] or "token is not valid" in reasons[0]["message"]

    browser = browser_login(live_server.url, "li.wei@agency.example")
    # Long-polling (the fallback when websockets are blocked), as a browser sends it.
    cookie = {"Cookie": cookie_header(browser), "Origin": live_server.url}
    client = ThreadClient(live_server.url, headers=cookie, transports=["polling"]).connect()
    try:
        assert client.join(world.shipment.id)["ok"]
        assert client.send(world.shipment.id, "from the browser session")["message"]["author"]["id"] == world.agent.id
    finally:
        client.disconnect()

    # A page of another site cannot ride on the cookie.
    foreign = ThreadClient(live_server.url, headers={"Cookie": cookie_header(browser), "Origin": "http://evil.example"},
                           transports=["polling"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect()


def test_every_bad_input_gets_an_error_ack_and_changes_nothing(world, live_server, connect):
    sid = world.shipment.id
    li = connect(world.tokens["agent"])
    olga = connect(world.tokens["observer"])
    good = str(uuid.uuid4())

    def code(client, event, payload):
        answer = client.call(event, payload)
        assert answer["ok"] is False and set(answer["error"]) >= {"code", "message"}, answer
        return answer["error"]["code"]

    for payload in ("not an object", ["list"], None, 42, {}, {"shipment_id": "1"}, {"shipment_id": True},
                    {"shipment_id": 1.5}, {"shipment_id": -1}):
        for event in ("join", "send", "typing", "read", "leave"):
            assert code(li, event, payload) == "malformed_request", (event, payload)
    for client_id in (None, 7, "not-a-uuid", ""):
        assert code(li, "send", {"shipment_id": sid, "body": "hi", "client_id": client_id}) == "malformed_request"
    assert code(li, "send", {"shipment_id": sid, "body": "hi"}) == "malformed_request"
    for body in ("", "   \n", None, 12, "x" * 10_001):
        assert code(li, "send", {"shipment_id": sid, "body": body, "client_id": good}) == "validation_error"
    assert code(li, "join", {"shipment_id": sid, "after_seq": "3"}) == "validation_error"
    assert code(li, "read", {"shipment_id": sid, "seq": -1}) == "validation_error"
    assert code(olga, "send", {"shipment_id": sid, "body": "observer here", "client_id": good}) == "forbidden"
    assert code(olga, "typing", {"shipment_id": sid}) == "forbidden"
    for missing in (sid + 1000,):
        for event in ("join", "typing", "read"):
            assert code(li, event, {"shipment_id": missing, "seq": 0}) == "not_found"
        assert code(li, "send", {"shipment_id": missing, "body": "hi", "client_id": good}) == "not_found"

    # An observer still joins, reads and marks read.
    assert olga.join(sid)["ok"]
    assert li.send(sid, "x" * 10_000, good)["ok"]  # exactly at the limit
    assert olga.call("read", {"shipment_id": sid, "seq": 1}) == {"ok": True, "seq": 1, "unread_count": 0}
    db.session.rollback()
    assert db.session.query(Message).count() == 1


def test_a_removed_participant_leaves_the_room_at_once(world, live_server, connect):
    sid = world.shipment.id
    staff_http = browser_login(live_server.url, "ana@acme.example")
    ana = connect(world.tokens["staff"])
    jonas = connect(world.tokens["broker"])
    assert ana.join(sid)["ok"] and jonas.join(sid)["ok"]
    ana.send(sid, "before removal")
    jonas.wait_for(lambda: jonas.arrivals == [1])

    removed = staff_http.delete(f"{live_server.url}/api/v1/shipments/{sid}/participants/{world.broker.id}",
                                headers={"X-CSRFToken": _csrf(staff_http, live_server.url, sid)}, timeout=10)
    assert removed.status_code == 204, removed.text
    for i in range(5):
        assert ana.send(sid, f"after removal {i}")["ok"]
    ana.wait_for(lambda: len(ana.arrivals) == 6)
    assert jonas.arrivals == [1]
    assert jonas.send(sid, "still here?")["error"]["code"] == "not_found"
    assert jonas.join(sid)["error"]["code"] == "not_found"
    assert jonas.sio.connected  # evicted from the shipment, not disconnected


def _csrf(session, url, shipment_id):
    import re

    page = session.get(f"{url}/shipments/{shipment_id}", timeout=10).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_an_open_socket_acts_as_its_user_is_now(world, live_server, connect):
    from hub.accounts.models import User

    sid = world.shipment.id
    li = connect(world.tokens["agent"])
    assert li.join(sid)["ok"]
    user = db.session.get(User, world.agent.id)
    user.name = "Li Wei (Shenzhen)"
    db.session.commit()
    sent = li.send(sid, "after the rename")
    assert sent["message"]["author"] == {"id": world.agent.id, "name": "Li Wei (Shenzhen)",
                                         "organization": "Shenzhen Agency"}

    user = db.session.get(User, world.agent.id)
    user.active = False
    db.session.commit()
    refused = li.send(sid, "after the deactivation")
    assert refused["ok"] is False and refused["error"]["code"] == "unauthorized", refused
    assert li.call("typing", {"shipment_id": sid})["error"]["code"] == "unauthorized"
    db.session.rollback()
    assert [m.body for m in db.session.scalars(db.select(Message).where(Message.shipment_id == sid))] == [
        "after the rename"]
