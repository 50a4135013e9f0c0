"""Fixtures of the inbound-email tests: SendGrid Inbound Parse posts built the way SendGrid
sends them (multipart/form-data, each text field in the charset `charsets` declares, the files
as `attachment1..N` described by `attachment-info`), and an app that accepts them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any

import pytest
from flask import Flask

from hub.extensions import db
from hub.inbound.models import InboundEmail
from hub.threads.models import Message

DOMAIN = "in.hub.test"
SECRET = "hook-secret-7f3a9c"
WEBHOOK = f"/webhooks/sendgrid/inbound/{SECRET}"
BOUNDARY = "xYzZY"
#: A one-pixel PNG: the signature logos of the tests.
LOGO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class File:
    """An attachment as SendGrid posts it."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


@dataclass
class InboundEmailPost:
    """One email as SendGrid's Inbound Parse posts it (the default, not the raw MIME, mode)."""

    sender: str
    sender_name: str
    to: str
    subject: str
    text: str | None = None
    html: str | None = None
    charset: str = "UTF-8"
    message_id: str = field(default_factory=lambda: f"<{uuid.uuid4().hex}@mail.example>")
    spf: str = "pass"
    dkim: str | None = None
    envelope_from: str | None = None
    cc: str = ""
    files: list[File] = field(default_factory=list)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    # Fields to leave out or replace, to build malformed posts.
    drop: tuple[str, ...] = ()
    replace: dict[str, bytes] = field(default_factory=dict)

    def headers_text(self) -> str:
        """The raw header block of the email, as SendGrid forwards it in `headers`."""
        domain = self.sender.rpartition("@")[2]
        lines = [
            f"Received: from mail.{domain} (mail.{domain} [203.0.113.7]) by mx.sendgrid.net with ESMTPS id abc",
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; h=from:to:subject; bh=x; b=y",
            "MIME-Version: 1.0",
            f"From: {formataddr((self.sender_name, self.sender))}",
            "Date: Fri, 20 Nov 2026 10:02:11 +0800",
            f"Message-ID: {self.message_id}",
            "Subject: =?UTF-8?B?" + __import__("base64").b64encode(self.subject.encode()).decode() + "?=",
            f"To: {self.to}",
            "Content-Type: multipart/alternative; boundary=\"000000000000abcdef\"",
            *[f"{name}: {value}" for name, value in self.extra_headers],
        ]
        return "\n".join(lines) + "\n"

    def fields(self) -> list[tuple[str, bytes, dict[str, str] | None]]:
        """(name, bytes, file headers or None) of every part, in SendGrid's order."""
        charset = self.charset
        charsets = {"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "cc": "UTF-8"}
        if self.text is not None:
            charsets["text"] = charset
        if self.html is not None:
            charsets["html"] = charset
        info = {}
        for index, item in enumerate(self.files, 1):
            entry = {"filename": item.filename, "name": item.filename, "type": item.content_type}
            if item.content_id:
                entry["content-id"] = item.content_id
            info[f"attachment{index}"] = entry
        parts: list[tuple[str, bytes, dict[str, str] | None]] = [
            ("headers", self.headers_text().encode()),
            ("dkim", (self.dkim if self.dkim is not None else f"{{@{self.sender.rpartition('@')[2]} : pass}}").encode()),
            ("content-ids", json.dumps({f.content_id: f"attachment{i}" for i, f in enumerate(self.files, 1)
                                        if f.content_id}).encode()),
            ("to", self.to.encode()),
            ("cc", self.cc.encode()),
        ]
        if self.html is not None:
            parts.append(("html", self.html.encode(charset)))
        parts += [("from", formataddr((self.sender_name, self.sender)).encode())]
        if self.text is not None:
            parts.append(("text", self.text.encode(charset)))
        parts += [
            ("sender_ip", b"203.0.113.7"),
            ("envelope", json.dumps({"to": [self.to.split("<")[-1].rstrip(">")],
                                     "from": self.envelope_from or self.sender}).encode()),
            ("attachments", str(len(self.files)).encode()),
            ("subject", self.subject.encode()),
            ("attachment-info", json.dumps(info).encode()),
            ("charsets", json.dumps(charsets).encode()),
            ("SPF", self.spf.encode()),
        ]
        parts = [(n, self.replace.get(n, v), None) for n, v in parts if n not in self.drop]
        for index, item in enumerate(self.files, 1):
            parts.append((f"attachment{index}", item.data, {"filename": item.filename, "type": item.content_type}))
        return parts

    def body(self) -> bytes:
        """The multipart/form-data body."""
        out = b""
        for name, value, file in self.fields():
            out += f"--{BOUNDARY}\r\n".encode()
            if file is None:
                out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            else:
                out += (f'Content-Disposition: form-data; name="{name}"; filename="{file["filename"]}"\r\n'
                        f"Content-Type: {file['type']}\r\n\r\n").encode()
            out += value + b"\r\n"
        return out + f"--{BOUNDARY}--\r\n".encode()

    def post(self, client: Any, url: str = WEBHOOK) -> Any:
        """POST it as SendGrid does."""
        return client.post(url, data=self.body(), content_type=f"multipart/form-data; boundary={BOUNDARY}")


@pytest.fixture
def inbound_app(app: Flask) -> Flask:
    """The app with reply-by-email configured."""
    app.config.update(INBOUND_EMAIL_DOMAIN=DOMAIN, INBOUND_WEBHOOK_SECRET=SECRET, INBOUND_REQUIRE_AUTH=True)
    return app


def thread_texts(shipment_id: int) -> list[tuple[str, str, str]]:
    """(author email, via, body) of every text message of the thread, in seq order."""
    db.session.expire_all()
    rows = db.session.scalars(db.select(Message).where(Message.shipment_id == shipment_id, Message.kind == "text")
                              .order_by(Message.seq))
    return [(m.author.email if m.author else "", m.via, m.body) for m in rows]


def records() -> list[dict[str, Any]]:
    """Every inbound record, oldest first (as dicts)."""
    db.session.expire_all()
    return [r.to_dict() for r in db.session.scalars(db.select(InboundEmail).order_by(InboundEmail.id))]


# The local fake SendGrid and SendGrid's request schema, shared with the notification tests.
from tests.notifications.conftest import fake_sendgrid, mail_send_validator, sendgrid_app  # noqa: E402, F401
