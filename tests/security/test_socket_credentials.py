"""Every socket event re-checks the credential its socket connected with, not only the disconnect
an ended session broadcasts: a socket that missed that broadcast (the message queue away for a
moment) can do nothing once its session ended, its token was revoked or expired, or its user
was deactivated. Each event (`join`, `send`, `typing`, `read`, `leave`) is refused `unauthorized`
and the socket is closed."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.accounts.models import ApiToken, User
from hub.extensions import db, socketio
from hub.timestamps import utcnow
from tests import factories
from tests.conftest import HubTestClient

RECHECK_S = 0.2
EVENTS = ("join", "send", "typing", "read", "leave")


def _payload(event: str, shipment_id: int) -> dict:
    if event == "send":
        return {"shipment_id": shipment_id, "body": "still here?", "client_id": str(uuid.uuid4())}
    if event == "read":
        return {"shipment_id": shipment_id, "seq": 0}
    return {"shipment_id": shipment_id}


def _token_socket(app, world):
    return socketio.test_client(app, auth={"token": world.tokens["staff"]})


def _browser_socket(app, world):
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    factories.session_for(browser, world.staff)
    return socketio.test_client(app, flask_test_client=browser)


def _end_session_silently(world) -> None:
    """A logout elsewhere whose broadcast never arrived: the generation moves on, nothing is sent."""
    db.session.execute(update(User).where(User.id == world.staff.id)
                       .values(session_generation=User.session_generation + 1))
    db.session.commit()


def _revoke_silently(world) -> None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(world.tokens["staff"])))
    db.session.delete(token)
    db.session.commit()


def _expire(world) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.digest == ApiToken.digest_of(world.tokens["staff"]))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _deactivate_silently(world) -> None:
    db.session.execute(update(User).where(User.id == world.staff.id).values(active=False))
    db.session.commit()


ENDINGS = {
    "logout (browser socket)": (_browser_socket, _end_session_silently),
    "token revoked": (_token_socket, _revoke_silently),
    "token expired": (_token_socket, _expire),
    "user deactivated (token socket)": (_token_socket, _deactivate_silently),
    "user deactivated (browser socket)": (_browser_socket, _deactivate_silently),
}


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_an_event_after_the_credential_ended_is_refused_without_the_broadcast(app, world, ending, event):
    app.config["SOCKET_AUTH_RECHECK_S"] = RECHECK_S
    connect, end = ENDINGS[ending]
    sid = world.shipment.id
    live = connect(app, world)
    assert live.is_connected()
    assert live.emit("join", {"shipment_id": sid}, callback=True)["ok"]  # works before
    end(world)
    time.sleep(RECHECK_S + 0.05)  # what this process trusted has run out (no broadcast came)
    answer = live.emit(event, _payload(event, sid), callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "unauthorized", answer
    assert not live.is_connected()


def test_the_broadcast_forgets_a_trusted_credential_at_once(app, world):
    # With the queue up, the credential is not trusted a moment longer than the broadcast.
    from hub.accounts import services

    app.config["SOCKET_AUTH_RECHECK_S"] = 3600.0
    token_socket = _token_socket(app, world)
    other = socketio.test_client(app, auth={"token": world.tokens["agent"]})
    assert token_socket.emit("join", {"shipment_id": world.shipment.id}, callback=True)["ok"]
    assert other.emit("join", {"shipment_id": world.shipment.id}, callback=True)["ok"]
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(world.tokens["staff"])))
    services.revoke_token(world.staff, token.id)
    assert not token_socket.is_connected()
    # Anyone else's trusted credential stays trusted.
    assert other.emit("typing", {"shipment_id": world.shipment.id}, callback=True)["ok"]


def test_a_valid_credential_is_read_once_per_period_not_per_event(app, world, monkeypatch):
    # The send path stays as short as before: within SOCKET_AUTH_RECHECK_S no read is added.
    from hub.threads import sockets

    reads = []
    real = sockets.valid_socket_credentials
    monkeypatch.setattr(sockets, "valid_socket_credentials", lambda keys: reads.append(keys) or real(keys))
    app.config["SOCKET_AUTH_RECHECK_S"] = 3600.0
    live = _token_socket(app, world)
    for _ in range(5):
        assert live.emit("send", _payload("send", world.shipment.id), callback=True)["ok"]
    assert len(reads) == 1


def test_one_read_re_checks_every_socket_recently_heard_from(app, world, monkeypatch):
    # Many sockets, one read a period (under CREDENTIALS_PER_READ): when one credential runs
    # out, the others heard from are read with it; an ended one among them is refused at its
    # next event all the same.
    from hub.threads import sockets

    reads = []
    real = sockets.valid_socket_credentials
    monkeypatch.setattr(sockets, "valid_socket_credentials", lambda keys: reads.append(keys) or real(keys))
    app.config["SOCKET_AUTH_RECHECK_S"] = RECHECK_S
    sid = world.shipment.id
    people = ("staff", "agent", "broker")
    sockets_by_person = {who: socketio.test_client(app, auth={"token": world.tokens[who]}) for who in people}
    browser = _browser_socket(app, world)
    for live in [*sockets_by_person.values(), browser]:
        assert live.emit("join", {"shipment_id": sid}, callback=True)["ok"]
    time.sleep(RECHECK_S + 0.05)
    reads.clear()
    _revoke_silently(world)  # the staff's token ends, no broadcast
    assert sockets_by_person["agent"].emit("typing", {"shipment_id": sid}, callback=True)["ok"]
    assert len(reads) == 1 and len(reads[0]) == 4, reads  # the agent's, and the three others
    for who in ("broker",):
        assert sockets_by_person[who].emit("typing", {"shipment_id": sid}, callback=True)["ok"]
    assert browser.emit("typing", {"shipment_id": sid}, callback=True)["ok"]
    assert len(reads) == 1  # read together: no more reads this period
    answer = sockets_by_person["staff"].emit("typing", {"shipment_id": sid}, callback=True)
    assert answer["ok"] is False and answer["error"]["code"] == "unauthorized", answer
    assert not sockets_by_person["staff"].is_connected()
    assert browser.is_connected()  # the staff's browser session is another credential


def test_sockets_joining_one_after_another_read_only_their_own_credential(app, world, monkeypatch):
    # A restart's reconnections: each new socket reads its own credential, not every other
    # socket's again (n reads of up to n credentials), while those were read moments ago.
    from hub.threads import sockets

    reads = []
    real = sockets.valid_socket_credentials
    monkeypatch.setattr(sockets, "valid_socket_credentials", lambda keys: reads.append(keys) or real(keys))
    app.config["SOCKET_AUTH_RECHECK_S"] = 30.0  # none of them runs out during the test
    sid = world.shipment.id
    for who in ("staff", "agent", "broker"):
        live = socketio.test_client(app, auth={"token": world.tokens[who]})
        assert live.emit("join", {"shipment_id": sid}, callback=True)["ok"]
    assert [len(keys) for keys in reads] == [1, 1, 1], reads


def test_a_read_takes_along_the_credentials_whose_trust_ends_within_half_a_period():
    from hub.threads.rooms import CheckedCredentials

    checked = CheckedCredentials()
    old, recent, new = (1, "token", 1), (2, "token", 2), (3, "session", 0)
    checked.fresh(old, 100.0)
    checked.remember([old], {old}, until=101.0)  # read at 100.0, period 1 s
    checked.fresh(recent, 100.7)
    checked.remember([recent], {recent}, until=101.7)
    assert not checked.fresh(new, 100.8)
    # At 100.8: the old one ends within half a period (101.0 <= 101.3), the recent one not.
    assert checked.to_read(new, 100.8, period=1.0) == [new, old]
    assert checked.fresh(recent, 100.8) and checked.fresh(old, 100.8)
    checked.remember([new, old], {new, old}, until=101.8)
    # Once the recent one too is near its end, one read takes every credential heard from.
    assert set(checked.to_read(recent, 101.5, period=1.0)) == {new, old, recent}


def test_a_read_leaves_out_credentials_not_heard_from_for_a_minute_and_caps_its_size(monkeypatch):
    from hub.threads import rooms

    monkeypatch.setattr(rooms, "CREDENTIALS_PER_READ", 3)
    checked = rooms.CheckedCredentials()
    quiet, *busy = [(n, "token", n) for n in range(1, 6)]
    checked.fresh(quiet, 0.0)
    for key in busy:
        checked.fresh(key, 55.0)
    checked.remember([quiet, *busy], {quiet, *busy}, until=56.0)
    asking = (9, "session", 0)
    assert not checked.fresh(asking, 70.0)
    first = checked.to_read(asking, 70.0, period=1.0)
    # The quiet one (heard 70 s ago) is forgotten, not read; two of the four busy ones come along
    # (three in all); the other two stay due, for the next read.
    assert first[0] == asking and len(first) == 3 and quiet not in first
    assert quiet not in checked._until and quiet not in checked._heard
    assert not checked.fresh(quiet, 70.0)
    left = [key for key in busy if key not in first]
    assert len(left) == 2 and not any(checked.fresh(key, 70.0) for key in left)
    checked.remember(first, set(first), until=71.0)
    # The next event whose credential is due reads the two left over: none is read alone.
    assert checked.to_read(left[0], 70.1, period=1.0) == [left[0], left[1]]
    checked.remember(left, set(left), until=71.1)
    # Half a period before the first read runs out, the next one takes its credentials along.
    second = checked.to_read(left[1], 70.6, period=1.0)
    assert second[0] == left[1] and len(second) == 3 and set(second[1:]) <= {*first, left[0]}


def test_a_thousand_credentials_due_at_once_are_read_in_capped_reads_none_missed():
    # A process's thousand sockets all read together run out again together: each read stays
    # at CREDENTIALS_PER_READ (no long read for every other socket to wait behind), the ones
    # left over go with the next reads, and within a period every one was read again.
    from hub.threads import rooms

    checked = rooms.CheckedCredentials()
    keys = [(n, "token", n) for n in range(1, 1001)]
    for key in keys:
        checked.fresh(key, 0.0)
    checked.remember(keys, set(keys), until=1.0)
    reads = []
    now = 1.0
    for key in keys:  # every socket sends once after the deadline, in turn
        now += 0.001
        if checked.fresh(key, now):
            continue
        batch = checked.to_read(key, now, period=1.0)
        reads.append(batch)
        checked.remember(batch, set(batch), until=now + 1.0)
    assert rooms.CREDENTIALS_PER_READ <= 100
    assert max(len(batch) for batch in reads) == rooms.CREDENTIALS_PER_READ
    # Ten reads, and a few more where the first reads' credentials near their end and are taken
    # along: not one read per socket.
    assert 10 <= len(reads) <= 20, [len(batch) for batch in reads]
    assert {key for batch in reads for key in batch} == set(keys)  # none missed
    assert all(checked.fresh(key, now) for key in keys)


def test_credentials_left_over_by_a_capped_read_are_forgotten_once_their_sockets_are_quiet(monkeypatch):
    # A socket gone meanwhile never sends again: its credential, left over by a capped read,
    # is dropped by a read a minute later instead of staying in the maps for the process's life.
    from hub.threads import rooms

    monkeypatch.setattr(rooms, "CREDENTIALS_PER_READ", 2)
    checked = rooms.CheckedCredentials()
    keys = [(n, "token", n) for n in range(1, 5)]
    for key in keys:
        checked.fresh(key, 0.0)
    checked.remember(keys, set(keys), until=1.0)
    first = checked.to_read(keys[0], 1.5, period=1.0)
    assert len(first) == 2
    checked.remember(first, set(first), until=2.5)
    gone = [key for key in keys if key not in first]
    for now in range(2, 70):  # only the first two sockets keep talking
        for key in first:
            if not checked.fresh(key, float(now)):
                batch = checked.to_read(key, float(now), period=1.0)
                checked.remember(batch, set(batch), until=now + 1.0)
    assert all(key not in checked._until and key not in checked._heard for key in gone)
    assert all(key in checked._heard for key in first)
    assert sum(len(keys) for _, keys in checked._reads) <= len(first)
