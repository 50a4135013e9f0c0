"""Password reset by an emailed, signed, expiring, single-use link."""

from __future__ import annotations

import time

from itsdangerous.timed import TimestampSigner

from tests import factories
from tests.accounts.conftest import link_in, outbox


def ask_for_reset(client, email: str):
    token = factories.page_csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def set_password(client, path: str, password: str, confirm: str | None = None):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = factories.csrf_token_from(page.get_data(as_text=True))
    return client.post(path, data={"password": password, "confirm": confirm or password, "csrf_token": token})


def can_sign_in(app, email: str, password: str) -> bool:
    from tests.conftest import HubTestClient

    fresh = HubTestClient(app, app.response_class, use_cookies=True)
    token = factories.page_csrf_token(fresh)
    return fresh.post("/login", data={"email": email, "password": password, "csrf_token": token}).status_code == 302


def test_reset_link_is_emailed_and_sets_a_new_password_once(app, client, world):
    response = ask_for_reset(client, "Li.Wei@agency.example")
    assert response.status_code == 302
    [email] = outbox("password_reset", world.agent.email)
    path = link_in(email)
    assert path.startswith("/password/reset/")

    done = set_password(client, path, "a-brand-new-secret")
    assert done.status_code == 302 and done.headers["Location"].endswith("/shipments")
    assert client.get("/shipments").status_code == 200  # signed in by the reset
    assert can_sign_in(app, world.agent.email, "a-brand-new-secret")
    assert not can_sign_in(app, world.agent.email, factories.PASSWORD)

    # The link is single-use: the password it was issued against has changed.
    other = app.test_client()
    again = other.get(path)
    assert again.status_code == 302 and again.headers["Location"].endswith("/password/forgot")


def test_unknown_addresses_get_the_same_answer_and_no_email(client, world):
    known = ask_for_reset(client, world.staff.email)
    unknown = ask_for_reset(client, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert outbox("password_reset", "nobody@nowhere.example") == []
    assert len(outbox("password_reset")) == 1


def test_reset_link_expires(app, client, world, monkeypatch):
    ask_for_reset(client, world.broker.email)
    path = link_in(outbox("password_reset", world.broker.email)[0])
    later = int(time.time()) + app.config["PASSWORD_RESET_MAX_AGE_S"] + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/password/forgot")
    assert can_sign_in(app, world.broker.email, factories.PASSWORD)


def test_a_tampered_link_is_refused(client, world):
    ask_for_reset(client, world.broker.email)
    path = link_in(outbox("password_reset", world.broker.email)[0])
    response = client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/password/forgot")


def test_short_or_mismatched_passwords_are_refused_and_change_nothing(app, client, world):
    ask_for_reset(client, world.broker.email)
    path = link_in(outbox("password_reset", world.broker.email)[0])
    assert set_password(client, path, "short").status_code == 422
    assert set_password(client, path, "long-enough-1", "long-enough-2").status_code == 422
    assert can_sign_in(app, world.broker.email, factories.PASSWORD)
    assert set_password(client, path, "long-enough-1").status_code == 302  # the link still works
