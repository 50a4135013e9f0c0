"""Headless Chromium (Debian's, driven by Playwright): two users in two browser contexts chat in
real time on the shipment page. Screenshots go to tests/artifacts/ (not committed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.services import chromium_path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def _major(version: str) -> int:
    return int(re.search(r"(\d+)\.\d+\.\d+", version).group(1))


def test_playwrights_bundled_chromium_is_not_newer_than_debians():
    import json

    import playwright

    executable = chromium_path()
    debian = _major(subprocess.run([executable, "--version"], capture_output=True, text=True, check=True).stdout)
    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    bundled = next(b for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "chromium")
    assert _major(bundled["browserVersion"]) <= debian, "pin an older playwright in requirements-dev.txt"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _sign_in(context, url: str, email: str, shipment_id: int):
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/shipments"))
    page.goto(f"{url}/shipments/{shipment_id}")
    page.wait_for_selector("#thread-status[data-state=live]", timeout=15000)
    return page


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_two_users_chat_live_on_the_shipment_page(world, live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    sid = world.shipment.id
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    # Li Wei on a phone-sized screen, behind a network that blocks websockets: long-polling only.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    blocked = []
    # (Not connected to the server and never answered: the upgrade probe never completes.)
    phone.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: blocked.append(ws.url))
    try:
        ana = _sign_in(desk, live_server.url, "ana@acme.example", sid)
        li = _sign_in(phone, live_server.url, "li.wei@agency.example", sid)

        # Presence: each sees the other online.
        ana.wait_for_selector(f".participants li.online[data-user-id='{world.agent.id}']", timeout=10000)

        # Mentions autocomplete searches names and inserts the email's local part.
        ana.click("#thread-body")
        ana.keyboard.type("Hello @Li")
        ana.wait_for_selector("#thread-mentions li", timeout=5000)
        assert "Li Wei" in ana.inner_text("#thread-mentions")
        ana.keyboard.press("Enter")
        assert ana.input_value("#thread-body") == "Hello @li.wei "
        ana.keyboard.type("the **B/L** is ready")

        # Li sees Ana typing, then the message, live.
        li.wait_for_selector("#thread-typing:has-text('Ana Coordinator 正在输入')", timeout=10000)  # in Chinese
        ana.keyboard.press("Enter")
        li.wait_for_selector(".thread-message[data-seq='1'] strong:has-text('B/L')", timeout=10000)
        assert "@li.wei" in li.inner_text(".thread-message[data-seq='1'] .mention")
        ana.wait_for_selector(".thread-message[data-seq='1']:not(.pending)")

        # Li answers from the phone; Ana gets it live, and a read receipt appears for Li.
        li.fill("#thread-body", "Thanks, filing the *declaration* now")
        li.click("#thread-send")
        ana.wait_for_selector(".thread-message[data-seq='2'] em:has-text('declaration')", timeout=10000)
        li.wait_for_selector(".thread-message[data-seq='2'] .seen:has-text('Ana Coordinator 已读')", timeout=10000)
        ana.fill("#thread-body", "Great")
        ana.click("#thread-send")
        ana.wait_for_selector(".thread-message[data-seq='3'] .seen:has-text('Seen by Li Wei')", timeout=10000)
        ana.screenshot(path=str(ARTIFACTS / "thread-desktop.png"), full_page=True)
        li.screenshot(path=str(ARTIFACTS / "thread-phone-polling.png"), full_page=True)
        assert blocked, "the phone's websocket attempts were blocked, so it chatted over long-polling"

        # Ana goes offline: her message waits as pending and is sent once when she is back.
        desk.set_offline(True)
        ana.wait_for_selector("#thread-status[data-state=offline]", timeout=40000)
        ana.fill("#thread-body", "Sent while offline")
        ana.click("#thread-send")
        ana.wait_for_selector(".thread-message.pending:has-text('Sent while offline')")
        ana.screenshot(path=str(ARTIFACTS / "thread-offline-pending.png"), full_page=True)
        li.fill("#thread-body", "Are you there?")
        li.click("#thread-send")
        desk.set_offline(False)
        ana.wait_for_selector("#thread-status[data-state=live]", timeout=40000)
        ana.wait_for_selector(".thread-message[data-seq='5']:has-text('Sent while offline')", timeout=15000)
        li.wait_for_selector(".thread-message[data-seq='5']:has-text('Sent while offline')", timeout=15000)
        assert ana.locator(".thread-message:has-text('Are you there?')").count() == 1  # caught up
        assert li.locator(".thread-message:has-text('Sent while offline')").count() == 1
        assert ana.locator(".thread-message.pending").count() == 0

        # A fresh page shows the unread divider before what Li has not read yet.
        li.close()
        ana.fill("#thread-body", "One more for later")
        ana.click("#thread-send")
        ana.wait_for_selector(".thread-message[data-seq='6']:not(.pending)")
        li = phone.new_page()
        li.goto(f"{live_server.url}/shipments/{sid}")
        li.wait_for_selector("#thread-unread-divider + .thread-message", timeout=10000)
        first_unread = int(li.get_attribute("#thread-unread-divider + .thread-message", "data-seq"))
        assert first_unread in (5, 6)  # after what Li had read (her own seq 4, maybe Ana's 5)
        li.screenshot(path=str(ARTIFACTS / "thread-phone-unread.png"), full_page=True)
    finally:
        desk.close()
        phone.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_authors_edit_and_delete_their_own_messages_live(world, live_server, browser):
    from datetime import UTC, datetime, timedelta

    ARTIFACTS.mkdir(exist_ok=True)
    sid = world.shipment.id
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    laptop = browser.new_context(viewport={"width": 1024, "height": 800})
    # Ana's page runs on Playwright's clock (flowing like the real one) so that the end can move it
    # past the edit window; the server's clock is left alone.
    desk.clock.install()
    try:
        ana = _sign_in(desk, live_server.url, "ana@acme.example", sid)
        li = _sign_in(laptop, live_server.url, "li.wei@agency.example", sid)

        # Only the author gets Edit and Delete on a message.
        li.fill("#thread-body", "Customs asked for the packing list")
        li.press("#thread-body", "Enter")
        li.wait_for_selector(".thread-message[data-seq='1']:not(.pending) button[data-action=edit]", timeout=10000)
        ana.wait_for_selector(".thread-message[data-seq='1']:has-text('packing list')", timeout=10000)
        assert ana.locator(".thread-message[data-seq='1'] button[data-action]").count() == 0

        mine = ".thread-message[data-seq='2']"
        editor = f"{mine} .thread-edit textarea"
        ana.fill("#thread-body", "The container left on *Tuesday*")
        ana.press("#thread-body", "Enter")
        ana.wait_for_selector(f"{mine}:not(.pending) button[data-action=edit]", timeout=10000)
        li.wait_for_selector(f"{mine} em:has-text('Tuesday')", timeout=10000)
        assert li.locator(f"{mine} button").count() == 0
        assert ana.get_attribute(f"{mine} button[data-action=edit]", "aria-label").startswith("Edit your message")
        assert ana.get_attribute(f"{mine} button[data-action=delete]", "aria-label").startswith("Delete your message")

        # Edit opens on the raw body with the focus in it; Escape cancels, sending nothing, and
        # leaves the focus on Edit, where Enter opens the editor again.
        ana.click(f"{mine} button[data-action=edit]")
        assert ana.input_value(editor) == "The container left on *Tuesday*"
        assert ana.evaluate("document.activeElement.tagName") == "TEXTAREA"
        ana.keyboard.type(" (draft)")
        ana.keyboard.press("Escape")
        ana.wait_for_selector(f"{mine} .thread-edit", state="detached")
        assert "(draft)" not in ana.inner_text(mine)
        assert ana.locator(f"{mine} .edited").count() == 0
        assert ana.evaluate("document.activeElement.dataset.action") == "edit"
        ana.keyboard.press("Enter")
        ana.wait_for_selector(editor)

        # An error answer (422, empty body) shows under the message; the editor stays open and
        # nothing else changes.
        ana.fill(editor, "   ")
        ana.press(editor, "Enter")
        ana.wait_for_selector(f"{mine} .note[role=alert]:has-text('empty')", timeout=10000)
        assert ana.locator(editor).count() == 1
        assert ana.input_value(editor) == "   "
        assert "Tuesday" in li.inner_text(mine)
        ana.screenshot(path=str(ARTIFACTS / "thread-edit-error.png"), full_page=True)

        # Shift+Enter adds a line, Enter saves: both pages show the new text, "(edited)", in place.
        ana.fill(editor, "The container left on *Wednesday*")
        ana.press(editor, "Shift+Enter")
        ana.keyboard.type("B/L to follow")
        ana.press(editor, "Enter")
        for page in (ana, li):
            page.wait_for_selector(f"{mine} em:has-text('Wednesday')", timeout=10000)
            page.wait_for_selector(f"{mine} .edited >> text=/\\(edited\\)|（已编辑）/", timeout=10000)  # Li Wei reads Chinese
            assert "B/L to follow" in page.inner_text(mine)
            assert "Tuesday" not in page.inner_text("#thread-messages")
            assert page.eval_on_selector_all(".thread-message", "els => els.map(e => e.dataset.seq)") == ["1", "2"]
        ana.wait_for_selector(f"{mine} .thread-edit", state="detached")
        assert ana.locator(f"{mine} .note").count() == 0
        ana.screenshot(path=str(ARTIFACTS / "thread-edited.png"), full_page=True)

        # Delete asks first: declined, nothing happens.
        ana.once("dialog", lambda dialog: dialog.dismiss())
        ana.click(f"{mine} button[data-action=delete]")
        assert ana.locator(f"{mine}.deleted").count() == 0
        assert ana.locator(f"{mine} button[data-action=delete]:not([disabled])").count() == 1

        # Confirmed: both pages show the placeholder and the text is gone from both.
        asked = []
        ana.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        ana.click(f"{mine} button[data-action=delete]")
        for page in (ana, li):
            page.wait_for_selector(f"{mine}.deleted .body >> text=/Message deleted|消息已删除/", timeout=10000)  # Li Wei reads Chinese
            text = page.inner_text("#thread-messages")
            assert "Wednesday" not in text and "Tuesday" not in text and "B/L to follow" not in text
            assert page.locator(f"{mine} button").count() == 0
            assert page.locator(mine).count() == 1
        assert asked and "Delete this message?" in asked[0]
        li.screenshot(path=str(ARTIFACTS / "thread-deleted.png"), full_page=True)

        # An edit made while Li is offline reaches her with the catch-up when she is back.
        last = ".thread-message[data-seq='3']"
        ana.fill("#thread-body", "One more")
        ana.press("#thread-body", "Enter")
        li.wait_for_selector(f"{last}:has-text('One more')", timeout=10000)
        laptop.set_offline(True)
        li.wait_for_selector("#thread-status[data-state=offline]", timeout=40000)
        ana.click(f"{last} button[data-action=edit]")
        ana.fill(f"{last} textarea", "One more, corrected")
        ana.press(f"{last} textarea", "Enter")
        ana.wait_for_selector(f"{last} .edited", timeout=10000)
        laptop.set_offline(False)
        li.wait_for_selector("#thread-status[data-state=live]", timeout=40000)
        li.wait_for_selector(f"{last}:has-text('One more, corrected') .edited", timeout=10000)
        assert li.locator(".thread-message").count() == 3

        # The buttons go once the edit window has passed (Ana's clock jumps past it).
        assert ana.locator(f"{last} .actions").count() == 1
        window = ana.evaluate("JSON.parse(document.getElementById('thread-data').textContent).edit_window_s")
        assert window > 0
        ana.clock.set_system_time(datetime.now(UTC) + timedelta(seconds=window + 5))
        ana.wait_for_selector(f"{last} .actions", state="detached", timeout=15000)
    finally:
        desk.close()
        laptop.close()
