"""Real XSS payloads in every field that is shown, opened in Chromium with the hub's
Content-Security-Policy on: no dialog fires and no injected element exists."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
import requests

from tests.live import LiveServer
from tests.milestones.test_browser import browser, live, servers, signed_in_page  # noqa: F401
from tests.threads.conftest import browser_login

#: Each payload would add an element with id "xss" and call alert() if it were not escaped.
PAYLOADS = [
    '<img id="xss" src="x" onerror="alert(1)">',
    '"><svg id="xss" onload="alert(2)">',
    "'><script id=\"xss\">alert(3)</script>",
    '<a id="xss" href="javascript:alert(4)">x</a>',
    "{{7*7}}<iframe id=\"xss\" srcdoc=\"<script>parent.alert(5)</script>\"></iframe>",
]


def _payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def _csrf(session: requests.Session, url: str, path: str = "/shipments") -> str:
    page = session.get(url + path, timeout=10)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def _plant_payloads(server: LiveServer, world: Any) -> None:
    """Put a payload in every field the pages show, through the real API and forms."""
    url, sid = server.url, world.shipment.id

    def api(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[who]}"}

    def ok(answer: requests.Response) -> None:
        assert answer.status_code < 400, (answer.status_code, answer.text[:300])

    ok(requests.patch(f"{url}/api/v1/shipments/{sid}", headers=api("staff"), timeout=10, json={
        "reference": "XSS-" + _payload(0)[:50], "goods_description": _payload(1), "port_of_entry": _payload(2)[:90]}))
    ok(requests.patch(f"{url}/api/v1/me", headers=api("agent"), timeout=10, json={"name": _payload(3)}))
    ok(requests.patch(f"{url}/api/v1/me", headers=api("broker"), timeout=10, json={"name": _payload(0)}))
    for i, who in enumerate(("staff", "agent")):
        ok(requests.post(f"{url}/api/v1/shipments/{sid}/messages", headers=api(who), timeout=10,
                         json={"body": _payload(i + 1) + " **bold** [link](javascript:alert(9))",
                               "client_id": str(uuid.uuid4())}))
    ok(requests.post(f"{url}/api/v1/shipments/{sid}/milestones", headers=api("agent"), timeout=10, json={
        "code": "booked", "occurred_at": "2026-11-20T08:00:00Z", "location": _payload(4)[:90], "note": _payload(2)}))
    ok(requests.post(f"{url}/api/v1/shipments/{sid}/documents", headers=api("agent"), timeout=10,
                     files={"file": (_payload(0) + ".pdf", io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "application/pdf")},
                     data={"doc_type": "commercial_invoice"}))
    ok(requests.post(f"{url}/api/v1/shipments/{sid}/participants", headers=api("staff"), timeout=10, json={
        "email": "xss@partner.example", "role": "agent", "name": _payload(1),
        "organization": {"name": _payload(2), "kind": "broker", "country": "DE"}}))
    ok(requests.post(f"{url}/api/v1/shipments/{sid}/document-requests", headers=api("staff"), timeout=10, json={
        "doc_type": "packing_list", "note": _payload(3)}))
    admin = browser_login(url, world.admin.email)
    ok(admin.post(f"{url}/admin/document-rules", timeout=10, data={
        "effect": "require", "doc_type": "certificate_of_origin", "note": _payload(4),
        "csrf_token": _csrf(admin, url, "/admin/document-rules")}))


def _watch(page: Any) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_xss_payloads_in_every_shown_field_fire_nothing(live, browser, world):  # noqa: F811
    _plant_payloads(live, world)
    sid = world.shipment.id
    visits = [
        (world.staff.email, [f"/shipments/{sid}", "/shipments", "/shipments?q=XSS"]),
        (world.agent.email, [f"/shipments/{sid}", "/dev/mailbox"]),
        (world.admin.email, ["/admin/", "/admin/document-rules", "/dev/mailbox", f"/shipments/{sid}"]),
    ]
    for email, paths in visits:
        page = signed_in_page(browser, live, email, paths[0])
        dialogs = _watch(page)
        for path in paths:
            response = page.goto(live.url + path)
            assert response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            assert page.locator("#xss").count() == 0, f"an injected element exists on {path}"
            assert page.evaluate("document.querySelectorAll('[onerror],[onload]').length") == 0, path
        # The thread shows the payload as text (escaped), after the live client rendered it.
        if paths[0] == f"/shipments/{sid}":
            page.goto(live.url + paths[0])
            page.wait_for_selector('#thread-status[data-state="live"]')
            page.wait_for_timeout(500)
            assert page.locator("#xss").count() == 0
            assert page.locator("a[href^='javascript:']").count() == 0
            shown = page.locator("body").inner_text()
            assert '<img id="xss"' in shown and '"><svg id="xss"' in shown  # shown as text, not markup
        assert dialogs == [], dialogs
        page.context.close()
