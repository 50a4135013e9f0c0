"""The invite form gives the new partner's language and time zone."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from tests import factories


def _invite(client, world, **extra):
    return client.post(f"/api/v1/shipments/{world.shipment.id}/participants", headers=world.headers("staff"),
                       json={"email": "nuevo@aduanas.example", "role": "agent",
                             "organization": {"name": "Aduanas Norte", "kind": "customs_agent", "country": "MX"}}
                       | extra)


def test_an_invitation_sets_the_new_partners_language_and_time_zone(client, world):
    assert _invite(client, world, locale="es", time_zone="America/Monterrey").status_code == 201
    user = db.session.scalars(select(User).where(User.email == "nuevo@aduanas.example")).one()
    assert (user.locale, user.time_zone, user.organization.time_zone) == ("es", "America/Monterrey",
                                                                        "America/Monterrey")


def test_a_bad_language_or_zone_is_422_and_invites_nobody(client, world):
    for extra in ({"locale": "fr"}, {"time_zone": "Mars/Olympus"}, {"time_zone": "CST"}):
        answer = _invite(client, world, **extra)
        assert answer.status_code == 422 and set(answer.json["error"]["fields"]) & {"locale", "time_zone"}
    assert db.session.scalars(select(User).where(User.email == "nuevo@aduanas.example")).first() is None


def test_the_page_form_offers_both(client, world):
    token = factories.login(client, world.staff)
    html = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert 'name="locale"' in html and 'name="time_zone"' in html and 'value="Asia/Shanghai"' in html
    client.post(f"/shipments/{world.shipment.id}/participants",
                data={"email": "li@new.example", "role": "agent", "org_name": "New Agency", "org_kind": "customs_agent",
                      "org_country": "CN", "locale": "zh_Hans", "time_zone": "Asia/Shanghai", "csrf_token": token})
    user = db.session.scalars(select(User).where(User.email == "li@new.example")).one()
    assert (user.locale, user.time_zone) == ("zh_Hans", "Asia/Shanghai")
