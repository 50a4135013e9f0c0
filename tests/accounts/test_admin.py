"""The admin area: an admin manages the people of their own organization, nobody else."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.models import User
from hub.extensions import db
from tests import factories

NEW = {"name": "Kenji Sato", "email": "kenji@acme.example", "role": "coordinator", "locale": "en",
       "time_zone": "Asia/Tokyo", "password": "kenji-secret-1"}


def test_admin_sees_own_people_and_partner_organizations_only(client, world):
    factories.login(client, world.admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Ana Coordinator" in page and "Ada Admin" in page
    assert "Rita Rival" not in page and "Li Wei" not in page  # another shipper's staff; partners
    assert "Shenzhen Agency" in page and "Berlin Brokers" in page  # partners on Acme's shipments
    assert "Rival Trading" not in page


def test_admin_adds_a_colleague_who_can_sign_in(app, client, world):
    token = factories.login(client, world.admin)
    response = client.post("/admin/users", data=NEW | {"csrf_token": token})
    assert response.status_code == 302
    assert "Kenji Sato (kenji@acme.example) added" in client.get("/admin/").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "kenji@acme.example"))
    assert user.organization_id == world.admin.organization_id and user.time_zone == "Asia/Tokyo"
    fresh = app.test_client()
    assert factories.login(fresh, user, "kenji-secret-1")


def test_bad_colleague_input_is_reported_and_creates_nothing(client, world):
    token = factories.login(client, world.admin)
    response = client.post("/admin/users", data=NEW | {"csrf_token": token, "email": "nope", "password": "short"})
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "email" in page and "password" in page
    assert db.session.scalar(select(User).where(User.name == "Kenji Sato")) is None


def test_deactivating_stops_sign_in_and_tokens_and_reactivating_restores(app, client, world):
    token = factories.login(client, world.admin)
    assert client.post(f"/admin/users/{world.staff.id}/active", data={"csrf_token": token, "active": "0"}).status_code == 302
    assert client.get("/api/v1/me", headers=world.headers("staff")).status_code == 401
    client.post(f"/admin/users/{world.staff.id}/active", data={"csrf_token": token, "active": "1"})
    assert client.get("/api/v1/me", headers=world.headers("staff")).status_code == 200


def test_an_admin_cannot_deactivate_themselves_or_other_organizations_people(client, world):
    token = factories.login(client, world.admin)
    client.post(f"/admin/users/{world.admin.id}/active", data={"csrf_token": token, "active": "0"})
    assert "cannot deactivate your own account" in client.get("/admin/").get_data(as_text=True)
    other = client.post(f"/admin/users/{world.other_staff.id}/active", data={"csrf_token": token, "active": "0"})
    assert other.status_code == 404
    agent = client.post(f"/admin/users/{world.agent.id}/active", data={"csrf_token": token, "active": "0"})
    assert agent.status_code == 404
    db.session.refresh(world.other_staff)
    db.session.refresh(world.agent)
    assert world.other_staff.active and world.agent.active and world.admin.active


def test_only_admins_enter(client, world):
    factories.login(client, world.staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin" not in response.headers["Location"]
    assert "Only admins" in client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    anonymous = client.application.test_client().get("/admin/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_admin_link_in_the_navigation_for_admins_only(client, world):
    factories.login(client, world.admin)
    assert 'href="/admin/"' in client.get("/shipments").get_data(as_text=True)
    other = client.application.test_client()
    factories.login(other, world.staff)
    assert 'href="/admin/"' not in other.get("/shipments").get_data(as_text=True)
