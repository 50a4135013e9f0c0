"""Fixtures of the thread tests: real server processes and real python-socketio clients."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

from hub.extensions import db
from tests.factories import PASSWORD
from tests.live import LiveServer


class ThreadClient:
    """A python-socketio client that keeps, per shipment, the thread as a user sees it:
    catch-up answers and live `message` events merged by `seq`, each seq exactly once."""

    def __init__(self, url: str, token: str | None = None, headers: dict[str, str] | None = None,
                 transports: list[str] | None = None) -> None:
        self.url = url
        self.token = token
        self.headers = headers or {}
        self.transports = transports or ["websocket"]
        self.sio = socketio.Client(reconnection=False)
        self._handle_messages_in_wire_order()
        self.lock = threading.Lock()
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}
        self.arrivals: list[int] = []  # seq of each live `message` event, in arrival order
        self.duplicates: list[int] = []
        self.events: list[tuple[str, Any]] = []
        for name in ("typing", "read", "presence"):
            self.sio.on(name, self._recorder(name))
        self.sio.on("message", self._on_message)

    def _handle_messages_in_wire_order(self) -> None:
        """The threaded Engine.IO client hands each incoming packet to a new thread, so two
        events could reach their handlers in the opposite order to the wire's. Handle them in
        the reader thread, one after the other, as a browser does: `arrivals` is the wire order."""
        eio = self.sio.eio
        trigger = eio._trigger_event

        def in_wire_order(event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        eio._trigger_event = in_wire_order

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            with self.lock:
                self.events.append((name, data))
        return record

    def _on_message(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.arrivals.append(message["seq"])
            self.events.append(("message", message))
        self._keep(message, live=True)

    def _keep(self, message: dict[str, Any], live: bool = False) -> None:
        with self.lock:
            thread = self.messages.setdefault(message["shipment_id"], {})
            if message["seq"] in thread and not live and thread[message["seq"]]["id"] != message["id"]:
                self.duplicates.append(message["seq"])
            thread[message["seq"]] = message

    def connect(self) -> ThreadClient:
        """Connect (token auth when a token was given)."""
        self.sio.connect(self.url, auth={"token": self.token} if self.token else None, headers=self.headers,
                         transports=self.transports, wait_timeout=10)
        return self

    def disconnect(self) -> None:
        """Close the connection."""
        if self.sio.connected:
            self.sio.disconnect()

    def call(self, event: str, data: Any, timeout: float = 10) -> Any:
        """Emit and wait for the acknowledgement."""
        return self.sio.call(event, data, timeout=timeout)

    def join(self, shipment_id: int, after_seq: int = 0) -> dict[str, Any]:
        """Join and keep the catch-up."""
        answer = self.call("join", {"shipment_id": shipment_id, "after_seq": after_seq})
        for message in answer.get("messages", []) if answer.get("ok") else []:
            self._keep(message)
        return answer

    def send(self, shipment_id: int, body: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a message and answer the acknowledgement."""
        return self.call("send", {"shipment_id": shipment_id, "body": body, "client_id": client_id or str(uuid.uuid4())})

    def seqs(self, shipment_id: int) -> list[int]:
        """The seqs this client holds for the shipment, ascending."""
        with self.lock:
            return sorted(self.messages.get(shipment_id, {}))

    def last_seq(self, shipment_id: int) -> int:
        """The highest seq held (0 when none)."""
        seqs = self.seqs(shipment_id)
        return seqs[-1] if seqs else 0

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until `predicate()` holds, or fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError("condition not met in time")


def detach_world(world: Any) -> None:
    """Load the world's rows and detach them, then end the test process's transaction: the
    tests keep reading ids and names without holding a database lock (an open SQLite
    transaction here would block the server's writes)."""
    people = [world.admin, world.staff, world.other_staff, world.agent, world.broker, world.observer, world.outsider]
    for row in [*people, world.shipment]:
        db.session.refresh(row)
    for person in people:
        _ = person.organization.name
    db.session.expunge_all()
    db.session.rollback()


@pytest.fixture
def two_servers(app: Flask, database_url: str, world: Any) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes on the test database sharing the Redis message queue."""
    from tests.services import redis_url

    queue = redis_url()
    detach_world(world)
    first = LiveServer(database_url, env={"SOCKETIO_MESSAGE_QUEUE": queue})
    second = LiveServer(database_url, env={"SOCKETIO_MESSAGE_QUEUE": queue})
    try:
        yield first.start(), second.start()
    finally:
        for server in (first, second):
            server.stop()
            print(f"--- {server.url} ---\n{server.log_tail(40)}")


@pytest.fixture(scope="session")
def live_servers() -> Iterator[dict[str, LiveServer]]:
    """One running server per test database, shared by the tests of the session (each test
    empties the tables; the server keeps no state that outlives them but open sockets)."""
    servers: dict[str, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def live_server(app: Flask, database_url: str, world: Any, live_servers: dict[str, LiveServer]) -> Iterator[LiveServer]:
    """A real `hub serve` process on the test database, with the `world` committed."""
    detach_world(world)
    server = live_servers.get(database_url)
    if server is None or server.process is None or server.process.poll() is not None:
        server = live_servers[database_url] = LiveServer(database_url).start()
    yield server
    print(f"--- server log ({server.log_path}) ---\n{server.log_tail(60)}")  # shown when a test fails


@pytest.fixture
def connect(live_server: LiveServer) -> Iterator[Callable[..., ThreadClient]]:
    """`connect(token)` opens a ThreadClient on the live server; all closed at the end."""
    clients: list[ThreadClient] = []

    def _connect(token: str | None = None, **kwargs: Any) -> ThreadClient:
        client = ThreadClient(kwargs.pop("url", live_server.url), token, **kwargs).connect()
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.disconnect()


def browser_login(url: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in through the login form (session cookie)."""
    session = requests.Session()
    page = session.get(url + "/login", timeout=10)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    answer = session.post(url + "/login", data={"email": email, "password": password, "csrf_token": token},
                          timeout=10, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:300]
    return session


def cookie_header(session: requests.Session) -> str:
    """The Cookie header of a signed-in requests session."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)
