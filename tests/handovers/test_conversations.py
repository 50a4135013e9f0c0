"""Whose move it is, on scripted conversations through the real services and routes: each step
asserts who holds the ball and the working time worked out by hand in that party's hours."""

from __future__ import annotations

import io
import uuid

import pytest

from hub.documents.models import Document
from hub.documents.services import request_document, review_document
from hub.extensions import db
from hub.handovers.services import waiting_on_of, waiting_text
from hub.inbound.tokens import reply_address
from hub.milestones.services import record_milestone
from hub.shipments.models import Shipment
from hub.threads.services import send_message
from hub.timestamps import parse_timestamp
from tests.documents.conftest import PDF
from tests.handovers.conftest import periods
from tests.inbound.conftest import InboundEmailPost


def _say(user, shipment_id: int, body: str) -> None:
    send_message(user, shipment_id, body, str(uuid.uuid4()), via="web")


def _post(client, headers: dict[str, str], shipment_id: int, body: str) -> None:
    answer = client.post(f"/api/v1/shipments/{shipment_id}/messages", headers=headers,
                         json={"body": body, "client_id": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.json


def _waiting(client, headers: dict[str, str], shipment_id: int) -> dict:
    answer = client.get(f"/api/v1/shipments/{shipment_id}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["waiting_on"]


def _text(shipment_id: int) -> str:
    db.session.expire_all()
    shipment = db.session.get(Shipment, shipment_id)
    return waiting_text(waiting_on_of([shipment])[shipment_id])


def test_a_question_from_chicago_on_friday_answered_in_shanghai_on_monday_morning(client, pair, now_is):
    sid = pair.shipment.id
    # Friday 13 November 2026, 10:00 in Chicago (UTC-6) = 16:00 UTC = Saturday 00:00 in Shanghai.
    now_is("2026-11-13T16:00:00Z")
    _say(pair.coordinator, sid, "@li.wei can you confirm the HS code before Monday?")
    # Monday 16 November, 10:30 in Shanghai (UTC+8) = 02:30 UTC: Li Wei has worked 09:00-10:30.
    now_is("2026-11-16T02:30:00Z")
    waiting = _waiting(client, pair.headers("coordinator"), sid)
    assert waiting == {"party": "partner", "user_id": pair.agent.id, "organization_id": pair.agent.organization_id,
                       "since": "2026-11-13T16:00:00Z", "working_hours": 1.5}
    assert _text(sid) == "Waiting on Li Wei (Shenzhen Harbour Customs) for 1 h"
    _post(client, pair.headers("agent"), sid, "Confirmed: 8413.70.")
    # Monday 12:00 in Chicago = 18:00 UTC: three of Cora's working hours (09:00-12:00) since.
    now_is("2026-11-16T18:00:00Z")
    waiting = _waiting(client, pair.headers("agent"), sid)
    assert waiting == {"party": "us", "user_id": None, "organization_id": pair.coordinator.organization_id,
                       "since": "2026-11-16T02:30:00Z", "working_hours": 3.0}
    assert _text(sid) == "Waiting on us for 3 h"
    assert [(p[0], p[2]) for p in periods(sid)] == [("partner", "mention"), ("us", "message")]


@pytest.mark.parametrize(("asked", "answered", "hours", "text"), [
    # Friday 2 October 2026, 10:00 in Chicago (UTC-5). National Day week in China: 1-7 October
    # off (Saturday 3rd a holiday, Monday 5th observed, 6th and 7th days off), Thursday 8th and
    # Friday 9th worked, Saturday 10th a make-up working day; answered Monday 12th at 10:30:
    # 9 + 9 + 9 + 1.5 hours = 3 business days of 9 h and 1.5 h.
    ("2026-10-02T15:00:00Z", "2026-10-12T02:30:00Z", 28.5, "3 business days 1 h"),
    # Friday 3 April 2026 from Chicago; Monday 6 April is Tomb-Sweeping Day (observed) in China:
    # an answer that Monday morning took none of Li Wei's working time.
    ("2026-04-03T15:00:00Z", "2026-04-06T02:30:00Z", 0.0, "0 min"),
])
def test_working_time_in_shanghai_skips_chinese_public_holidays(client, pair, now_is, asked, answered, hours, text):
    sid = pair.shipment.id
    now_is(asked)
    _say(pair.coordinator, sid, "@li.wei is the phytosanitary certificate ready?")
    now_is(answered)
    waiting = _waiting(client, pair.headers("coordinator"), sid)
    assert (waiting["party"], waiting["user_id"], waiting["working_hours"]) == ("partner", pair.agent.id, hours)
    assert _text(sid) == f"Waiting on Li Wei (Shenzhen Harbour Customs) for {text}"
    _post(client, pair.headers("agent"), sid, "Yes, uploading now.")
    assert _waiting(client, pair.headers("coordinator"), sid)["party"] == "us"
    assert periods(sid)[0][3:] == (parse_timestamp(asked), parse_timestamp(answered))


def test_an_email_reply_answers_through_the_same_service(inbound_app, client, world, now_is):
    sid = world.shipment.id
    # Thursday 19 November 2026, 09:00 UTC = 17:00 in Shanghai: one hour left of Li Wei's day.
    now_is("2026-11-19T09:00:00Z")
    _say(world.staff, sid, "@li.wei when will customs release it?")
    assert _waiting(client, world.headers("staff"), sid)["user_id"] == world.agent.id
    # Friday 20 November, 02:00 UTC = 10:00 in Shanghai: 1 h Thursday + 1 h Friday.
    now_is("2026-11-20T02:00:00Z")
    assert _waiting(client, world.headers("staff"), sid)["working_hours"] == 2.0
    email = InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei",
                             to=reply_address(world.agent.id, sid), subject="Re: ACME-001",
                             text="Released at 14:10 today.\n")
    assert email.post(client).json["outcome"] == "posted"
    waiting = _waiting(client, world.headers("staff"), sid)
    assert (waiting["party"], waiting["since"], waiting["working_hours"]) == ("us", "2026-11-20T02:00:00Z", 0.0)
    assert [(p[0], p[1], p[2]) for p in periods(sid)] == [("partner", world.agent.id, "mention"), ("us", None, "message")]


def test_a_document_request_passes_the_ball_and_an_upload_answers(client, pair, now_is):
    sid = pair.shipment.id
    # Tuesday 17 November 2026, 15:00 UTC (09:00 in Chicago, 23:00 in Shanghai).
    now_is("2026-11-17T15:00:00Z")
    db.session.expire_all()
    shipment = db.session.get(Shipment, sid)
    # The note names nobody: the shipment's agent is asked.
    request_document(pair.coordinator, shipment, {"doc_type": "packing_list", "note": "Please send it."})
    waiting = _waiting(client, pair.headers("coordinator"), sid)
    assert (waiting["party"], waiting["user_id"]) == ("partner", pair.agent.id)
    # Wednesday 18 November 01:00 UTC = 09:00 in Shanghai, plus four hours: 13:00 there.
    now_is("2026-11-18T05:00:00Z")
    assert _waiting(client, pair.headers("coordinator"), sid)["working_hours"] == 4.0
    answer = client.post(f"/api/v1/shipments/{sid}/documents", headers=pair.headers("agent"),
                         data={"doc_type": "packing_list", "file": (io.BytesIO(PDF), "packing.pdf")})
    assert answer.status_code == 201, answer.json
    assert _waiting(client, pair.headers("coordinator"), sid) == {
        "party": "us", "user_id": None, "organization_id": pair.coordinator.organization_id,
        "since": "2026-11-18T05:00:00Z", "working_hours": 0.0}
    # The coordinator rejects it: Li Wei's move again.
    document = db.session.get(Document, answer.json["id"])
    review_document(pair.coordinator, document, {"decision": "reject", "reason": "Unsigned."})
    waiting = _waiting(client, pair.headers("coordinator"), sid)
    assert (waiting["party"], waiting["user_id"]) == ("partner", pair.agent.id)
    # A milestone Li Wei reports answers too.
    record_milestone(pair.agent, sid, {"code": "declaration_filed", "occurred_at": "2026-11-18T04:00:00Z"})
    assert _waiting(client, pair.headers("coordinator"), sid)["party"] == "us"
    assert [p[2] for p in periods(sid)] == ["document_request", "upload", "document_rejected", "milestone"]


def test_a_request_whose_note_mentions_the_broker_is_theirs(client, pair, now_is):
    now_is("2026-11-17T15:00:00Z")
    shipment = db.session.get(Shipment, pair.shipment.id)
    request_document(pair.coordinator, shipment, {"doc_type": "commercial_invoice", "note": "@jonas the signed one"})
    assert _waiting(client, pair.headers("coordinator"), pair.shipment.id)["user_id"] == pair.broker.id


def test_follow_ups_and_other_partners(client, pair, now_is):
    sid = pair.shipment.id
    now_is("2026-11-17T15:00:00Z")
    _say(pair.coordinator, sid, "Good morning all.")
    assert _waiting(client, pair.headers("coordinator"), sid) is None  # nobody asked anything yet
    _post(client, pair.headers("agent"), sid, "The vessel berthed early.")
    assert _waiting(client, pair.headers("coordinator"), sid)["party"] == "us"
    # The first staff message after Li Wei's: their move.
    _say(pair.coordinator, sid, "Great, is the declaration filed?")
    assert _waiting(client, pair.headers("coordinator"), sid)["user_id"] == pair.agent.id
    _say(pair.coordinator, sid, "Also the duties estimate, please.")
    # The broker's word does not answer for Li Wei.
    _post(client, pair.headers("broker"), sid, "I can help with the duties.")
    assert _waiting(client, pair.headers("coordinator"), sid)["user_id"] == pair.agent.id
    assert [(p[0], p[2]) for p in periods(sid)] == [("us", "message"), ("partner", "follow_up")]


def test_the_list_shows_waiting_on_and_filters_by_it(client, pair, world, now_is):
    now_is("2026-11-17T15:00:00Z")
    other = world.shipment  # another shipper's: not in Cora's list
    _say(pair.coordinator, pair.shipment.id, "@li.wei please confirm")
    _say(world.staff, other.id, "@li.wei and you?")

    def references(who: str, shows: str, headers=None) -> list[str]:
        answer = client.get(f"/api/v1/shipments?shows={shows}", headers=headers or pair.headers(who))
        assert answer.status_code == 200, answer.json
        return [item["reference"] for item in answer.json["items"]]

    assert references("coordinator", "waiting_on_partners") == ["NW-CN-1"]
    assert references("coordinator", "waiting_on_me") == []
    assert references("agent", "waiting_on_me") == ["NW-CN-1"]
    assert references("broker", "waiting_on_me") == []
    items = client.get("/api/v1/shipments", headers=pair.headers("coordinator")).json["items"]
    assert items[0]["waiting_on"]["party"] == "partner" and set(items[0]["waiting_on"]) == {
        "party", "user_id", "organization_id", "since", "working_hours"}
    _post(client, pair.headers("agent"), pair.shipment.id, "Confirmed.")
    assert references("coordinator", "waiting_on_me") == ["NW-CN-1"]
    assert references("coordinator", "waiting_on_partners") == []
    page = client.get("/shipments?shows=waiting_on_me", headers=pair.headers("coordinator"))
    assert page.status_code in (200, 302)


def test_the_shipment_page_says_whose_move_it_is(client, pair, now_is):
    from tests import factories

    now_is("2026-11-13T16:00:00Z")
    _say(pair.coordinator, pair.shipment.id, "@li.wei can you confirm?")
    now_is("2026-11-17T04:00:00Z")  # Tuesday 12:00 in Shanghai: 9 h Monday + 3 h Tuesday
    factories.login(client, pair.coordinator)
    page = client.get(f"/shipments/{pair.shipment.id}")
    assert "Waiting on Li Wei (Shenzhen Harbour Customs) for 1 business day 3 h" in page.get_data(as_text=True)
    listing = client.get("/shipments?shows=waiting_on_partners").get_data(as_text=True)
    assert "Waiting on Li Wei (Shenzhen Harbour Customs) for 1 business day 3 h" in listing


def test_the_line_is_translated(client, pair, now_is):
    from tests import factories

    now_is("2026-11-16T01:00:00Z")
    _say(pair.coordinator, pair.shipment.id, "@li.wei can you confirm?")
    now_is("2026-11-17T04:00:00Z")  # Monday 9 h and Tuesday 3 h in Shanghai
    factories.session_for(client, pair.agent)  # Li Wei reads Simplified Chinese
    page = client.get(f"/shipments/{pair.shipment.id}").get_data(as_text=True)
    assert "等待 Li Wei（Shenzhen Harbour Customs）处理，已 1 个工作日 3 小时" in page
