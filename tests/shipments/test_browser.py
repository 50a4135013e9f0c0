"""In Chromium against the real server: the shipment page on a phone (tabs, the thread as the
page's scroll, the composer in reach), its weight on a cold cache and on a second visit,
accessibility (axe-core) of the main pages, and the keyboard alone doing the main actions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.live import LiveServer

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
#: Pages axe checks signed in (the profile page and the dashboard join this list when they exist).
#: The pages axe checks for everyone, and those only staff open (partners are turned away).
AXE_PATHS = ["/shipments", "/shipments/{shipment_id}", "/me"]
AXE_STAFF_PATHS = ["/dashboard"]
#: What axe may not find on any page.
BLOCKING_IMPACTS = {"serious", "critical"}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    phone = viewport["width"] < 600
    return browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)


def _sign_in(context: Any, live: LiveServer, email: str) -> None:
    """Sign in through the form's POST without showing a page (the browser cache stays cold)."""
    html = context.request.get(live.url + "/login").text()
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    answer = context.request.post(live.url + "/login", form={"email": email, "password": PASSWORD,
                                                              "csrf_token": token}, max_redirects=0)
    assert answer.status == 302, answer.text()


def _page(browser: Any, live: LiveServer, email: str, path: str, viewport: dict[str, int] = DESKTOP) -> Any:
    context = _context(browser, viewport)
    _sign_in(context, live, email)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live.url + path)
    return page


def _static_requests(live: LiveServer) -> int:
    """How many static files the server has served so far (its access log)."""
    count = 0
    for line in live.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"route": "/static/<path:filename>"' in line:
            count += json.loads(line).get("message") == "request"
    return count


# --- the phone layout ------------------------------------------------------------------------


def test_on_a_phone_the_parts_are_tabs_and_the_thread_is_the_pages_own_scroll(live, browser, world):
    page = _page(browser, live, world.staff.email, f"/shipments/{world.shipment.id}", PHONE)
    page.wait_for_selector('#thread-status[data-state="live"]')
    # The header comes first, in sight.
    assert page.locator("h1").bounding_box()["y"] < 200
    assert page.locator("#shipment-tabs").is_visible()
    assert page.locator("#thread").is_visible() and page.locator("#documents").is_hidden()
    assert page.locator("#milestones").is_hidden() and page.locator("#shipment-facts").is_hidden()
    assert page.locator('#shipment-tabs a[aria-current="true"]').inner_text() == "Thread"
    # The thread is not a box inside the page; the composer is on screen.
    assert page.evaluate("getComputedStyle(document.getElementById('thread-messages')).overflowY") == "visible"
    composer = page.locator("#thread-body").bounding_box()
    assert composer["y"] + composer["height"] <= PHONE["height"]
    # Nothing reads sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("#shipment-tabs >> text=Documents")
    assert page.locator("#documents").is_visible() and page.locator("#thread").is_hidden()
    assert page.url.endswith("#documents")
    page.click("#shipment-tabs >> text=Facts")
    assert page.locator("#shipment-facts").is_visible() and page.locator("#documents").is_hidden()
    page.click("#shipment-tabs >> text=Timeline")
    assert page.locator("#milestones").is_visible()
    # A link to a part (after a form post, `#documents`) opens its tab.
    page.goto(live.url + f"/shipments/{world.shipment.id}#documents")
    assert page.locator("#documents").is_visible() and page.locator("#thread").is_hidden()
    # On a desktop every part shows, and there are no tabs.
    page.set_viewport_size(DESKTOP)
    assert page.locator("#shipment-tabs").is_hidden()
    assert page.locator("#thread").is_visible() and page.locator("#documents").is_visible()


def test_the_mailbox_reads_on_a_phone(live, browser, world):
    from hub.extensions import db
    from hub.notifications.outbox import queue_email

    queue_email(kind="password_reset", to_email=world.staff.email, to_name=world.staff.name, user_id=world.staff.id,
                subject="Reset", template="password_reset",
                context={"user": world.staff, "link": "http://hub.test/password/reset/" + "x" * 120, "hours": 1})
    db.session.commit()
    page = _page(browser, live, world.staff.email, "/dev/mailbox", PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click(".mailbox-table tbody a")
    frame = page.locator("#email-frame")
    page.wait_for_function("() => document.getElementById('email-frame').offsetHeight !== 640")
    whole = page.evaluate("document.getElementById('email-frame').contentDocument.documentElement.scrollHeight")
    assert frame.bounding_box()["height"] >= whole  # the whole email, no box that scrolls
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# --- weight on a phone network ---------------------------------------------------------------


def test_the_shipment_page_is_light_on_a_cold_cache_and_a_second_visit_fetches_no_static_file(
        live, browser, world):
    context = _context(browser, PHONE)
    _sign_in(context, live, world.agent.email)
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    path = f"/shipments/{world.shipment.id}"
    page.goto(live.url + path)
    page.wait_for_selector('#thread-status[data-state="live"]')
    page.wait_for_load_state("networkidle")
    # The page, its static files and catalogue; not the live transport, whose volume is what
    # happens in the room meanwhile (before the websocket upgrade, each event and each
    # acknowledgement of the client's packets is a polling response of its own).
    weighed = {rid: n for rid, n in received.items() if "/socket.io/" not in urls.get(rid, "")}
    total = sum(weighed.values())
    statics = [url for rid, url in urls.items() if "/static/" in url]
    assert statics, "no static file was loaded"
    print(f"cold-cache transfer of the shipment page: {total} bytes in {len(weighed)} responses")
    assert total <= 60_000, f"{total} bytes: " + ", ".join(f"{urls.get(r)}={n}" for r, n in weighed.items())

    before = _static_requests(live)
    page.goto(live.url + path)
    page.wait_for_selector('#thread-status[data-state="live"]')
    other = context.new_page()  # a new tab of the same browser
    other.goto(live.url + path)
    other.wait_for_selector('#thread-status[data-state="live"]')
    assert _static_requests(live) == before, "a static file was fetched again"


# --- accessibility ---------------------------------------------------------------------------


def _blocking_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sign_in_page_has_no_serious_accessibility_violation(live, browser, world, viewport):
    page = _context(browser, viewport).new_page()
    page.goto(live.url + "/login")
    assert _blocking_violations(page) == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("who", ["staff", "agent"])
def test_the_main_pages_have_no_serious_accessibility_violation(live, browser, world, who, viewport):
    page = _page(browser, live, getattr(world, who).email, "/shipments", viewport)
    paths = AXE_PATHS + (AXE_STAFF_PATHS if who == "staff" else [])
    found = {}
    for path in paths:
        page.goto(live.url + path.format(shipment_id=world.shipment.id))
        page.wait_for_load_state("networkidle")
        found[path] = _blocking_violations(page)
    assert found == {path: [] for path in paths}


# --- the keyboard alone ----------------------------------------------------------------------


def _tab_to(page: Any, selector: str, limit: int = 400) -> None:
    """Press Tab until `selector` has the focus (as someone without a mouse would)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")


def test_the_composer_the_milestone_form_and_the_upload_work_with_the_keyboard_alone(live, browser, world):
    page = _page(browser, live, world.agent.email, f"/shipments/{world.shipment.id}")
    page.wait_for_selector('#thread-status[data-state="live"]')

    _tab_to(page, "#thread-body")
    page.keyboard.type("Sent without a mouse")
    page.keyboard.press("Enter")
    page.wait_for_selector("#thread-messages .thread-message:has-text('Sent without a mouse')")

    page.keyboard.press("Shift+Tab")  # back to the top of the page's order is not needed: start again
    page.evaluate("document.activeElement.blur()")
    _tab_to(page, "details.record-milestone > summary")
    page.keyboard.press("Enter")
    _tab_to(page, "#milestone-code")
    assert page.eval_on_selector("#milestone-code", "e => e.value") == "booked"  # the next one in the catalogue
    _tab_to(page, "#milestone-location")
    page.keyboard.type("Yantian")
    _tab_to(page, "#milestone-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#milestone-timeline li:has-text('Yantian')")
    assert page.locator("#milestone-form-error").is_hidden()

    _tab_to(page, "#upload-doc-type")
    page.keyboard.press("ArrowDown")  # the next document type
    chosen = page.eval_on_selector("#upload-doc-type", "e => e.value")
    _tab_to(page, "#upload-files")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        with page.expect_file_chooser(timeout=5_000) as chooser:
            page.keyboard.press("Space")
    except PlaywrightTimeout:  # some builds open it on Enter only
        _tab_to(page, "#upload-files")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Enter")
    chooser.value.set_files([{"name": "keyboard.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    _tab_to(page, "[data-upload-form] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#documents .doc-list:has-text('keyboard.pdf')")
    assert chosen != "commercial_invoice"


def test_the_page_opens_on_its_header_with_a_link_to_the_new_messages(live, browser, world):
    import uuid

    from hub.extensions import db
    from hub.threads.services import send_message

    for number in range(30):
        send_message(world.agent, world.shipment.id, f"Update {number} on the paperwork", str(uuid.uuid4()), "api")
    db.session.commit()
    page = _page(browser, live, world.staff.email, f"/shipments/{world.shipment.id}")
    page.wait_for_selector("#thread-unread-divider", state="attached")
    assert page.evaluate("window.scrollY") == 0  # the header, not the thread, is in sight
    jump = page.locator("#thread-jump")
    assert jump.is_visible() and jump.inner_text() == "Jump to new messages"
    jump.click()
    page.wait_for_function("() => window.scrollY > 0")
    assert page.locator("#thread-unread-divider").is_visible()


def test_the_invite_form_fits_its_card_at_1366_pixels(live, browser, world):
    page = _page(browser, live, world.staff.email, f"/shipments/{world.shipment.id}", {"width": 1366, "height": 800})
    page.click("details.add-participant summary")
    card = page.locator("section.people").bounding_box()
    right = card["x"] + card["width"]
    for field in page.locator("details.add-participant form :is(input:not([type=hidden]), select, fieldset)").all():
        box = field.bounding_box()
        assert box["x"] + box["width"] <= right + 0.5, field.evaluate("e => e.outerHTML.slice(0, 80)")
