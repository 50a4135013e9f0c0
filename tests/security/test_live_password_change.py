"""A password change on the profile page ends the user's other sessions and their sockets on
every server process (two servers sharing Redis), and keeps the browser that changed it."""

from __future__ import annotations

import re

import pytest
import requests

from tests.factories import PASSWORD
from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, browser_login, cookie_header


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url + "/me", timeout=10)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def _browser_socket(server: LiveServer, session: requests.Session) -> ThreadClient:
    headers = {"Cookie": cookie_header(session), "Origin": server.url}
    return ThreadClient(server.url, headers=headers, transports=["polling", "websocket"]).connect()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_password_change_ends_the_other_sessions_and_sockets_on_every_process(two_servers, world):
    one, two = two_servers
    sid = world.shipment.id
    elsewhere_session = browser_login(two.url, world.staff.email)
    elsewhere = _browser_socket(two, elsewhere_session)
    here_session = browser_login(one.url, world.staff.email)
    li = ThreadClient(two.url, world.tokens["agent"]).connect()
    clients = [elsewhere, li]
    try:
        for client in clients:
            assert client.join(sid)["ok"]
        changed = here_session.post(one.url + "/me/password", timeout=10, allow_redirects=False, data={
            "current": PASSWORD, "password": "a-brand-new-pass", "confirm": "a-brand-new-pass",
            "csrf_token": _csrf(here_session, one.url)})
        assert changed.status_code == 302
        elsewhere.wait_for(lambda: not elsewhere.sio.connected, timeout=5)  # on the other process
        assert elsewhere_session.get(f"{two.url}/api/v1/me", timeout=10).status_code == 401
        assert here_session.get(f"{two.url}/api/v1/me", timeout=10).status_code == 200  # this browser stays
        assert li.sio.connected  # nobody else's socket is touched
        again = _browser_socket(two, here_session)
        clients.append(again)
        assert again.join(sid)["ok"]  # and its new socket works
    finally:
        for client in clients:
            client.disconnect()
