"""The dashboard's figures on a seeded data set whose medians, percentiles and rates are worked
out by hand below, on SQLite and PostgreSQL alike, with a constant number of statements
whatever the number of shipments; and the CSV export of each figure, formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from hub.countries.models import ClearanceClock
from hub.dashboard.services import csv_cell, percentile
from hub.extensions import db
from hub.handovers.models import Handover
from hub.risks.models import RiskFlag
from hub.shipments.models import Shipment, ShipmentParticipant
from tests import factories
from tests.threads.test_send_cost import counted_statements

PERIOD = "from=2026-11-01&to=2026-11-30"
_n = iter(range(1, 10_000))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _released(world, destination: str, mode: str, days: int, released_on: date, on_time: bool, agent=None) -> Shipment:
    """A shipment released on `released_on` after `days` business days, on time or a day late."""
    shipment = factories.shipment(world.staff, f"FIG-{next(_n):03d}", destination_country=destination,
                                  transport_mode=mode)
    shipment.status = "released"
    if agent is not None:
        db.session.add(ShipmentParticipant(shipment_id=shipment.id, user_id=agent.id, role="agent"))
    expected = released_on if on_time else date(released_on.year, released_on.month, released_on.day - 1)
    db.session.add(ClearanceClock(shipment_id=shipment.id, basis="arrived", basis_on=released_on,
                                  expected_release_on=expected, released_on=released_on, business_days_taken=days))
    db.session.commit()
    return shipment


@pytest.fixture
def seeded(world, monkeypatch):
    """Released shipments of November 2026 (and some that must not count), hand-overs, today's."""
    now = _at("2026-12-02T12:00:00Z")  # a Wednesday
    monkeypatch.setattr("hub.countries.clock.utcnow", lambda: now)
    monkeypatch.setattr("hub.dashboard.services.utcnow", lambda: now)
    aduanas = factories.org("customs_agent", "MX", "Aduanas del Pacífico", "America/Mexico_City")
    maria = factories.user(aduanas, "partner", "maria@aduanas.example", "María González", "es", "America/Mexico_City")
    li = world.agent  # Shenzhen Agency
    rows = [  # destination, mode, business days, released on, on time, agent
        ("DE", "sea", 2, date(2026, 11, 3), True, li),
        ("DE", "sea", 3, date(2026, 11, 10), True, li),
        ("DE", "air", 5, date(2026, 11, 12), False, None),
        ("DE", "sea", 8, date(2026, 11, 20), False, maria),
        ("CN", "air", 1, date(2026, 11, 4), True, li),
        ("CN", "air", 1, date(2026, 11, 18), True, li),
        ("CN", "courier", 4, date(2026, 11, 25), True, li),
        ("MX", "road", 6, date(2026, 11, 27), False, maria),
    ]
    shipments = [_released(world, *row) for row in rows]
    # Not in the figures: released before the period, another shipper's, not released.
    _released(world, "DE", "sea", 30, date(2026, 9, 10), False, li)
    rival = factories.shipment(world.other_staff, "RIVAL-1", destination_country="DE")
    db.session.add(ClearanceClock(shipment_id=rival.id, basis="arrived", expected_release_on=date(2026, 11, 5),
                                  released_on=date(2026, 11, 5), business_days_taken=40))
    # Today's: one overdue (expected 25 November, not released), one arriving this week, one at risk.
    late = factories.shipment(world.staff, "LATE-1", destination_country="DE")
    late.status = "arrived"
    db.session.add(ClearanceClock(shipment_id=late.id, basis="arrived", basis_on=date(2026, 11, 20),
                                  expected_release_on=date(2026, 11, 25)))
    factories.shipment(world.staff, "SOON-1", destination_country="DE", eta=_at("2026-12-04T08:00:00Z"))
    db.session.add(RiskFlag(shipment_id=late.id, rule="on_hold", severity="high", detail="Held", open_key="on_hold"))
    db.session.add(RiskFlag(shipment_id=shipments[0].id, rule="on_hold", severity="high", detail="Was held",
                            resolved_at=_at("2026-11-02T00:00:00Z")))
    # Partners' answers (Li Wei: Shanghai 09:00-18:00; Jonas: Berlin 09:00-18:00, UTC+1 in November).
    sid = shipments[0].id
    for user, since, until in [
        (li, "2026-11-16T01:00:00Z", "2026-11-16T03:00:00Z"),   # Mon 09:00-11:00 in Shanghai: 2 h
        (li, "2026-11-16T09:00:00Z", "2026-11-17T04:00:00Z"),   # Mon 17:00 to Tue 12:00: 1 + 3 = 4 h
        (li, "2026-11-20T08:00:00Z", "2026-11-23T01:30:00Z"),   # Fri 16:00 to Mon 09:30: 2 + 0.5 = 2.5 h
        (world.broker, "2026-11-17T08:00:00Z", "2026-11-17T09:30:00Z"),  # Tue 09:00-10:30 in Berlin: 1.5 h
        (li, "2026-10-05T01:00:00Z", "2026-10-20T01:00:00Z"),   # answered before the period
        (li, "2026-11-30T01:00:00Z", None),                     # not answered yet
    ]:
        db.session.add(Handover(shipment_id=sid, party="partner", user_id=user.id, organization_id=user.organization_id,
                                since=_at(since), until=_at(until) if until else None, cause="mention"))
    db.session.add(Handover(shipment_id=sid, party="us", since=_at("2026-11-16T03:00:00Z"),
                            until=_at("2026-11-16T09:00:00Z"), cause="message"))
    db.session.commit()
    return world


def test_percentile_is_the_nearest_rank():
    assert percentile([2, 3, 5, 8], 0.9) == 8  # ceil(3.6) = 4th
    assert percentile([1, 1, 4], 0.9) == 4  # ceil(2.7) = 3rd
    assert percentile(list(range(1, 11)), 0.9) == 9  # ceil(9.0) = 9th
    assert percentile([7], 0.9) == 7


def _csv(client, figure: str) -> list[list[str]]:
    answer = client.get(f"/dashboard/export.csv?figure={figure}&{PERIOD}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv", answer.data[:300]
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def test_the_figures_worked_out_by_hand(client, seeded):
    factories.login(client, seeded.staff)
    page = client.get(f"/dashboard?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg class="chart' in html and "<script>" not in html and "style=" not in html
    assert _csv(client, "status") == [["status", "shipments"], ["arrived", "1"], ["new", "2"], ["released", "9"]]
    # By destination: DE [2, 3, 5, 8] median (3+5)/2 = 4, p90 the 4th = 8; CN [1, 1, 4] median 1,
    # p90 the 3rd = 4; MX [6].
    assert _csv(client, "clearance_by_country")[1:] == [
        ["CN", "3", "1.0", "4.0"], ["DE", "4", "4.0", "8.0"], ["MX", "1", "6.0", "6.0"]]
    # By agent: Shenzhen Agency [1, 1, 2, 3, 4] median 2, p90 the 5th (ceil 4.5) = 4;
    # Aduanas [6, 8] median 7, p90 the 2nd = 8; no agent nor broker [5].
    assert _csv(client, "clearance_by_agent")[1:] == [
        ["(no agent or broker)", "1", "5.0", "5.0"], ["Aduanas del Pacífico", "2", "7.0", "8.0"],
        ["Shenzhen Agency", "5", "2.0", "4.0"]]
    # By mode: sea [2, 3, 8] median 3, p90 8; air [1, 1, 5] median 1, p90 5; courier [4]; road [6].
    assert _csv(client, "clearance_by_mode")[1:] == [
        ["air", "3", "1.0", "5.0"], ["courier", "1", "4.0", "4.0"], ["road", "1", "6.0", "6.0"],
        ["sea", "3", "3.0", "8.0"]]
    # On time: CN 3 of 3, DE 2 of 4, MX 0 of 1.
    assert _csv(client, "on_time")[1:] == [["CN", "3", "3", "1.0"], ["DE", "4", "2", "0.5"], ["MX", "1", "0", "0.0"]]
    # Response: Shenzhen Agency [2, 2.5, 4] median 2.5, p90 4; Berlin Brokers [1.5].
    assert _csv(client, "response")[1:] == [["Berlin Brokers", "1", "1.5", "1.5"],
                                            ["Shenzhen Agency", "3", "2.5", "4.0"]]
    for marker, value in (("count-total", "12"), ("count-at-risk", "1"), ("count-overdue", "1"),
                          ("count-arriving", "1")):
        block = html.split(f'id="{marker}"', 1)[1].split("</div>", 1)[0]
        assert f'<span class="count">{value}</span>' in block, (marker, block)


def test_the_statements_do_not_grow_with_the_shipments(client, seeded):
    factories.login(client, seeded.staff)
    client.get(f"/dashboard?{PERIOD}")
    with counted_statements() as few:
        assert client.get(f"/dashboard?{PERIOD}").status_code == 200
    with counted_statements() as few_csv:
        client.get(f"/dashboard/export.csv?figure=response&{PERIOD}")
    for n in range(12):
        _released(seeded, ["DE", "CN", "MX", "US"][n % 4], ["sea", "air", "road"][n % 3], n % 5, date(2026, 11, 1 + n),
                  n % 2 == 0, seeded.agent)
        db.session.add(Handover(shipment_id=seeded.shipment.id, party="partner", user_id=seeded.agent.id,
                                organization_id=seeded.agent.organization_id, since=_at(f"2026-11-{2 + n:02d}T01:00:00Z"),
                                until=_at(f"2026-11-{2 + n:02d}T02:00:00Z"), cause="mention"))
    db.session.commit()
    client.get(f"/dashboard?{PERIOD}")  # as before `few`: the signed-in user's row is read again once
    with counted_statements() as many:
        assert client.get(f"/dashboard?{PERIOD}").status_code == 200
    with counted_statements() as many_csv:
        client.get(f"/dashboard/export.csv?figure=response&{PERIOD}")
    assert len(many) == len(few), many
    assert len(many_csv) == len(few_csv)
    assert _csv(client, "clearance_by_country")[1:][0][1] != "3"  # the new ones count


def test_csv_cells_that_look_like_formulas_are_neutralised(client, seeded):
    assert [csv_cell(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", 3, 2.5)] == [
        "'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain", 3, 2.5]
    evil = factories.org("customs_agent", "CN", '=HYPERLINK("http://evil.example","x")', "Asia/Shanghai")
    person = factories.user(evil, "partner", "evil@evil.example", "Eve")
    _released(seeded, "CN", "air", 2, date(2026, 11, 9), True, person)
    factories.login(client, seeded.staff)
    rows = _csv(client, "clearance_by_agent")
    assert ["'=HYPERLINK(\"http://evil.example\",\"x\")", "1", "2.0", "2.0"] in rows


def test_partners_may_not_open_the_dashboard_and_bad_periods_are_refused(client, seeded):
    factories.login(client, seeded.agent)
    # Pages answer a refusal (403) by sending the person home with a message, as every staff page does.
    for url in ("/dashboard", "/dashboard/export.csv?figure=status"):
        refused = client.get(url)
        assert (refused.status_code, refused.headers["Location"]) == (302, "/"), url
    factories.session_for(client, seeded.staff)
    page = client.get("/dashboard?from=yesterday")
    assert page.status_code == 422 and "must be a date" in page.get_data(as_text=True)
    assert client.get("/dashboard?from=2026-12-01&to=2026-11-01").status_code == 422
    assert client.get("/dashboard/export.csv?figure=nope").status_code == 302  # home, with the message
    # The top bar links it for staff only.
    assert 'href="/dashboard"' in client.get("/shipments").get_data(as_text=True)
    factories.session_for(client, seeded.agent)
    assert 'href="/dashboard"' not in client.get("/shipments").get_data(as_text=True)
