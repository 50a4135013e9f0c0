"""Access that ends reaches every server process at once (two servers sharing Redis): a revoked
token's socket, a signed-out browser's socket and a deactivated user's sockets are disconnected
wherever they are connected, and their cookie or token is refused."""

from __future__ import annotations

import re

import pytest
import requests

from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, browser_login, cookie_header


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url + "/shipments", timeout=10)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def _browser_socket(server: LiveServer, session: requests.Session) -> ThreadClient:
    headers = {"Cookie": cookie_header(session), "Origin": server.url}
    return ThreadClient(server.url, headers=headers, transports=["polling", "websocket"]).connect()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_ended_access_disconnects_sockets_on_every_process(two_servers, world):
    one, two = two_servers
    sid = world.shipment.id
    ana_api = ThreadClient(two.url, world.tokens["staff"]).connect()
    ana_web_session = browser_login(one.url, world.staff.email)
    ana_web = _browser_socket(two, ana_web_session)
    li = ThreadClient(two.url, world.tokens["agent"]).connect()
    admin_cookie = browser_login(one.url, world.admin.email)
    clients = [ana_api, ana_web, li]
    try:
        for client in clients:
            assert client.join(sid)["ok"]
        staff = {"Authorization": f"Bearer {world.tokens['staff']}"}
        token_id = next(t["id"] for t in requests.get(f"{one.url}/api/v1/auth/tokens", headers=staff,
                                                      timeout=10).json()["items"])

        # As found: revoking the token left the socket it opened working.
        assert requests.delete(f"{one.url}/api/v1/auth/tokens/{token_id}", headers=staff, timeout=10).status_code == 204
        ana_api.wait_for(lambda: not ana_api.sio.connected, timeout=5)
        assert requests.get(f"{two.url}/api/v1/me", headers=staff, timeout=10).status_code == 401
        assert ana_web.sio.connected and li.sio.connected  # nobody else's socket is touched

        # As found: logging out left the socket (and the cookie) working.
        old_cookie = cookie_header(ana_web_session)
        out = ana_web_session.post(one.url + "/logout", data={"csrf_token": _csrf(ana_web_session, one.url)},
                                   timeout=10, allow_redirects=False)
        assert out.status_code == 302
        ana_web.wait_for(lambda: not ana_web.sio.connected, timeout=5)
        assert requests.get(f"{two.url}/api/v1/me", headers={"Cookie": old_cookie}, timeout=10).status_code == 401

        # As found: a deactivated user's open socket kept receiving messages.
        again = _browser_socket(two, browser_login(one.url, world.staff.email))
        clients.append(again)
        assert again.join(sid)["ok"]
        deactivated = admin_cookie.post(f"{one.url}/admin/users/{world.staff.id}/active",
                                        data={"active": "0", "csrf_token": _csrf(admin_cookie, one.url)},
                                        timeout=10, allow_redirects=False)
        assert deactivated.status_code == 302
        again.wait_for(lambda: not again.sio.connected, timeout=5)
        assert li.sio.connected
    finally:
        for client in clients:
            client.disconnect()
