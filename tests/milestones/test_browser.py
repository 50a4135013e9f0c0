"""In Chromium against the real server: recording from the shipment page's form without a
reload, errors shown beside the fields, and another viewer's timeline and status updating live
(the `milestone` socket event, re-dispatched by the thread's client as `hub:socket-event`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.milestones.models import Milestone
from tests.factories import PASSWORD
from tests.live import LiveServer
from tests.services import chromium_path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, LiveServer]]:
    """One server per test database for this module's tests (each test empties the tables)."""
    running: dict[str, LiveServer] = {}
    yield running
    for server in running.values():
        server.stop()


@pytest.fixture
def live(app, database_url: str, world, servers: dict[str, LiveServer]) -> Iterator[LiveServer]:
    """A `hub serve` process on the test database with the world committed and detached, so
    this process holds no transaction (and no SQLite lock) while the server writes."""
    people = [world.admin, world.staff, world.other_staff, world.agent, world.broker, world.observer, world.outsider]
    for row in [*people, world.shipment]:
        db.session.refresh(row)
    db.session.expunge_all()
    db.session.rollback()
    server = servers.get(database_url)
    if server is None or server.process is None or server.process.poll() is not None:
        server = servers[database_url] = LiveServer(database_url).start()
    yield server
    print(server.log_tail(60))  # shown when the test fails


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser: Any, live: LiveServer, email: str, path: str) -> Any:
    """A page of its own browser context, signed in as `email`, showing `path`."""
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    page.goto(live.url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live.url + path)
    return page


def test_recording_from_the_page_updates_both_viewers_without_reload(live, browser, world):
    path = f"/shipments/{world.shipment.id}"
    observer = signed_in_page(browser, live, world.observer.email, path)
    agent = signed_in_page(browser, live, world.agent.email, path)  # Asia/Shanghai
    assert observer.locator("#milestone-form").count() == 0
    assert observer.locator("#milestone-empty").is_visible()
    # The observer's page has joined the shipment's room (the thread's client says "live").
    observer.wait_for_selector('#thread-status[data-state="live"]')

    agent.click("details.record-milestone summary")
    agent.select_option("#milestone-code", "on_hold")
    agent.fill("#milestone-occurred-at", "2026-11-20T16:30")
    agent.fill("#milestone-location", "Yantian <T2>")
    agent.fill("#milestone-note", "Held for the phytosanitary certificate")
    agent.click("#milestone-form button[type=submit]")

    item = agent.locator("#milestone-timeline li").first
    item.wait_for()
    # Li Wei reads Chinese, in Shanghai's time named by its city ("CST" is Chicago's too).
    assert "被扣留" in item.inner_text() and "Yantian <T2>" in item.inner_text()
    assert item.locator("time").inner_text() == "2026年11月20日 16:30 上海时间"
    agent.wait_for_function("() => document.querySelector('#shipment-status').textContent.trim() === '被扣留'")

    seen = observer.locator("#milestone-timeline li").first
    seen.wait_for()
    assert "On hold" in seen.inner_text() and "Held for the phytosanitary certificate" in seen.inner_text()
    assert seen.locator("time").inner_text() == "20 Nov 2026, 09:30 Berlin time"  # the observer is in Berlin
    observer.wait_for_function(
        "() => document.querySelector('[data-milestone-status]').textContent.trim() === 'On hold'")
    assert observer.locator("#milestone-empty").is_hidden()
    assert agent.url == live.url + path  # no reload, no redirect

    stored = db.session.scalars(select(Milestone)).one()
    assert (stored.code, stored.location, stored.recorded_by_id) == ("on_hold", "Yantian <T2>", world.agent.id)


def test_form_errors_are_shown_beside_the_fields(live, browser, world):
    agent = signed_in_page(browser, live, world.agent.email, f"/shipments/{world.shipment.id}")
    agent.click("details.record-milestone summary")
    agent.fill("#milestone-occurred-at", "2099-01-01T00:00")
    agent.click("#milestone-form button[type=submit]")
    error = agent.locator("#milestone-occurred_at-error")
    error.wait_for()
    agent.wait_for_function("() => document.querySelector('#milestone-occurred_at-error').textContent !== ''")
    # Li Wei reads Chinese: the field's reason comes in his language ("in the future").
    assert "不能晚于现在 10 分钟以上" in error.inner_text()
    assert agent.locator("#milestone-form-error").is_visible()
    assert agent.locator("#milestone-occurred-at").get_attribute("aria-invalid") == "true"
    assert agent.locator("#milestone-timeline li").count() == 0
    db.session.rollback()
    assert db.session.scalars(select(Milestone)).all() == []
