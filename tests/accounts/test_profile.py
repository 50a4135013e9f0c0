"""The profile page (/me): name, language, time zone, working hours, password change (ending the
user's other sessions) and API tokens; the invitation page asks language and time zone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.accounts.models import ApiToken, User
from hub.extensions import db
from tests import factories
from tests.accounts.conftest import link_in, outbox
from tests.conftest import HubTestClient

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _browser(app) -> HubTestClient:
    return HubTestClient(app, app.response_class, use_cookies=True)


def _signed_in(browser) -> bool:
    return browser.get("/api/v1/me").status_code == 200


def _profile_form(user, **changes):
    form = {"name": user.name, "locale": user.locale, "time_zone": user.time_zone,
            "work_start": user.work_start, "work_end": user.work_end}
    form.update(changes)
    return form


def test_the_profile_page_changes_name_language_zone_and_hours(app, world):
    browser = _browser(app)
    csrf = factories.login(browser, world.broker)
    page = browser.get("/me").get_data(as_text=True)
    assert 'href="/me"' in page and 'list="time-zones"' in page and "America/Chicago" in page  # searchable zones
    saved = browser.post("/me", data=_profile_form(world.broker, name="Jonas B.", locale="es",
                                                   time_zone="America/Mexico_City", work_start="08:00",
                                                   work_end="17:00", own_days="1",
                                                   work_days=["mon", "tue", "wed", "thu"], csrf_token=csrf))
    assert saved.status_code == 302
    user = db.session.get(User, world.broker.id)
    db.session.refresh(user)
    assert (user.name, user.locale, user.time_zone, user.work_start, user.work_end, user.work_days) == (
        "Jonas B.", "es", "America/Mexico_City", "08:00", "17:00", ["mon", "tue", "wed", "thu"])
    again = browser.get("/me").get_data(as_text=True)
    assert '<html lang="es">' in again and "Su perfil" in again and "hora de Ciudad de México" in again


def test_a_profile_that_does_not_check_is_refused_and_nothing_changes(app, world):
    browser = _browser(app)
    csrf = factories.login(browser, world.broker)
    for bad in ({"time_zone": "Mars/Olympus"}, {"time_zone": ""}, {"locale": "fr"}, {"name": "A\nB"},
                {"work_start": "18:00", "work_end": "09:00"}):
        answer = browser.post("/me", data=_profile_form(world.broker, csrf_token=csrf, **bad))
        assert answer.status_code == 422, bad
    user = db.session.get(User, world.broker.id)
    db.session.refresh(user)
    assert (user.time_zone, user.locale, user.name) == ("Europe/Berlin", "en", "Jonas Becker")


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, world):
    here = _browser(app)
    csrf = factories.login(here, world.staff)
    elsewhere = _browser(app)
    token = factories.page_csrf_token(elsewhere)
    elsewhere.post("/login", data={"email": world.staff.email, "password": factories.PASSWORD, "remember": "1",
                                   "csrf_token": token})
    remember = next(c.value for c in elsewhere._cookies.values() if c.key == "remember_token")
    wrong = here.post("/me/password", data={"current": "not-it", "password": "a-brand-new-pass",
                                            "confirm": "a-brand-new-pass", "csrf_token": csrf})
    assert wrong.status_code == 422 and _signed_in(elsewhere)
    differ = here.post("/me/password", data={"current": factories.PASSWORD, "password": "a-brand-new-pass",
                                             "confirm": "another-pass-1", "csrf_token": csrf})
    assert differ.status_code == 422
    done = here.post("/me/password", data={"current": factories.PASSWORD, "password": "a-brand-new-pass",
                                           "confirm": "a-brand-new-pass", "csrf_token": csrf})
    assert done.status_code == 302
    assert _signed_in(here)  # this browser stays signed in
    assert not _signed_in(elsewhere)
    cookie_only = _browser(app)
    cookie_only.set_cookie("remember_token", remember, domain="localhost")
    assert not _signed_in(cookie_only)
    user = db.session.get(User, world.staff.id)
    db.session.refresh(user)
    assert user.check_password("a-brand-new-pass") and not user.check_password(factories.PASSWORD)


def test_api_tokens_are_listed_created_and_revoked_on_the_profile_page(app, world):
    browser = _browser(app)
    csrf = factories.login(browser, world.agent)
    created = browser.post("/me/tokens", data={"name": "ERP", "scope": "read", "csrf_token": csrf})
    assert created.status_code == 201
    secret = re.search(r"<code>(hub_[^<]+)</code>", created.get_data(as_text=True)).group(1)
    assert factories.bearer(secret) and _browser(app).get(
        "/api/v1/me", headers=factories.bearer(secret)).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.agent.id, ApiToken.name == "ERP"))
    assert row.scope == "read" and f'data-token-id="{row.id}"' in browser.get("/me").get_data(as_text=True)
    assert browser.post(f"/me/tokens/{row.id}/revoke", data={"csrf_token": csrf}).status_code == 302
    assert _browser(app).get("/api/v1/me", headers=factories.bearer(secret)).status_code == 401
    # Someone else's token is not found, and stays.
    other = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.staff.id))
    assert browser.post(f"/me/tokens/{other.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert db.session.get(ApiToken, other.id) is not None


@SQLITE_ONLY
def test_the_invitation_asks_language_and_time_zone_never_silently_utc(app, client, world):
    answer = client.post(f"/api/v1/shipments/{world.shipment.id}/participants", headers=world.headers("staff"),
                         json={"email": "carmen@aduana.example", "role": "agent",
                               "organization_id": world.agent.organization_id})
    assert answer.status_code == 201
    path = link_in(outbox("invitation", "carmen@aduana.example")[0])
    browser = _browser(app)
    page = browser.get(path, headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<option value="es" selected' in page and 'data-browser-zone' in page and 'value=""' in page
    token = factories.csrf_token_from(page)
    form = {"name": "Carmen Ruiz", "password": "carmen-secret-1", "confirm": "carmen-secret-1", "csrf_token": token}
    empty = browser.post(path, data=form | {"locale": "es", "time_zone": ""})
    assert empty.status_code == 422  # no zone given: asked again, not UTC
    done = browser.post(path, data=form | {"locale": "es", "time_zone": "America/Mexico_City"})
    assert done.status_code == 302
    carmen = db.session.scalar(select(User).where(User.email == "carmen@aduana.example"))
    assert (carmen.locale, carmen.time_zone, carmen.active) == ("es", "America/Mexico_City", True)


@SQLITE_ONLY
def test_the_javascript_catalogue_of_each_locale(app, client):
    spanish = client.get("/i18n/es.js")
    assert spanish.status_code == 200 and spanish.mimetype == "text/javascript"
    body = spanish.get_data(as_text=True)
    assert body.startswith("window.HUB_I18N = ")
    assert '"Message deleted": "Mensaje eliminado"' in body and '"timePattern": "d MMM yyyy, H:mm"' in body
    assert '"arrived": "Llegó a destino"' in body and '"packing_list": "Lista de empaque"' in body
    chinese = client.get("/i18n/zh_Hans.js").get_data(as_text=True)
    assert '"zoneTime": "{city}时间"' in chinese and '"uploaded": "已上传{document}：{file}"' in chinese
    assert client.get("/i18n/fr.js").status_code == 404
