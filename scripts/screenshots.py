"""Screenshots of the main pages (list, shipment, profile, dashboard, mailbox) at desktop and phone sizes, in English
(a coordinator) and for a Chinese-speaking partner, from the demo:

    DATABASE_URL=sqlite:////tmp/demo.db UPLOAD_DIR=/tmp/demo-uploads python -m flask --app wsgi db upgrade
    DATABASE_URL=... UPLOAD_DIR=... python -m flask --app wsgi hub seed-demo
    DATABASE_URL=... UPLOAD_DIR=... python scripts/screenshots.py docs/screenshots

Chinese text needs a CJK font (Debian: fonts-noto-cjk); Chromium is Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from playwright.sync_api import sync_playwright  # noqa: E402

from hub.demo import DEMO_PASSWORD  # noqa: E402
from tests.live import LiveServer  # noqa: E402

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PEOPLE = {"": "ana@northwind.example", "-zh": "li.wei@szharbour.example"}
TABS = {"facts": 1, "timeline": 2, "thread": 3, "documents": 4}


def main(out: str) -> None:
    """Take every screenshot into `out`."""
    database = os.environ["DATABASE_URL"]
    ids = dict((ref, i) for i, ref in sqlite3.connect(database.removeprefix("sqlite:///")).execute(
        "select id, reference from shipments"))
    env = {"UPLOAD_DIR": os.environ.get("UPLOAD_DIR", "instance/uploads")}
    os.makedirs(out, exist_ok=True)
    with LiveServer(database, env=env) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for size, viewport in SIZES.items():
            for who, email in PEOPLE.items():
                phone = size == "phone"
                page = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone).new_page()
                page.goto(server.url + "/login")
                page.fill("#email", email)
                page.fill("#password", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(lambda url: "/login" not in url)
                page.goto(server.url + "/shipments")
                page.screenshot(path=f"{out}/list{who}-{size}.png")
                page.goto(server.url + f"/shipments/{ids['NW-2026-001']}")
                page.wait_for_timeout(1500)
                page.screenshot(path=f"{out}/shipment{who}-{size}.png")
                if phone:
                    for tab, number in TABS.items():
                        page.click(f"#shipment-tabs a:nth-child({number})")
                        page.wait_for_timeout(300)
                        page.screenshot(path=f"{out}/shipment{who}-{size}-{tab}.png")
                page.goto(server.url + "/me")
                page.screenshot(path=f"{out}/profile{who}-{size}.png")
                if not who:
                    page.goto(server.url + "/dashboard")
                    page.screenshot(path=f"{out}/dashboard-{size}.png", full_page=True)
                    page.goto(server.url + "/dev/mailbox")
                    page.screenshot(path=f"{out}/mailbox-{size}.png")
                    page.click(".mailbox-table tbody tr:first-child a")
                    page.wait_for_timeout(800)
                    page.screenshot(path=f"{out}/mailbox-email-{size}.png", full_page=True)
                page.context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
