"""A fake SendGrid v3 API on 127.0.0.1 (a real threaded HTTP server: the official client uses
urllib, which request-mocking libraries do not intercept), SendGrid's PostMailSend schema,
and helpers to run the worker."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from jsonschema import Draft202012Validator

from hub.extensions import db
from hub.notifications.models import OutboxEmail
from hub.notifications.worker import run_worker

SENDGRID_SPEC = Path("/work/shared/sendgrid/tsg_mail_v3.yaml")
if not SENDGRID_SPEC.exists():  # a checkout elsewhere keeps the spec next to the repository
    SENDGRID_SPEC = Path(__file__).resolve().parents[3] / "shared" / "sendgrid" / "tsg_mail_v3.yaml"


@dataclass
class Recorded:
    """One request the fake received."""

    at: float
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answer: str

    @property
    def outbox_id(self) -> str | None:
        """The `outbox_id` custom arg (top level or first personalization)."""
        args = self.body.get("custom_args") or (self.body.get("personalizations") or [{}])[0].get("custom_args") or {}
        return args.get("outbox_id")


@dataclass
class FakeSendGrid:
    """Answers each mail/send with the next planned answer for that outbox row (`202`, `429`,
    `500`, `400`, `drop`), 202 when none is planned; records every request."""

    url: str = ""
    plans: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: list[Recorded] = field(default_factory=list)
    delay_s: float = 0.0
    rate_limit_reset_in_s: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: An outage: every request is answered these in turn (`429`, `500`, ...) until the moment.
    outage: list[str] = field(default_factory=list)
    outage_until: float = 0.0
    #: While set, requests wait (`holding` counts them) and are then dropped, never accepted.
    hold: threading.Event = field(default_factory=threading.Event)
    holding: int = 0

    def fail_for(self, seconds: float, *answers: str) -> None:
        """Answer every request with `answers` in turn for `seconds` (an outage)."""
        with self.lock:
            self.outage = list(answers)
            self.outage_until = time.monotonic() + seconds

    def end_outage(self) -> None:
        """Answer normally again."""
        with self.lock:
            self.outage_until = 0.0

    def failures(self) -> int:
        """Requests answered with an error status (429, 5xx) so far."""
        with self.lock:
            return sum(1 for r in self.requests if r.answer in ("429", "500", "502", "503"))

    def duplicates(self) -> int:
        """Emails accepted more than once (outbox ids answered 202 twice or more)."""
        accepted = self.accepted()
        return len(accepted) - len(set(accepted))

    def plan(self, outbox_id: int, *answers: str) -> None:
        """The answers to give, in order, to the row's next requests."""
        self.plans[str(outbox_id)].extend(answers)

    def accepted(self) -> list[str]:
        """outbox ids of every request answered 202 (a duplicate appears twice)."""
        with self.lock:
            return [r.outbox_id for r in self.requests if r.answer == "202"]

    def for_row(self, outbox_id: int) -> list[Recorded]:
        """The requests about one row, in order."""
        with self.lock:
            return [r for r in self.requests if r.outbox_id == str(outbox_id)]


def _handler(fake: FakeSendGrid) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # keep the test output quiet
            return

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:
                # The sender died mid-request (a worker killed): SendGrid never got the email.
                self.close_connection = True
                return
            body = json.loads(raw or b"{}")
            if fake.delay_s:
                time.sleep(fake.delay_s)
            held = fake.hold.is_set()
            if held:
                with fake.lock:
                    fake.holding += 1
                while fake.hold.is_set():
                    time.sleep(0.01)
            with fake.lock:
                probe = Recorded(time.monotonic(), self.path, dict(self.headers), body, "")
                planned = fake.plans.get(str(probe.outbox_id)) or []
                answer = planned.pop(0) if planned else "202"
                if held:
                    answer = "drop"  # its sender is gone: nothing was accepted
                elif time.monotonic() < fake.outage_until and fake.outage:
                    answer = fake.outage[len(fake.requests) % len(fake.outage)]
                probe.answer = answer
                fake.requests.append(probe)
            if answer == "drop":
                # The connection dies before SendGrid accepted anything: no answer at all.
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status = int(answer)
            payload = b"" if status == 202 else json.dumps({"errors": [{"message": f"fake {status}"}]}).encode()
            self.send_response(status)
            if status == 202:
                self.send_header("X-Message-Id", f"fake-{probe.outbox_id}-{len(fake.requests)}")
            if status == 429:
                self.send_header("X-RateLimit-Limit", "600")
                self.send_header("X-RateLimit-Remaining", "0")
                self.send_header("X-RateLimit-Reset", str(int(time.time()) + fake.rate_limit_reset_in_s))
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    """A running fake SendGrid on 127.0.0.1 (random port)."""
    fake = FakeSendGrid()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def sendgrid_app(app: Flask, fake_sendgrid: FakeSendGrid) -> Flask:
    """The app sending through the fake with short delays."""
    app.config.update(
        SENDGRID_API_KEY="SG.test-key",
        SENDGRID_API_HOST=fake_sendgrid.url,
        MAIL_FROM="Clearance Hub <hub@hub.test>",
        EMAIL_BACKOFF_BASE_S=0.2,
        EMAIL_POLL_S=0.05,
        EMAIL_SEND_TIMEOUT_S=5.0,
    )
    return app


@pytest.fixture(scope="session")
def mail_send_validator() -> Draft202012Validator:
    """SendGrid's PostMailSend request schema, its top-level `custom_args` relaxed to an object
    (the spec says string; the API takes an object)."""
    spec = yaml.safe_load(SENDGRID_SPEC.read_text())
    schema = dict(spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"])
    schema["properties"] = dict(schema["properties"])
    schema["properties"]["custom_args"] = {"type": "object", "additionalProperties": {"type": "string"}}
    schema["components"] = spec["components"]  # the `$ref`s point into the spec's components
    return Draft202012Validator(schema)


def add_rows(count: int, **fields: Any) -> list[int]:
    """Insert `count` pending outbox rows directly; answers their ids (committed)."""
    rows = [
        OutboxEmail(kind="test", to_email=f"person{i}@example.com", to_name=f"Person {i}", subject=f"Subject {i}",
                    text_body=f"Text {i}", html_body=f"<p>HTML {i}</p>", headers={}, **fields)
        for i in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    ids = [r.id for r in rows]
    db.session.commit()
    return ids


def run_worker_until(app: Flask, done: Any, timeout: float = 60.0) -> None:
    """Run the worker loop in a thread until `done()` (checked without touching the database)."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_worker(app, stop=stop)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    db.session.commit()  # the test holds no transaction (SQLite's lock) while the worker runs
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not done() and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(10)
    assert not errors, errors
    assert done(), "the worker did not finish in time"


def statuses(ids: list[int]) -> dict[int, str]:
    """The current status of each row."""
    db.session.expire_all()
    return {row.id: row.status for row in db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.id.in_(ids)))}


def sign_in(client: Any, email: str, password: str = "correct-horse-battery") -> str:
    """Sign in through the login form; answers the page's CSRF token for later form posts."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code in (302, 303), answer.text
    page = client.get("/settings/notifications")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
