"""The deployment files: the alert rules watch metrics the hub really exports, and the compose
file runs what the README says (PostgreSQL, Redis, two web processes, the worker, nginx)."""

from __future__ import annotations

import re

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.live import ROOT

DEPLOY = ROOT / "deploy"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_metric_the_alert_rules_use_is_exported(client):
    exposition = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    exported: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        exported |= {family.name + suffix for suffix in ("", "_total", "_bucket", "_count", "_sum")}
        exported |= {found.name for found in family.samples}
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"\bhub_[a-z_]+", expr)}
    assert used and used <= exported, used - exported
    for wanted in ("hub_outbox_oldest_age_seconds", "hub_http_requests_total", "hub_socketio_events_total"):
        assert wanted in used  # backlog age, 5xx rate, socket errors


def test_the_compose_file_runs_postgres_redis_two_web_processes_the_worker_and_nginx():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web1", "web2", "worker", "nginx", "migrate"} <= set(services)
    for name in ("web1", "web2"):
        assert services[name]["command"][-5:] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["worker"]["command"][-1] == "worker"
    for name in ("web1", "web2", "worker"):
        environment = services[name]["environment"]
        assert environment["SOCKETIO_MESSAGE_QUEUE"].startswith("redis://redis")
        assert environment["PROMETHEUS_MULTIPROC_DIR"] and environment["DATABASE_URL"].startswith("postgresql://")
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    nginx = (DEPLOY / "nginx.compose.conf").read_text()
    assert "server web1:8000;" in nginx and "server web2:8000;" in nginx and "ip_hash;" in nginx
