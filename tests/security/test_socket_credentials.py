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
    # Many sockets, one read a period: when one credential runs out, the others heard from are
    # read with it; an ended one among them is refused at its next event all the same.
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
