"""Sessions that really end: logout ends the session and remember-me cookies, a password reset
ends the other sessions, deactivation ends everything; sign-in takes as long for an unknown
address as for a known one."""

from __future__ import annotations

import statistics
import time

from sqlalchemy import select

from hub.accounts import services
from hub.extensions import db
from hub.notifications.models import OutboxEmail
from tests import factories
from tests.accounts.conftest import link_in
from tests.conftest import HubTestClient


def _browser(app) -> HubTestClient:
    return HubTestClient(app, app.response_class, use_cookies=True)


def _sign_in(app, user, remember: bool = False) -> HubTestClient:
    browser = _browser(app)
    token = factories.page_csrf_token(browser)
    data = {"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    assert browser.post("/login", data=data).status_code == 302
    return browser


def _cookies(browser: HubTestClient) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in browser._cookies.values()}


def _with_cookies(app, cookies: dict[str, str]) -> HubTestClient:
    other = _browser(app)
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


def _signed_in(browser: HubTestClient) -> bool:
    return browser.get("/api/v1/me").status_code == 200


def test_logout_ends_the_session_cookie_and_the_remember_me_cookie(app, world):
    # As found: after logout the copied session cookie still worked, and remember-me signed in again.
    browser = _sign_in(app, world.staff, remember=True)
    stolen = _cookies(browser)
    assert "remember_token" in stolen and "session" in stolen
    assert _signed_in(_with_cookies(app, stolen))
    csrf = factories.page_csrf_token(browser, "/shipments")
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert not _signed_in(browser)
    assert not _signed_in(_with_cookies(app, stolen))
    assert not _signed_in(_with_cookies(app, {"remember_token": stolen["remember_token"]}))
    assert _signed_in(_sign_in(app, world.staff))  # signing in again works


def test_a_password_reset_ends_the_other_sessions(app, world):
    elsewhere = _sign_in(app, world.staff, remember=True)
    old_remember = _cookies(elsewhere)["remember_token"]
    anonymous = _browser(app)
    token = factories.page_csrf_token(anonymous, "/password/forgot")
    anonymous.post("/password/forgot", data={"email": world.staff.email, "csrf_token": token})
    email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "password_reset")).one()
    path = link_in(email)
    page_token = factories.csrf_token_from(anonymous.get(path).get_data(as_text=True))
    done = anonymous.post(path, data={"password": "a-brand-new-pass", "confirm": "a-brand-new-pass",
                                      "csrf_token": page_token})
    assert done.status_code == 302
    assert _signed_in(anonymous)  # the browser that reset stays signed in
    assert not _signed_in(elsewhere)
    assert not _signed_in(_with_cookies(app, {"remember_token": old_remember}))


def test_deactivation_ends_sessions_and_tokens(app, client, world):
    browser = _sign_in(app, world.agent)
    services.set_user_active(world.admin, world.agent, False)
    assert not _signed_in(browser)
    assert client.get("/api/v1/me", headers=world.headers("agent")).status_code == 401


def test_signing_in_with_an_unknown_email_takes_as_long_as_with_a_known_one(app, world):
    # As found: ~5 ms for an unknown address against ~100 ms for a known one.
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:16384:8:1"  # production's cost: the timing is the point
    services.reset_password(world.staff, "known-user-password")

    def timed(email: str) -> float:
        start = time.perf_counter()
        assert services.authenticate(email, "wrong-password-here") is None
        return time.perf_counter() - start

    timed("warm@up.example")
    known, unknown = [], []
    for _ in range(9):  # interleaved, so a busy moment of the machine weighs on both alike
        known.append(timed(world.staff.email))
        unknown.append(timed("nobody@nowhere.example"))
    known_s, unknown_s = statistics.median(known), statistics.median(unknown)
    assert known_s > 0.005, known_s  # the check really hashes
    assert 0.5 < unknown_s / known_s < 2, (unknown_s, known_s)
