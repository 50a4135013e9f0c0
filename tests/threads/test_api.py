"""The thread's REST API on SQLite and PostgreSQL: posting, paging, editing, deleting, read
state, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from hub.extensions import db
from hub.threads.models import Message, MessageMention, MessageRevision


def post(client, world, who, body, client_id=None, shipment_id=None):
    payload = {"body": body} | ({"client_id": client_id} if client_id else {})
    return client.post(f"/api/v1/shipments/{shipment_id or world.shipment.id}/messages", json=payload,
                       headers=world.headers(who))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Message)) or 0


def test_post_answers_the_message_object_and_a_repeat_answers_the_original(client, world):
    client_id = str(uuid.uuid4())
    first = post(client, world, "agent", "Container **MSKU 123** is at the gate, @ana", client_id)
    assert first.status_code == 201, first.json
    message = first.json
    assert set(message) == {"id", "shipment_id", "seq", "kind", "author", "body", "body_html", "client_id", "via",
                            "created_at", "edited_at", "deleted_at", "facts"}
    assert message["seq"] == 1 and message["kind"] == "text" and message["via"] == "api"
    assert message["author"] == {"id": world.agent.id, "name": "Li Wei", "organization": "Shenzhen Agency"}
    assert message["body_html"] == "<p>Container <strong>MSKU 123</strong> is at the gate, @ana</p>"
    assert message["created_at"].endswith("Z") and message["edited_at"] is None and message["deleted_at"] is None
    assert message["client_id"] == client_id

    again = post(client, world, "agent", "a different body this time", client_id)
    assert again.status_code == 200 and again.json == message
    assert count() == 1
    # The mention of @ana (the coordinator's local part) is recorded.
    assert db.session.scalars(select(MessageMention.user_id)).all() == [world.staff.id]

    # A client_id is optional for integrations; each such post is a new message.
    assert post(client, world, "staff", "no client id").status_code == 201
    assert post(client, world, "staff", "no client id").json["seq"] == 3


def test_raw_html_never_passes_through(client, world):
    answer = post(client, world, "staff", '<script>alert(1)</script> [x](javascript:alert(1)) *fine*')
    assert answer.status_code == 201
    html = answer.json["body_html"]
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "href" not in html  # a javascript: link stays plain text
    assert "<em>fine</em>" in html


def test_who_may_post_and_read(client, world):
    assert post(client, world, "observer", "hello").status_code == 403
    assert post(client, world, "observer", "hello").json["error"]["code"] == "forbidden"
    for who in ("outsider", "other_staff"):
        answer = post(client, world, who, "hello")
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
        assert client.get(f"/api/v1/shipments/{world.shipment.id}/messages", headers=world.headers(who)).status_code == 404
    assert post(client, world, "agent", "hello", shipment_id=world.shipment.id + 999).status_code == 404
    assert post(client, world, "anonymous", "hello").status_code == 401
    # Staff of the owner who are not participants post too; the observer reads.
    assert post(client, world, "admin", "admin here").status_code == 201
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/messages", headers=world.headers("observer"))
    assert [m["body"] for m in listing.json["messages"]] == ["admin here"]
    # Authorization comes before validation: an observer with a bad body is still 403.
    assert post(client, world, "observer", "").status_code == 403
    assert count() == 1


def test_bad_bodies_are_rejected_and_change_nothing(client, world, app):
    url = f"/api/v1/shipments/{world.shipment.id}/messages"
    headers = world.headers("agent")
    assert client.post(url, data="not json", headers=headers | {"Content-Type": "application/json"}).status_code == 400
    assert client.post(url, json=["a list"], headers=headers).status_code == 400
    assert client.post(url, data="body=hi", headers=headers | {"Content-Type": "application/x-www-form-urlencoded"}).status_code == 400
    for payload, field in (({}, "body"), ({"body": ""}, "body"), ({"body": "  "}, "body"), ({"body": 5}, "body"),
                           ({"body": "x" * (app.config["MESSAGE_MAX_CHARS"] + 1)}, "body"),
                           ({"body": "hi", "client_id": "nope"}, "client_id"), ({"body": "hi", "extra": 1}, "extra")):
        answer = client.post(url, json=payload, headers=headers)
        assert answer.status_code == 422, (payload, answer.json)
        assert answer.json["error"]["code"] == "validation_error" and field in answer.json["error"]["fields"]
    assert count() == 0


def test_cookie_authenticated_posts_need_the_csrf_token(client, world):
    from tests.factories import PASSWORD

    page = client.get("/login")
    token = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"email": "li.wei@agency.example", "password": PASSWORD, "csrf_token": token})
    url = f"/api/v1/shipments/{world.shipment.id}/messages"
    assert client.post(url, json={"body": "no token"}).status_code == 400
    shipment_page = client.get(f"/shipments/{world.shipment.id}")
    assert shipment_page.status_code == 200
    assert 'id="thread"' in shipment_page.text and "/socket.io.min." in shipment_page.text
    csrf = shipment_page.text.split('name="csrf-token" content="')[1].split('"')[0]
    answer = client.post(url, json={"body": "with token"}, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 201 and answer.json["via"] == "web"


def test_paging_by_seq(client, world):
    for i in range(1, 13):
        assert post(client, world, "staff", f"m{i}").status_code == 201
    url = f"/api/v1/shipments/{world.shipment.id}/messages"
    headers = world.headers("agent")

    def page(query):
        answer = client.get(url + query, headers=headers)
        assert answer.status_code == 200, answer.json
        return [m["seq"] for m in answer.json["messages"]], answer.json["more"]

    assert page("") == (list(range(1, 13)), False)
    assert page("?limit=5") == ([8, 9, 10, 11, 12], True)
    assert page("?after_seq=3&limit=4") == ([4, 5, 6, 7], True)
    assert page("?after_seq=8&limit=4") == ([9, 10, 11, 12], False)
    assert page("?after_seq=12") == ([], False)
    assert page("?before_seq=8&limit=3") == ([5, 6, 7], True)
    assert page("?before_seq=4&limit=3") == ([1, 2, 3], False)
    assert page("?limit=100000") == (list(range(1, 13)), False)  # clamped to 500, not refused
    for bad in ("?after_seq=x", "?limit=0", "?after_seq=-1", "?before_seq=0", "?after_seq=1&before_seq=5"):
        answer = client.get(url + bad, headers=headers)
        assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_error", bad


def test_limit_is_clamped_to_500(client, world):
    # Rows written directly: this is about paging, not posting (which other tests cover).
    db.session.execute(Message.__table__.insert(), [
        {"shipment_id": world.shipment.id, "seq": i, "author_id": world.staff.id, "kind": "text", "body": f"bulk {i}",
         "body_html": f"<p>bulk {i}</p>", "via": "api", "created_at": world.shipment.created_at}
        for i in range(1, 521)
    ])
    world.shipment.last_seq = 520
    db.session.commit()
    answer = client.get(f"/api/v1/shipments/{world.shipment.id}/messages?after_seq=0&limit=1000",
                        headers=world.headers("agent"))
    assert len(answer.json["messages"]) == 500 and answer.json["more"] is True
    assert answer.json["messages"][-1]["seq"] == 500


def test_edit_and_delete_keep_history_author_only_within_the_window(client, world, app):
    created = post(client, world, "agent", "Duties are *EUR 1,200*").json
    url = f"/api/v1/messages/{created['id']}"
    assert client.patch(url, json={"body": "mine now"}, headers=world.headers("staff")).status_code == 403
    assert client.patch(url, json={"body": "mine now"}, headers=world.headers("outsider")).status_code == 404
    assert client.patch(url, json={"body": ""}, headers=world.headers("agent")).status_code == 422
    assert client.patch(url, json={"text": "x"}, headers=world.headers("agent")).status_code == 422
    assert client.patch("/api/v1/messages/999999", json={"body": "x"}, headers=world.headers("agent")).status_code == 404

    edited = client.patch(url, json={"body": "Duties are *EUR 1,250*"}, headers=world.headers("agent"))
    assert edited.status_code == 200, edited.json
    assert edited.json["body"] == "Duties are *EUR 1,250*" and edited.json["edited_at"] is not None
    assert edited.json["seq"] == created["seq"] and edited.json["body_html"] == "<p>Duties are <em>EUR 1,250</em></p>"
    assert db.session.scalars(select(MessageRevision.body)).all() == ["Duties are *EUR 1,200*"]

    assert client.delete(url, headers=world.headers("broker")).status_code == 403
    deleted = client.delete(url, headers=world.headers("agent"))
    assert deleted.status_code == 200
    assert deleted.json["body"] == "" and deleted.json["body_html"] == "" and deleted.json["deleted_at"] is not None
    assert db.session.scalars(select(MessageRevision.body).order_by(MessageRevision.id)).all() == [
        "Duties are *EUR 1,200*", "Duties are *EUR 1,250*"]
    assert client.patch(url, json={"body": "back"}, headers=world.headers("agent")).status_code == 403
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/messages", headers=world.headers("staff")).json
    assert listing["messages"][0]["deleted_at"] is not None and listing["messages"][0]["body"] == ""

    late = post(client, world, "agent", "too late to change").json
    message = db.session.get(Message, late["id"])
    message.created_at = message.created_at - timedelta(seconds=app.config["MESSAGE_EDIT_WINDOW_S"] + 1)
    db.session.commit()
    answer = client.patch(f"/api/v1/messages/{late['id']}", json={"body": "changed"}, headers=world.headers("agent"))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"
    assert client.delete(f"/api/v1/messages/{late['id']}", headers=world.headers("agent")).status_code == 403


def test_read_state_moves_unread_count_and_last_seq(client, world):
    for i in range(5):
        post(client, world, "staff", f"update {i}")
    shipment_url = f"/api/v1/shipments/{world.shipment.id}"
    agent = world.headers("agent")
    assert client.get(shipment_url, headers=agent).json["last_seq"] == 5
    assert client.get(shipment_url, headers=agent).json["unread_count"] == 5
    assert client.get(shipment_url, headers=world.headers("staff")).json["unread_count"] == 0  # own messages

    answer = client.post(shipment_url + "/read", json={"seq": 3}, headers=agent)
    assert answer.status_code == 200
    assert answer.json == {"shipment_id": world.shipment.id, "last_read_seq": 3, "last_seq": 5, "unread_count": 2}
    listed = client.get("/api/v1/shipments", headers=agent).json["items"][0]
    assert listed["unread_count"] == 2 and listed["last_seq"] == 5
    # Never backwards, and clamped to the last seq.
    assert client.post(shipment_url + "/read", json={"seq": 1}, headers=agent).json["last_read_seq"] == 3
    assert client.post(shipment_url + "/read", json={"seq": 99}, headers=agent).json["unread_count"] == 0
    participants = client.get(shipment_url, headers=agent).json["participants"]
    assert {p["user"]["id"]: p["last_read_seq"] for p in participants}[world.agent.id] == 5

    for bad in ({"seq": -1}, {"seq": "3"}, {"seq": True}, {}, {"seq": 1, "x": 2}):
        assert client.post(shipment_url + "/read", json=bad, headers=agent).status_code == 422, bad
    assert client.post(shipment_url + "/read", json={"seq": 1}, headers=world.headers("outsider")).status_code == 404
    # An observer has read state too (reading is not writing).
    assert client.post(shipment_url + "/read", json={"seq": 2}, headers=world.headers("observer")).status_code == 200


def test_an_edit_that_adds_a_mention_records_it(client, world):
    created = post(client, world, "agent", "Duties are paid").json
    assert db.session.scalars(select(MessageMention.user_id)).all() == []

    edited = client.patch(f"/api/v1/messages/{created['id']}", json={"body": "Duties are paid, @jonas please confirm"},
                          headers=world.headers("agent"))
    assert edited.status_code == 200, edited.json
    assert edited.json["body"] == "Duties are paid, @jonas please confirm"
    assert db.session.scalars(select(MessageMention.user_id)).all() == [world.broker.id]
    # Editing again with the same mention records it once.
    again = client.patch(f"/api/v1/messages/{created['id']}", json={"body": "Paid, @jonas please confirm today"},
                         headers=world.headers("agent"))
    assert again.status_code == 200
    assert db.session.scalars(select(MessageMention.user_id)).all() == [world.broker.id]


def test_a_hidden_message_and_a_missing_one_answer_the_same_404(client, world):
    created = post(client, world, "agent", "only for this shipment").json
    hidden = client.patch(f"/api/v1/messages/{created['id']}", json={"body": "x"}, headers=world.headers("other_staff"))
    missing = client.patch("/api/v1/messages/999999", json={"body": "x"}, headers=world.headers("other_staff"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
