"""No 500 on bad input (both backends): ids, pages and seqs beyond 2^63 in paths, queries,
bodies and socket events; lone surrogates; JSON nested 100,000 deep; NUL in text."""

from __future__ import annotations

import uuid

import pytest

from hub.extensions import socketio
from tests import factories

HUGE = 2**63 + 5


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/shipments/{huge}"),
    ("get", "/api/v1/shipments/{huge}/messages"),
    ("get", "/api/v1/shipments/{huge}/participants"),
    ("get", "/api/v1/documents/{huge}"),
    ("get", "/shipments/{huge}"),
    ("get", "/dev/mailbox/{huge}"),
    ("patch", "/api/v1/messages/{huge}"),
    ("delete", "/api/v1/messages/{huge}"),
    ("delete", "/api/v1/auth/tokens/{huge}"),
    ("delete", "/api/v1/shipments/{sid}/participants/{huge}"),
])
def test_an_id_beyond_the_database_in_a_path_is_404(client, world, method, path):
    body = {} if method == "get" else {"json": {"body": "x"}}
    response = getattr(client, method)(path.format(huge=HUGE, sid=world.shipment.id), headers=world.headers("staff"),
                                       **body)
    assert response.status_code == 404, response.status_code


@pytest.mark.parametrize("query, field", [
    ("page={huge}", "page"),
    ("after_seq={huge}", "after_seq"),
    ("before_seq={huge}", "before_seq"),
    ("limit={huge}", "limit"),
])
def test_a_huge_number_in_a_query_is_422(client, world, query, field):
    path = "/api/v1/shipments" if field == "page" else f"/api/v1/shipments/{world.shipment.id}/messages"
    response = client.get(f"{path}?{query.format(huge=HUGE)}", headers=world.headers("staff"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.json["error"]["fields"]


def test_the_shipment_list_page_survives_a_huge_page(client, world):
    factories.session_for(client, world.staff)
    assert client.get(f"/shipments?page={HUGE}").status_code == 200


def test_a_huge_id_in_a_body_is_422(client, world):
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/participants",
                           json={"user_id": HUGE, "role": "agent"}, headers=world.headers("staff"))
    assert response.status_code == 422 and "user_id" in response.json["error"]["fields"]


def test_a_lone_surrogate_is_422(client, world):
    raw = '{"body": "\\ud800", "client_id": "' + str(uuid.uuid4()) + '"}'
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/messages", data=raw,
                           content_type="application/json", headers=world.headers("staff"))
    assert response.status_code == 422, response.get_data(as_text=True)
    raw = '{"reference": "A\\udfffB"}'
    response = client.patch(f"/api/v1/shipments/{world.shipment.id}", data=raw, content_type="application/json",
                            headers=world.headers("staff"))
    assert response.status_code == 422 and "reference" in response.json["error"]["fields"]


def test_json_nested_100000_deep_is_400(client, world):
    raw = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/messages", data=raw,
                           content_type="application/json", headers=world.headers("staff"))
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_request"


def test_a_nul_in_a_message_is_422_and_nothing_is_stored(client, world):
    sid = world.shipment.id
    response = client.post(f"/api/v1/shipments/{sid}/messages",
                           json={"body": "before\x00after", "client_id": str(uuid.uuid4())},
                           headers=world.headers("staff"))
    assert response.status_code == 422 and "body" in response.json["error"]["fields"]
    assert client.get(f"/api/v1/shipments/{sid}/messages", headers=world.headers("staff")).json["messages"] == []


def test_socket_events_with_huge_numbers_answer_an_error(app, world):
    client = socketio.test_client(app, auth={"token": world.tokens["staff"]})
    assert client.is_connected()
    for payload in ({"shipment_id": HUGE}, {"shipment_id": world.shipment.id, "after_seq": HUGE}):
        answer = client.emit("join", payload, callback=True)
        assert answer["ok"] is False and answer["error"]["code"] in ("malformed_request", "validation_error")
    answer = client.emit("read", {"shipment_id": world.shipment.id, "seq": HUGE}, callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_error"
    answer = client.emit("send", {"shipment_id": world.shipment.id, "body": "a\x00b", "client_id": str(uuid.uuid4())},
                         callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_error"
    client.disconnect()
