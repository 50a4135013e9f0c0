"""In Chromium against the real server: the Spanish and Chinese UI (list, shipment page, profile
page, the scripts' own words), a milestone message in each viewer's configured zone (Chicago and
Shanghai, whatever the browser's zone), the profile page changing language and time zone, and a
password change ending the other browser's session and socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hub.accounts.models import User
from hub.extensions import db
from tests.factories import PASSWORD
from tests.live import LiveServer
from tests.services import chromium_path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, LiveServer]]:
    """One server per test database for this module (each test empties the tables)."""
    running: dict[str, LiveServer] = {}
    yield running
    for server in running.values():
        server.stop()


@pytest.fixture
def live(app, database_url: str, world, servers: dict[str, LiveServer]) -> Iterator[LiveServer]:
    """The world with Ana in Chicago (English), Li Wei in Shanghai (Chinese) and Jonas in Berlin
    (Spanish), committed and detached; a `hub serve` process on the test database."""
    world.staff.time_zone = "America/Chicago"
    world.broker.locale = "es"
    db.session.commit()
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


def signed_in_page(browser: Any, live: LiveServer, email: str, path: str, **context: Any) -> Any:
    """A page of its own browser context (options: `context`), signed in as `email`, at `path`."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: print("page error:", error))  # shown when the test fails
    page.on("console", lambda message: print("console:", message.type, message.text))
    page.goto(live.url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live.url + path)
    return page


@pytest.mark.parametrize(("who", "words"), [
    ("broker", {"html": "es", "list": "Envíos", "filter": "Cualquier estado", "panel": "Cronología del despacho",
                "live": "En directo", "profile": "Su perfil", "docs": "Documentos requeridos"}),
    ("agent", {"html": "zh-Hans", "list": "货运", "filter": "任意状态", "panel": "清关时间线",
               "live": "实时", "profile": "个人资料", "docs": "必需文件"}),
])
def test_the_spanish_and_chinese_ui(live, browser, world, who, words):
    person = getattr(world, who)
    page = signed_in_page(browser, live, person.email, "/shipments")
    assert page.locator("html").get_attribute("lang") == words["html"]
    assert page.locator("h1").inner_text() == words["list"]
    assert words["filter"] in page.locator("select[name=status]").inner_text()
    page.click(f"a[href='/shipments/{world.shipment.id}']")
    page.wait_for_selector('#thread-status[data-state="live"]')
    assert page.locator("#thread-status").inner_text() == words["live"]  # the script's words, from the catalogue
    assert words["panel"] in page.locator("#milestones-title").inner_text()
    assert words["docs"] in page.locator("#checklist-title").inner_text()
    page.click("a.who-name")
    page.wait_for_url(lambda url: url.endswith("/me"))
    assert page.locator("h1").inner_text() == words["profile"]
    page.context.close()


def test_a_milestone_message_reads_in_each_viewers_zone(live, browser, world):
    path = f"/shipments/{world.shipment.id}"
    # The browsers sit elsewhere: the page follows the viewer's configured zone, not the browser's.
    chicago = signed_in_page(browser, live, world.staff.email, path, timezone_id="Europe/London")
    shanghai = signed_in_page(browser, live, world.agent.email, path, timezone_id="America/New_York")
    for page in (chicago, shanghai):
        page.wait_for_selector('#thread-status[data-state="live"]')
    answer = requests.post(f"{live.url}/api/v1/shipments/{world.shipment.id}/milestones",
                           headers={"Authorization": f"Bearer {world.tokens['broker']}"}, timeout=10,
                           json={"code": "on_hold", "occurred_at": "2026-12-04T23:16:00Z", "location": "Yantian"})
    assert answer.status_code == 201, answer.text
    live_line = "On hold at 4 Dec 2026, 17:16 Chicago time, Yantian"
    chicago.wait_for_selector(f".thread-message.kind-milestone >> text={live_line}")
    shanghai.wait_for_selector(".thread-message.kind-milestone >> text=2026年12月5日 07:16 上海时间 被扣留，Yantian")
    # After a reload too (the page's boot data carries the facts), and in the timeline.
    chicago.reload()
    chicago.wait_for_selector(f".thread-message.kind-milestone >> text={live_line}")
    assert "4 Dec 2026, 17:16 Chicago time" in chicago.locator("#milestone-timeline").inner_text()
    assert "CST" not in chicago.inner_text("body") and "CST" not in shanghai.inner_text("body")
    chicago.context.close()
    shanghai.context.close()


def test_the_profile_page_changes_language_and_time_zone(live, browser, world):
    page = signed_in_page(browser, live, world.staff.email, "/me")
    assert page.locator("#time_zone").input_value() == "America/Chicago"
    page.select_option("#locale", "zh_Hans")
    page.fill("#time_zone", "Asia/Tokyo")
    page.click("#profile-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator(".flash-success").inner_text().strip().endswith("个人资料已保存。")
    assert "东京时间" in page.locator(".who-name").inner_text()
    user = db.session.get(User, world.staff.id)
    db.session.refresh(user)
    assert (user.locale, user.time_zone) == ("zh_Hans", "Asia/Tokyo")
    db.session.rollback()
    page.context.close()


def test_a_password_change_ends_the_other_session_and_its_socket(live, browser, world):
    path = f"/shipments/{world.shipment.id}"
    other = signed_in_page(browser, live, world.staff.email, path)
    other.wait_for_selector('#thread-status[data-state="live"]')
    here = signed_in_page(browser, live, world.staff.email, "/me")
    here.fill("#current", PASSWORD)
    here.fill("#password", "a-brand-new-pass")
    here.fill("#confirm", "a-brand-new-pass")
    here.click("#password-form button[type=submit]")
    here.wait_for_selector(".flash-success")
    other.wait_for_selector('#thread-status[data-state="offline"]')  # its socket is disconnected at once
    other.reload()
    assert "/login" in other.url  # and its cookie no longer signs in
    here.goto(live.url + path)
    here.wait_for_selector('#thread-status[data-state="live"]')  # this browser stays signed in, live
    here.context.close()
    other.context.close()


def test_a_risk_message_reads_in_each_viewers_language(live, browser, world):
    # A risk flag's system message is said from its facts: Jonas reads Spanish, Li Wei Chinese,
    # live and after a reload; the stored text stays English.
    path = f"/shipments/{world.shipment.id}"
    spanish = signed_in_page(browser, live, world.broker.email, path)
    chinese = signed_in_page(browser, live, world.agent.email, path)
    for page in (spanish, chinese):
        page.wait_for_selector('#thread-status[data-state="live"]')
    answer = requests.post(f"{live.url}/api/v1/shipments/{world.shipment.id}/risks",
                           headers={"Authorization": f"Bearer {world.tokens['staff']}"}, timeout=10,
                           json={"note": "Tariff up on pumps", "severity": "high"})
    assert answer.status_code == 201, answer.text
    spanish_line = "Riesgo abierto (alto): "
    chinese_line = "风险已提出（"
    spanish.wait_for_selector(f".thread-message >> text={spanish_line}")
    chinese.wait_for_selector(f".thread-message >> text={chinese_line}")
    assert "Responsable: Ana Coordinator" in spanish.locator("#thread-messages").inner_text()
    assert "负责人：Ana Coordinator" in chinese.locator("#thread-messages").inner_text()
    chinese.reload()
    chinese.wait_for_selector(f".thread-message >> text={chinese_line}")
    assert "Risk opened" not in spanish.locator("#thread-messages").inner_text()
    assert "Risk opened" not in chinese.locator("#thread-messages").inner_text()
    spanish.context.close()
    chinese.context.close()


def test_an_accepted_invitation_reads_in_each_viewers_language(live, app, browser, world):
    # The thread's note that an invitee joined is said from its facts on the page: Li Wei reads
    # Chinese, Jonas Spanish; the stored text stays English.
    from hub.shipment_tx import shipment_transaction
    from hub.threads.services import on_participant_added

    zhang = db.session.get(User, world.outsider.id)
    with shipment_transaction(world.shipment.id) as shipment:
        on_participant_added(shipment, user=zhang, role="broker", accepted=True)
    path = f"/shipments/{world.shipment.id}"
    chinese = signed_in_page(browser, live, world.agent.email, path)
    spanish = signed_in_page(browser, live, world.broker.email, path)
    chinese.wait_for_selector(".thread-message >> text=已接受邀请，以报关行身份加入")
    spanish.wait_for_selector(".thread-message >> text=aceptó la invitación y se unió como Agente aduanal")
    for page in (chinese, spanish):
        assert "accepted the invitation" not in page.locator("#thread-messages").inner_text()
        page.context.close()
