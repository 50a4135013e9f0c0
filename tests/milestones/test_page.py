"""The milestone panel of the shipment page: timeline in the viewer's time zone, status, and
the form (classic POST, or fetch with the CSRF header and a JSON answer)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.milestones.models import Milestone
from hub.milestones.routes import form_values
from hub.shipments.models import Shipment
from tests import factories
from tests.milestones.conftest import milestone_count


def sign_in(client, user) -> str:
    """Sign in through the login form; answers the page's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return csrf_of(client, "/shipments")


def csrf_of(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def page_of(client, shipment_id: int) -> str:
    response = client.get(f"/shipments/{shipment_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_panel_shows_the_timeline_in_the_viewers_time_zone(post_milestone, client, world):
    post_milestone("agent", {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "location": "Hamburg <Port>"})
    post_milestone("agent", {"code": "booked", "occurred_at": "2026-11-02T23:30:00Z", "note": "<b>early</b>"})
    token = sign_in(client, world.agent)  # Asia/Shanghai
    page = page_of(client, world.shipment.id)
    panel = page[page.index('id="milestones"'):]
    listed = panel[panel.index('id="milestone-timeline"'):]
    # Li Wei reads Chinese: "Booked" before "Arrived", in Shanghai's time named by its city.
    assert listed.index("已订舱") < listed.index("已到达")
    assert "2026年11月3日 07:30 上海时间" in panel and "2026年11月20日 16:00 上海时间" in panel
    assert "Hamburg &lt;Port&gt;" in panel and "&lt;b&gt;early&lt;/b&gt;" in panel  # user input escaped
    assert 'data-milestone-status' in panel and ">已到达</span>" in panel
    assert 'id="milestone-form"' in panel and 'name="code"' in panel and 'type="datetime-local"' in panel
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, world.broker)  # Europe/Berlin
    assert "20 Nov 2026, 09:00 Berlin time" in page_of(client, world.shipment.id)


def test_observer_sees_the_timeline_but_no_form(post_milestone, client, world):
    post_milestone("agent", {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z"})
    sign_in(client, world.observer)
    page = page_of(client, world.shipment.id)
    assert "Clearance timeline" in page and "Arrived" in page
    assert 'id="milestone-form"' not in page


def test_empty_timeline_says_so(client, world):
    sign_in(client, world.staff)
    assert "No milestones recorded yet." in page_of(client, world.shipment.id)


def test_form_records_a_milestone_in_the_viewers_time_zone(client, world):
    token = sign_in(client, world.agent)  # Asia/Shanghai, UTC+8
    response = client.post(
        f"/shipments/{world.shipment.id}/milestones",
        data={"code": "on_hold", "occurred_at": "2026-11-20T16:30", "location": "Yantian", "note": "",
              "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/shipments/{world.shipment.id}#milestones")
    stored = db.session.scalars(select(Milestone)).one()
    assert stored.occurred_at.isoformat() == "2026-11-20T08:30:00+00:00"
    assert (stored.code, stored.location, stored.note, stored.recorded_by_id) == ("on_hold", "Yantian", None, world.agent.id)
    page = page_of(client, world.shipment.id)
    assert "已记录“被扣留”。" in page and "2026年11月20日 16:30 上海时间" in page  # "On hold recorded.", in Chinese
    assert db.session.get(Shipment, world.shipment.id).status == "on_hold"


def test_form_errors_are_shown_on_the_page_and_record_nothing(client, world):
    token = sign_in(client, world.agent)
    response = client.post(
        f"/shipments/{world.shipment.id}/milestones",
        data={"code": "teleported", "occurred_at": "yesterday", "csrf_token": token}, follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "节点未记录。" in page  # "The milestone was not recorded.", in Li Wei's Chinese
    assert "code: 必须是以下之一：" in page and "occurred_at:" in page  # the reasons in Chinese too
    assert "must be one of" not in page
    assert milestone_count() == 0


def test_the_scripted_form_gets_json_answers(client, world):
    token = sign_in(client, world.agent)
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    url = f"/shipments/{world.shipment.id}/milestones"
    response = client.post(url, data={"code": "arrived", "occurred_at": "2026-11-20T16:00"}, headers=headers)
    assert response.status_code == 201
    assert response.json["occurred_at"] == "2026-11-20T08:00:00Z" and response.json["label"] == "Arrived"
    repeat = client.post(url, data={"code": "arrived", "occurred_at": "2026-11-20T16:00"}, headers=headers)
    assert repeat.status_code == 200 and repeat.json == response.json
    bad = client.post(url, data={"code": "arrived"}, headers=headers)
    assert bad.status_code == 422 and "occurred_at" in bad.json["error"]["fields"]
    assert milestone_count() == 1


def test_the_form_needs_the_csrf_token(client, world):
    sign_in(client, world.agent)
    response = client.post(f"/shipments/{world.shipment.id}/milestones",
                           data={"code": "arrived", "occurred_at": "2026-11-20T16:00"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert milestone_count() == 0


def test_cookie_authenticated_api_writes_need_the_csrf_header(client, world):
    token = sign_in(client, world.agent)
    url = f"/api/v1/shipments/{world.shipment.id}/milestones"
    body = {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z"}
    assert client.post(url, json=body).status_code == 400
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 201


@pytest.mark.parametrize(("who", "status"), [("observer", 403), ("outsider", 404), ("other_staff", 404)])
def test_the_form_route_refuses_who_may_not_record(client, world, who, status):
    token = sign_in(client, getattr(world, who))
    response = client.post(f"/shipments/{world.shipment.id}/milestones",
                           data={"code": "arrived", "occurred_at": "2026-11-20T16:00"},
                           headers={"Accept": "application/json", "X-CSRFToken": token})
    assert response.status_code == status
    assert milestone_count() == 0


def test_form_values_reads_local_wall_time_and_leaves_the_rest_to_the_service():
    assert form_values({"code": " arrived ", "occurred_at": "2026-07-01T10:00", "location": " "}, "Europe/Berlin") == {
        "code": "arrived", "occurred_at": "2026-07-01T10:00:00+02:00"}
    assert form_values({"occurred_at": "2026-11-20T08:00:00Z"}, "Asia/Shanghai") == {
        "occurred_at": "2026-11-20T08:00:00Z"}
    assert form_values({"occurred_at": "soon"}, "UTC") == {"occurred_at": "soon"}
    assert form_values({"occurred_at": "2026-11-20"}, "Asia/Shanghai") == {"occurred_at": "2026-11-20"}
