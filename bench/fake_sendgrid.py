"""A local stand-in for SendGrid's v3 mail send endpoint: answers 202 at once.

`python -m bench.fake_sendgrid PORT` serves `POST /v3/mail/send` (counting the emails and
the `outbox_id`s in `custom_args`) and `GET /_stats` (the counts as JSON) on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_lock = threading.Lock()
_stats: dict[str, Any] = {"requests": 0, "emails": 0, "outbox_ids": [], "first": None, "last": None, "bad": 0}


def _outbox_ids(payload: dict[str, Any]) -> list[str]:
    ids = []
    top = (payload.get("custom_args") or {}).get("outbox_id")
    personalizations = payload.get("personalizations") or [{}]
    for item in personalizations:
        found = (item.get("custom_args") or {}).get("outbox_id", top)
        if found is not None:
            ids.append(str(found))
    return ids or ([str(top)] if top is not None else [])


class Handler(BaseHTTPRequestHandler):
    """202 for mail sends, the counts for `/_stats`."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real API allows

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        now = time.time()
        try:
            payload = json.loads(raw or b"{}")
            ids = _outbox_ids(payload)
            ok = self.path.rstrip("/").endswith("/mail/send")
        except ValueError:
            ids, ok = [], False
        with _lock:
            _stats["requests"] += 1
            if ok:
                _stats["emails"] += max(1, len(ids))
                _stats["outbox_ids"].extend(ids)
                _stats["first"] = _stats["first"] or now
                _stats["last"] = now
            else:
                _stats["bad"] += 1
        self.send_response(202 if ok else 400)
        self.send_header("X-Message-Id", uuid.uuid4().hex)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        with _lock:
            body = json.dumps(_stats).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        """Quiet: one line per email would cost more than the answer."""


def main() -> None:
    """Serve on 127.0.0.1:PORT until terminated."""
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
