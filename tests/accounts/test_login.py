"""Signing in and out; the session cookie; where anonymous visitors are sent."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import HubTestClient, make_app


def _session_cookie_header(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_login_sets_an_httponly_samesite_lax_cookie_and_lands_on_shipments(client, world):
    token = factories.page_csrf_token(client)
    response = client.post("/login", data={"email": "ANA@acme.example", "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/shipments")
    cookie = _session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE is off in tests
    page = client.get("/shipments")
    assert page.status_code == 200
    assert "ACME-001" in page.get_data(as_text=True)


def test_session_cookie_is_secure_when_configured(monkeypatch, tmp_path, database_url, world):
    from hub.extensions import db

    email = world.staff.email
    db.session.commit()  # end this app's transaction: the second app writes to the same SQLite file
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = make_app(database_url, tmp_path)
    client = HubTestClient(app, app.response_class, use_cookies=True)
    token = factories.page_csrf_token(client)
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "csrf_token": token, "remember": "1"})
    assert response.status_code == 302
    assert "Secure" in _session_cookie_header(response)
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert remember and "Secure" in remember[0] and "HttpOnly" in remember[0]


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@acme.example", "wrong-password-1"), ("nobody@acme.example", factories.PASSWORD), ("", "")],
)
def test_wrong_credentials_stay_on_the_login_page(client, world, email, password):
    token = factories.page_csrf_token(client)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/shipments").status_code == 302


def test_an_inactive_user_cannot_sign_in(client, world):
    from hub.extensions import db

    world.agent.active = False
    db.session.commit()
    token = factories.page_csrf_token(client)
    response = client.post("/login", data={"email": world.agent.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 401


def test_login_form_needs_the_csrf_token(client, world):
    response = client.post("/login", data={"email": world.staff.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/shipments").status_code == 302  # not signed in


def test_logout_is_a_post_and_ends_the_session(client, world):
    token = factories.login(client, world.staff)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    after = client.get("/shipments")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_root_sends_visitors_to_login_and_users_to_shipments(client, world):
    anonymous = client.get("/")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].endswith("/login")
    factories.login(client, world.agent)
    signed_in = client.get("/")
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/shipments")


def test_anonymous_pages_redirect_to_login_and_come_back_after_it(client, world):
    path = f"/shipments/{world.shipment.id}"
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    login_page = client.get(response.headers["Location"])
    token = factories.csrf_token_from(login_page.get_data(as_text=True))
    done = client.post(response.headers["Location"],
                       data={"email": world.agent.email, "password": factories.PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(path)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, world, target):
    token = factories.page_csrf_token(client)
    response = client.post(f"/login?next={target}",
                           data={"email": world.staff.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/shipments")


def test_invisible_shipment_pages_are_404_never_403(client, world):
    factories.login(client, world.outsider)
    hidden = client.get(f"/shipments/{world.shipment.id}")
    missing = client.get("/shipments/999999")
    assert hidden.status_code == missing.status_code == 404
    assert "ACME-001" not in hidden.get_data(as_text=True)


def test_login_audits_the_sign_in(client, world):
    from sqlalchemy import select

    from hub.audit.models import AuditLog
    from hub.extensions import db

    factories.login(client, world.broker)
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.login")).all()
    assert [r.actor_id for r in rows] == [world.broker.id]

