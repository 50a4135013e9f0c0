"""Prometheus metrics at `/metrics` (prometheus-client).

Counters and histograms live in the process that counts them. With `PROMETHEUS_MULTIPROC_DIR`
set (before the process starts), every process writes them into files there and `/metrics`
of any process sums all of them: point the web processes and the worker of one host at one
folder and scrape one of them. Without it each process answers for itself.

Figures that the database knows (outbox depth and oldest age, open risk flags) are read from
it at each scrape, so they are the same whichever process answers.

Fed by the app's hooks (every request) and by signals (socket events, messages, emails):
no view counts anything itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from ipaddress import ip_address, ip_network
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.errors import error_response
from hub.shipment_tx import Step, after_commit

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

http_requests = Counter("hub_http_requests_total", "HTTP requests answered, by route and status.",
                        ["method", "route", "status"])
http_latency = Histogram("hub_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                         ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
sockets_connected = Gauge("hub_sockets_connected", "Socket.IO connections open now.",
                          multiprocess_mode="livesum")
socket_events = Counter("hub_socketio_events_total", "Client Socket.IO events answered, by name and outcome "
                        "(ok or the error code of the acknowledgement).", ["event", "outcome"])
messages_posted = Counter("hub_messages_posted_total", "Thread messages committed, by channel "
                          "(web: socket or page, api, email, system).", ["channel"])
emails_sent = Counter("hub_emails_sent_total", "Emails handed to SendGrid (or the local mailbox).")
emails_failed = Counter("hub_emails_failed_total", "Emails given up on (rejected, suppressed, out of attempts).")
emails_retried = Counter("hub_emails_retried_total", "Email attempts that will be tried again (429, 5xx, network).")
emails_bounced = Counter("hub_emails_bounced_total", "Bounces and drops SendGrid reported through its webhook.")
inbound_emails = Counter("hub_inbound_emails_total", "Inbound emails received, by outcome (accepted, rejected).",
                         ["outcome"])

for _outcome in ("accepted", "rejected"):
    inbound_emails.labels(_outcome)  # both series exist from the start, at 0
for _channel in ("web", "api", "email", "system"):
    messages_posted.labels(_channel)


def count_after_commit(count: Callable[[], None]) -> None:
    """Count once the current transaction commits (a rolled-back write counts nothing)."""
    after_commit(Step.COUNT, count)


class DatabaseFigures(Collector):
    """Outbox depth and age, open risk flags: read from the database at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One query each; a database that cannot answer leaves them out of this scrape."""
        from hub.operations.health import outbox_backlog, risk_flags_open

        try:
            depth, oldest_age = outbox_backlog()
            risks = risk_flags_open()
        except Exception as exc:  # noqa: BLE001  (the scrape still answers; /readyz says why)
            current_app.logger.warning("metrics: the database did not answer: %s", exc.__class__.__name__)
            return
        yield GaugeMetricFamily("hub_outbox_depth", "Emails waiting in the outbox (pending).", value=depth)
        yield GaugeMetricFamily("hub_outbox_oldest_age_seconds",
                                "How long the oldest email waiting to be sent has waited (0 when none).",
                                value=oldest_age)
        yield GaugeMetricFamily("hub_risk_flags_open", "Risk flags open now.", value=risks)


def exposition() -> bytes:
    """The text exposition of every metric of this process, or of all processes sharing
    PROMETHEUS_MULTIPROC_DIR, plus the database's figures."""
    from prometheus_client import REGISTRY

    figures = CollectorRegistry(auto_describe=False)
    figures.register(DatabaseFigures())
    if MULTIPROCESS_DIR:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(figures)
    return generate_latest(REGISTRY) + generate_latest(figures)


def allowed_to_scrape(remote: str | None, allowed: list[str], token: str | None, authorization: str) -> bool:
    """A scraper from an allowed address (or network), or one with the bearer token."""
    if token:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and _same(value.strip(), token):
            return True
    try:
        address = ip_address(remote or "")
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def scraper_address() -> str | None:
    """The address to judge: behind a proxy (nginx sets X-Forwarded-For) the address the proxy
    saw, its own entry at the end of the header, since the proxy itself connects from
    127.0.0.1; else the connection's peer."""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.remote_addr


def _same(given: str, expected: str) -> bool:
    import hmac

    return hmac.compare_digest(given.encode(), expected.encode())


def metrics_view() -> Response:
    """`GET /metrics`: the exposition, to allowed addresses or the bearer token; else 404
    (nothing tells a stranger there are metrics)."""
    config = current_app.config
    if not allowed_to_scrape(scraper_address(), config["METRICS_ALLOWED_IPS"], config.get("METRICS_TOKEN"),
                             request.headers.get("Authorization", "")):
        return error_response(404, "not_found", "Not found.")
    return Response(exposition(), mimetype=None, content_type=CONTENT_TYPE)


_NOT_TIMED = ("/socket.io",)


def install_request_metrics(app: Flask) -> None:
    """Count and time every request by its route pattern (the Socket.IO transport excepted:
    its connections are counted as sockets and events)."""

    @app.before_request
    def _start_timer() -> None:
        g.hub_metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Any) -> Any:
        started = g.pop("hub_metrics_started", None)
        if started is None or request.path.startswith(_NOT_TIMED):
            return response
        rule = request.url_rule
        route = rule.rule if rule is not None else "<unmatched>"
        http_requests.labels(request.method, route, str(response.status_code)).inc()
        http_latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response
