"""Recording and listing milestones through the API: answers, repeats, bad input, who may,
and what a recorded milestone brings along (thread message, audit row, signal, socket event)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.audit.models import AuditLog
from hub.extensions import db
from hub.milestones import services
from hub.milestones.models import Milestone
from hub.shipments.models import Shipment
from hub.threads.models import Message
from hub.timestamps import to_iso, utcnow
from tests import factories
from tests.milestones.conftest import milestone_count

ARRIVED = {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "location": "Hamburg", "note": "Berth 4"}


def thread(shipment_id: int) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.shipment_id == shipment_id).order_by(Message.seq)))


def status_of(shipment_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Shipment, shipment_id).status


def test_recording_answers_201_with_the_milestone_object(post_milestone, world):
    before = utcnow()
    response = post_milestone("agent", ARRIVED)
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"id", "code", "label", "occurred_at", "location", "note", "recorded_by", "recorded_at"}
    assert isinstance(body["id"], int)
    assert body["code"] == "arrived" and body["label"] == "Arrived"
    assert body["occurred_at"] == "2026-11-20T08:00:00Z"
    assert body["location"] == "Hamburg" and body["note"] == "Berth 4"
    assert body["recorded_by"] == {"id": world.agent.id, "name": "Li Wei"}
    assert body["recorded_at"].endswith("Z") and body["recorded_at"] >= to_iso(before)[:19]
    assert status_of(world.shipment.id) == "arrived"


def test_optional_fields_may_be_left_out_or_null(post_milestone):
    response = post_milestone("broker", {"code": "declaration_filed", "occurred_at": "2026-11-19", "note": None})
    assert response.status_code == 201, response.json
    assert response.json["occurred_at"] == "2026-11-19T00:00:00Z"
    assert response.json["location"] is None and response.json["note"] is None


def test_offsets_are_converted_to_utc(post_milestone):
    response = post_milestone("agent", {"code": "departed", "occurred_at": "2026-11-20T16:30:00+08:00"})
    assert response.json["occurred_at"] == "2026-11-20T08:30:00Z"


@pytest.mark.parametrize("who", ["admin", "staff", "agent", "broker"])
def test_every_participant_but_observers_and_owner_staff_may_record(post_milestone, who):
    assert post_milestone(who, ARRIVED).status_code == 201


def test_repeat_with_another_offset_answers_the_original_unchanged(post_milestone, world, recorded_signals):
    original = post_milestone("agent", ARRIVED).json
    messages_before = len(thread(world.shipment.id))
    repeat = {"code": "arrived", "occurred_at": "2026-11-20T16:00:00+08:00", "location": "Bremen", "note": "other"}
    response = post_milestone("broker", repeat)
    assert response.status_code == 200
    assert response.json == original
    # Sub-second differences are the same milestone too (same instant to the second).
    again = post_milestone("staff", {"code": "arrived", "occurred_at": "2026-11-20T08:00:00.750Z"})
    assert again.status_code == 200 and again.json == original
    assert milestone_count() == 1
    assert len(thread(world.shipment.id)) == messages_before
    assert len(recorded_signals) == 1
    stored = db.session.scalars(select(Milestone)).one()
    assert (stored.location, stored.note, stored.recorded_by_id) == ("Hamburg", "Berth 4", world.agent.id)


def test_same_code_at_another_time_is_another_milestone(post_milestone):
    assert post_milestone("agent", {"code": "on_hold", "occurred_at": "2026-11-20T08:00:00Z"}).status_code == 201
    assert post_milestone("agent", {"code": "on_hold", "occurred_at": "2026-11-20T08:00:01Z"}).status_code == 201
    assert milestone_count() == 2


def test_same_code_and_time_on_another_shipment_is_another_milestone(post_milestone, world):
    other = factories.shipment(world.staff, "ACME-002")
    assert post_milestone("staff", ARRIVED).status_code == 201
    assert post_milestone("staff", ARRIVED, shipment_id=other.id).status_code == 201


def _future(minutes: float) -> str:
    return to_iso((utcnow() + timedelta(minutes=minutes)).replace(microsecond=0))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "teleported", "occurred_at": "2026-11-20T08:00:00Z"}, "code"),
        ({"code": "ARRIVED", "occurred_at": "2026-11-20T08:00:00Z"}, "code"),
        ({"code": 7, "occurred_at": "2026-11-20T08:00:00Z"}, "code"),
        ({"occurred_at": "2026-11-20T08:00:00Z"}, "code"),
        ({"code": None, "occurred_at": "2026-11-20T08:00:00Z"}, "code"),
        ({"code": "arrived"}, "occurred_at"),
        ({"code": "arrived", "occurred_at": None}, "occurred_at"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00"}, "occurred_at"),
        ({"code": "arrived", "occurred_at": "20/11/2026 08:00"}, "occurred_at"),
        ({"code": "arrived", "occurred_at": "2026-13-40T08:00:00Z"}, "occurred_at"),
        ({"code": "arrived", "occurred_at": 1763625600}, "occurred_at"),
        ({"code": "arrived", "occurred_at": ""}, "occurred_at"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "location": 12}, "location"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "location": "x" * 201}, "location"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "note": ["a"]}, "note"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "note": "x" * 1001}, "note"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "status": "released"}, "status"),
        ({"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "recorded_by": 1}, "recorded_by"),
    ],
)
def test_invalid_reports_answer_422_and_record_nothing(post_milestone, world, recorded_signals, body, field):
    response = post_milestone("agent", body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]
    assert milestone_count() == 0
    assert thread(world.shipment.id) == []
    assert recorded_signals == []
    assert status_of(world.shipment.id) == "new"


def test_more_than_ten_minutes_ahead_is_422(post_milestone):
    response = post_milestone("agent", {"code": "arrived", "occurred_at": _future(11)})
    assert response.status_code == 422
    assert "occurred_at" in response.json["error"]["fields"]
    assert milestone_count() == 0


def test_a_few_minutes_ahead_is_accepted(post_milestone):
    # Partners' clocks drift: up to ten minutes ahead is still taken.
    assert post_milestone("agent", {"code": "arrived", "occurred_at": _future(8)}).status_code == 201


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '"arrived"'])
def test_a_body_that_is_not_a_json_object_is_400(client, world, data):
    response = client.post(
        f"/api/v1/shipments/{world.shipment.id}/milestones", data=data,
        headers=world.headers("agent") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_request"
    assert milestone_count() == 0


def test_observer_gets_403_whatever_the_body(post_milestone, world):
    for body in (ARRIVED, {"code": "nonsense"}):
        response = post_milestone("observer", body)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
    assert milestone_count() == 0
    assert status_of(world.shipment.id) == "new"


@pytest.mark.parametrize("who", ["outsider", "other_staff"])
def test_who_cannot_see_the_shipment_gets_404_on_post_and_get(post_milestone, client, world, who):
    post_milestone("staff", ARRIVED)
    for body in (ARRIVED | {"occurred_at": "2026-11-21T08:00:00Z"}, {"code": "nonsense"}):
        response = post_milestone(who, body)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    response = client.get(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers(who))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert milestone_count() == 1


def test_unknown_shipment_is_404(post_milestone, client, world):
    assert post_milestone("admin", ARRIVED, shipment_id=999_999).status_code == 404
    assert client.get("/api/v1/shipments/999999/milestones", headers=world.headers("admin")).status_code == 404


def test_anonymous_gets_401(client, world):
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", json=ARRIVED)
    assert response.status_code == 401
    assert client.get(f"/api/v1/shipments/{world.shipment.id}/milestones").status_code == 401


def test_get_lists_the_timeline_by_occurred_at_for_every_viewer(post_milestone, client, world):
    reports = [
        ("arrived", "2026-11-20T08:00:00Z"),
        ("booked", "2026-11-02T10:00:00+02:00"),
        ("on_hold", "2026-11-20T09:00:00Z"),
        ("departed", "2026-11-05T00:00:00Z"),
        ("declaration_filed", "2026-11-04T23:59:59-01:00"),  # 2026-11-05T00:59:59Z
    ]
    for code, occurred_at in reports:
        assert post_milestone("agent", {"code": code, "occurred_at": occurred_at}).status_code == 201
    for who in ("observer", "staff", "broker"):
        response = client.get(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers(who))
        assert response.status_code == 200
        assert list(response.json) == ["milestones"]
        listed = [(m["code"], m["occurred_at"]) for m in response.json["milestones"]]
        assert listed == [
            ("booked", "2026-11-02T08:00:00Z"),
            ("departed", "2026-11-05T00:00:00Z"),
            ("declaration_filed", "2026-11-05T00:59:59Z"),
            ("arrived", "2026-11-20T08:00:00Z"),
            ("on_hold", "2026-11-20T09:00:00Z"),
        ]


def test_timeline_breaks_ties_by_recording_order(post_milestone, world):
    post_milestone("agent", {"code": "on_hold", "occurred_at": "2026-11-20T08:00:00Z"})
    post_milestone("agent", {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z"})
    post_milestone("agent", {"code": "booked", "occurred_at": "2026-11-01T08:00:00Z"})
    assert [m.code for m in services.timeline(world.shipment)] == ["booked", "on_hold", "arrived"]


def test_get_of_an_empty_timeline(client, world):
    response = client.get(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"))
    assert response.status_code == 200 and response.json == {"milestones": []}


def test_each_milestone_posts_a_milestone_message_by_its_recorder(post_milestone, world):
    post_milestone("agent", ARRIVED)
    post_milestone("broker", {"code": "on_hold", "occurred_at": "2026-11-20T17:30:00+08:00"})
    post_milestone("staff", {"code": "booked", "occurred_at": "2026-11-01T08:00:00Z", "location": "Ningbo"})
    post_milestone("staff", {"code": "departed", "occurred_at": "2026-11-03T08:00:00Z", "note": "Vessel MSC Aurora"})
    everything = thread(world.shipment.id)
    # The hold also opened a risk flag, which says so in a system message of its own (tests/risks).
    assert [(m.seq, m.kind) for m in everything if m.kind != "milestone"] == [(3, "system")]
    messages = [m for m in everything if m.kind == "milestone"]
    assert [m.seq for m in messages] == [1, 2, 4, 5]
    assert {m.kind for m in messages} == {"milestone"}
    assert [m.author_id for m in messages] == [world.agent.id, world.broker.id, world.staff.id, world.staff.id]
    assert [m.body for m in messages] == [
        "Arrived at 2026-11-20T08:00:00Z, Hamburg: Berth 4",
        "On hold at 2026-11-20T09:30:00Z",
        "Booked at 2026-11-01T08:00:00Z, Ningbo",
        "Departed at 2026-11-03T08:00:00Z: Vessel MSC Aurora",
    ]
    assert {m.via for m in messages} == {"api"}
    db.session.expire_all()
    assert db.session.get(Shipment, world.shipment.id).last_seq == 5


def test_the_message_keeps_its_place_after_existing_messages(post_milestone, world):
    from hub.shipment_tx import shipment_transaction
    from hub.threads.services import add_message

    with shipment_transaction(world.shipment.id) as locked:
        add_message(locked, world.staff, "Hello", kind="text", client_id="c-1")
    post_milestone("agent", ARRIVED)
    assert [(m.seq, m.kind) for m in thread(world.shipment.id)] == [(1, "text"), (2, "milestone")]


def test_recording_writes_an_audit_row(post_milestone, world):
    milestone_id = post_milestone("agent", ARRIVED).json["id"]
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "milestone.record")).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor_id, row.target_type, row.target_id, row.shipment_id) == (
        world.agent.id, "milestone", milestone_id, world.shipment.id)
    assert row.details["code"] == "arrived"
    assert row.details["occurred_at"] == "2026-11-20T08:00:00Z"
    assert (row.details["status_before"], row.details["status_after"]) == ("new", "arrived")


def test_the_signal_fires_once_per_recorded_milestone_inside_the_transaction(post_milestone, world, recorded_signals):
    seen_in_transaction: list[Any] = []

    def check(sender: Milestone, **kwargs: Any) -> None:
        # Sent after the flush, before the commit: the milestone has an id and the status is set.
        seen_in_transaction.append((sender.id, db.session.get(Shipment, sender.shipment_id).status))

    from hub.signals import milestone_recorded

    with milestone_recorded.connected_to(check):
        first = post_milestone("agent", ARRIVED).json
        post_milestone("agent", ARRIVED)  # a repeat: no signal
        second = post_milestone("broker", {"code": "on_hold", "occurred_at": "2026-11-20T10:00:00Z"}).json
        post_milestone("observer", {"code": "released", "occurred_at": "2026-11-20T11:00:00Z"})  # 403: no signal
    assert [(m.id, kwargs) for m, kwargs in recorded_signals] == [
        (first["id"], {"actor": world.agent}),
        (second["id"], {"actor": world.broker}),
    ]
    assert seen_in_transaction == [(first["id"], "arrived"), (second["id"], "on_hold")]


def test_a_failing_subscriber_rolls_everything_back(post_milestone, world):
    # The signal is inside the transaction: if the outbox write fails, the milestone is not recorded.
    from hub.signals import milestone_recorded

    def explode(sender: Milestone, **kwargs: Any) -> None:
        raise RuntimeError("outbox unavailable")

    with milestone_recorded.connected_to(explode):
        response = post_milestone("agent", ARRIVED)
    assert response.status_code == 500
    db.session.rollback()
    assert milestone_count() == 0
    assert thread(world.shipment.id) == []
    assert status_of(world.shipment.id) == "new"


def test_the_milestone_socket_event_goes_to_the_shipment_room_after_commit(app, post_milestone, world, monkeypatch):
    from hub.extensions import socketio

    emitted: list[tuple[str, Any, str]] = []
    monkeypatch.setattr(socketio, "emit", lambda event, payload, to=None, **kw: emitted.append((event, payload, to)))
    body = post_milestone("agent", ARRIVED).json
    post_milestone("agent", ARRIVED)  # a repeat emits nothing
    events = [(event, payload) for event, payload, room in emitted if room == f"shipment:{world.shipment.id}"]
    assert [event for event, _ in events] == ["message", "milestone"]
    assert events[1][1] == {"shipment_id": world.shipment.id, "milestone": body, "status": "arrived"}


def test_the_unique_constraint_holds_when_the_checks_are_raced(post_milestone, world, monkeypatch):
    # Simulate a concurrent writer that stored the same milestone between our checks and insert:
    # the database refuses the second row and the caller gets the original (200).
    original = post_milestone("agent", ARRIVED).json
    real = services._same_milestone
    calls = {"n": 0}

    def blind_twice(shipment_id: int, cleaned: Any) -> Milestone | None:
        calls["n"] += 1
        return None if calls["n"] <= 2 else real(shipment_id, cleaned)

    monkeypatch.setattr(services, "_same_milestone", blind_twice)
    response = post_milestone("broker", ARRIVED | {"note": "racing"})
    assert response.status_code == 200
    assert response.json == original
    assert milestone_count() == 1
    assert len(thread(world.shipment.id)) == 1


def test_concurrent_identical_reports_record_one_milestone(app, world, recorded_signals):
    shipment_id, agent_id, broker_id = world.shipment.id, world.agent.id, world.broker.id
    db.session.commit()
    db.session.remove()
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def report(user_id: int) -> None:
        try:
            with app.app_context():
                from hub.accounts.models import User

                # Start together; on SQLite the first query already queues on the write lock.
                barrier.wait(timeout=10)
                user = db.session.get(User, user_id)
                _milestone, created = services.record_milestone(user, shipment_id, ARRIVED)
                results.append(created)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(uid,)) for uid in (agent_id, broker_id, agent_id, broker_id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert milestone_count() == 1
    assert len(thread(shipment_id)) == 1
    assert len(recorded_signals) == 1
