"""The shipment pages: list with search, filters and unread badges; new and edit forms; the
shipment page with its people and the invitation form; times in the viewer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from hub.extensions import db
from hub.shipments.models import Shipment
from tests import factories

FORM = {
    "reference": "WEB-1", "origin_country": "CN", "destination_country": "DE", "transport_mode": "air",
    "port_of_entry": "Frankfurt", "incoterm": "FCA", "goods_description": "Sensors",
    "hs_codes": "9018.19, 9026.10", "declared_value": "2500.50", "currency": "eur", "etd": "2026-12-01", "eta": "",
}


def shipments() -> int:
    return db.session.scalar(select(func.count()).select_from(Shipment)) or 0


def test_list_search_and_filters(client, world):
    factories.shipment(world.staff, "ACME-AIR-7", transport_mode="air", destination_country="MX")
    factories.shipment(world.staff, "ACME-RAIL-8", transport_mode="rail", origin_country="DE", destination_country="CN")
    factories.login(client, world.staff)

    def references(query: str) -> set[str]:
        page = client.get(f"/shipments{query}").get_data(as_text=True)
        return {ref for ref in ("ACME-001", "ACME-AIR-7", "ACME-RAIL-8") if f">{ref}<" in page}

    assert references("") == {"ACME-001", "ACME-AIR-7", "ACME-RAIL-8"}
    assert references("?q=air") == {"ACME-AIR-7"}
    assert references("?mode=rail") == {"ACME-RAIL-8"}
    assert references("?country=mx") == {"ACME-AIR-7"}
    assert references("?status=new&mode=sea") == {"ACME-001"}
    assert references("?status=released") == set()
    assert "No shipments match" in client.get("/shipments?q=nothing-like-this").get_data(as_text=True)


def test_partners_see_only_their_shipments_and_an_unread_badge(client, world):
    from hub.shipment_tx import shipment_transaction
    from hub.threads.services import add_message

    factories.shipment(world.staff, "ACME-HIDDEN")
    with shipment_transaction(world.shipment.id) as locked:
        add_message(locked, world.staff, "Please send the packing list.", client_id="c-1")
        add_message(locked, world.staff, "And the invoice.", client_id="c-2")
    factories.login(client, world.agent)
    page = client.get("/shipments").get_data(as_text=True)
    assert "ACME-001" in page and "ACME-HIDDEN" not in page
    assert "2 条未读" in page  # Li Wei reads Chinese
    assert "New shipment" not in page  # partners do not create shipments


def test_new_shipment_form_creates_and_lands_on_the_shipment(client, world):
    token = factories.login(client, world.staff)
    response = client.post("/shipments/new", data=FORM | {"csrf_token": token})
    assert response.status_code == 302
    shipment = db.session.scalar(select(Shipment).where(Shipment.reference == "WEB-1"))
    assert response.headers["Location"].endswith(f"/shipments/{shipment.id}")
    assert shipment.hs_codes == ["9018.19", "9026.10"] and shipment.currency == "EUR"
    assert shipment.eta is None and shipment.etd == datetime(2026, 12, 1, tzinfo=UTC)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Shipment WEB-1 created" in page


def test_new_shipment_form_shows_errors_next_to_the_fields_and_creates_nothing(client, world):
    token = factories.login(client, world.staff)
    response = client.post("/shipments/new", data=FORM | {"csrf_token": token, "origin_country": "XX",
                                                          "hs_codes": "84", "currency": "EURO"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("origin_country", "hs_codes", "currency"):
        assert f'id="{field}-error"' in page
    assert 'value="WEB-1"' in page  # what was typed is kept
    assert shipments() == 1
    duplicate = client.post("/shipments/new", data=FORM | {"csrf_token": token, "reference": "ACME-001"})
    assert duplicate.status_code == 409 and "already" in duplicate.get_data(as_text=True)
    assert shipments() == 1


def test_partners_cannot_open_the_new_shipment_form(client, world):
    factories.login(client, world.agent)
    response = client.get("/shipments/new")
    assert response.status_code == 302  # back, with a message
    # "Only coordinators and admins may do this.", in Li Wei's Chinese
    assert "只有协调员和管理员可以执行此操作。" in client.get("/shipments").get_data(as_text=True)


def test_edit_page_changes_only_what_was_changed(client, world):
    world.shipment.eta = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)
    db.session.commit()
    token = factories.login(client, world.staff)
    form = client.get(f"/shipments/{world.shipment.id}/edit")
    assert form.status_code == 200 and 'value="2026-12-20"' in form.get_data(as_text=True)
    response = client.post(f"/shipments/{world.shipment.id}/edit", data={
        "csrf_token": token, "reference": "ACME-001", "origin_country": "CN", "destination_country": "DE",
        "transport_mode": "sea", "port_of_entry": "Bremerhaven", "incoterm": "", "goods_description": "",
        "hs_codes": "", "declared_value": "", "currency": "", "etd": "", "eta": "2026-12-20",
    })
    assert response.status_code == 302
    db.session.refresh(world.shipment)
    assert world.shipment.port_of_entry == "Bremerhaven"
    assert world.shipment.eta == datetime(2026, 12, 20, 8, 30, tzinfo=UTC)  # untouched: time of day kept


def test_edit_page_refuses_partners_and_hides_from_others(client, world):
    factories.login(client, world.agent)
    assert client.get(f"/shipments/{world.shipment.id}/edit").status_code == 302
    other = client.application.test_client()
    factories.login(other, world.other_staff)
    assert other.get(f"/shipments/{world.shipment.id}/edit").status_code == 404


def test_shipment_page_shows_people_and_the_invitation_form_to_staff(client, world):
    rival_partner_org = factories.org("broker", "FR", "Rival Broker")
    rival_shipment = factories.shipment(world.other_staff, "RIVAL-1")
    factories.participant(rival_shipment, factories.user(rival_partner_org, "partner"), "broker")
    factories.login(client, world.staff)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    for person in ("Li Wei", "Jonas Becker", "Olga Observer", "Ana Coordinator"):
        assert person in page
    assert "Add or invite someone" in page
    assert "Shenzhen Agency" in page and "Berlin Brokers" in page  # organizations to pick from
    assert "Rival Broker" not in page  # another shipper's partners are not offered
    assert f"/shipments/{world.shipment.id}/edit" in page


def test_partners_see_the_page_without_management_forms(client, world):
    factories.login(client, world.observer)
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "ACME-001" in page and "Li Wei" in page
    assert "Add or invite someone" not in page and "/edit" not in page


def test_times_are_shown_in_the_viewers_time_zone(client, world):
    world.shipment.eta = datetime(2026, 12, 20, 23, 30, tzinfo=UTC)
    db.session.commit()
    factories.login(client, world.agent)  # Asia/Shanghai, UTC+8
    page = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert "2026年12月21日 07:30 上海时间" in page  # Li Wei reads Chinese
    assert 'datetime="2026-12-20T23:30:00Z"' in page
    other = client.application.test_client()
    factories.login(other, world.broker)  # Europe/Berlin, UTC+1
    assert "21 Dec 2026, 00:30 Berlin time" in other.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)


def test_removing_a_participant_from_the_page(client, world):
    token = factories.login(client, world.staff)
    response = client.post(f"/shipments/{world.shipment.id}/participants/{world.observer.id}/remove",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert "Participant removed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/api/v1/shipments/{world.shipment.id}", headers=world.headers("observer")).status_code == 404
