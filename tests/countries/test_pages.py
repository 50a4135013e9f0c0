"""Pages: the admins' country pages (edit with revisions) and the profile and clock on every
shipment page to that country, for every participant."""

from __future__ import annotations

from hub.countries.models import CountryProfile
from hub.extensions import db
from tests import factories


def test_admins_edit_a_profile_on_its_page(client, world):
    csrf = factories.session_for(client, world.admin)
    listing = client.get("/admin/countries/").get_data(as_text=True)
    assert 'data-country="CN"' in listing and 'data-country="SA"' in listing and "as seeded" in listing
    page = client.get("/admin/countries/de").get_data(as_text=True)
    assert "Einfuhrumsatzsteuer" in page and "phytosanitary_certificate" in page
    form = {"csrf_token": csrf, "time_zone": "Europe/Berlin", "working_days": ["mon", "tue", "wed", "thu", "fri"],
            "clearance_days_sea": "3", "clearance_days_air": "1", "clearance_days_road": "1",
            "clearance_days_rail": "2", "clearance_days_courier": "1",
            "notes": "**CBAM** declarations from 2026.", "source": "Zoll.de service levels",
            "documents": "- doc_type: certificate_of_origin\n  why: Preferential duty.\n  when: {origins: [KR]}\n"}
    saved = client.post("/admin/countries/DE", data=form)
    assert saved.status_code == 302
    profile = db.session.get(CountryProfile, "DE")
    assert profile.revision == 1 and profile.clearance_days["sea"] == 3 and profile.updated_by_id == world.admin.id
    assert profile.documents == [{"doc_type": "certificate_of_origin", "why": "Preferential duty.", "when": {"origins": ["KR"]}}]
    page = client.get("/admin/countries/DE").get_data(as_text=True)
    assert "Revision 1:" in page and "by Ada Admin" in page and "<strong>CBAM</strong>" in page
    bad = client.post("/admin/countries/DE", data=form | {"clearance_days_sea": "-2", "documents": "- doc_type: visa"})
    assert bad.status_code == 422
    assert db.session.get(CountryProfile, "DE").revision == 1


def test_the_open_a_country_box_leads_to_its_page(client, world):
    factories.session_for(client, world.admin)
    listing = client.get("/admin/countries/").get_data(as_text=True)
    assert 'name="code"' in listing and "onsubmit" not in listing  # no inline script (CSP)
    opened = client.get("/admin/countries/?code=fr")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/admin/countries/FR")


def test_the_country_pages_are_for_admins_only(client, world):
    csrf = factories.session_for(client, world.staff)
    # Pages answer a refusal by going back with the message (the project's way for 403).
    for response in (client.get("/admin/countries/"), client.get("/admin/countries/CN"),
                     client.post("/admin/countries/CN", data={"csrf_token": csrf, "notes": "mine now"})):
        assert response.status_code == 302 and "/admin/countries" not in response.headers["Location"]
    assert db.session.get(CountryProfile, "CN") is None


def test_every_participant_sees_the_profile_and_the_holidays_ahead(client, world, monkeypatch):
    from hub.timestamps import parse_timestamp

    frozen = parse_timestamp("2026-12-21T09:00:00Z")
    monkeypatch.setattr("hub.countries.clock.utcnow", lambda: frozen)
    shipment = factories.shipment(world.staff, "DE-XMAS", destination_country="DE",
                                  eta=parse_timestamp("2026-12-23T09:00:00Z"))
    factories.participant(shipment, world.agent, "agent")
    factories.session_for(client, world.agent)
    html = client.get(f"/shipments/{shipment.id}").get_data(as_text=True)
    # DE sea, 2 business days from Wed 23 Dec: Thu 24 (1), Christmas Fri 25 and Sat 26, Mon 28 (2).
    assert '<time datetime="2026-12-28">' in html and "还剩 4 个工作日" in html  # Li Wei reads Chinese
    assert "2026年12月25日</time> Christmas Day" in html and "Second Day of Christmas" in html  # Li Wei reads Chinese
    assert 'id="profile-notes"' in html and "Einfuhrumsatzsteuer" in html
    assert "Edit the profile" not in html  # only admins get the link
