"""`/healthz` (the process answers) and `/readyz` (what it depends on): database, Redis when
configured, the outbox backlog. Overall `status`: `down` (503) when the database does not
answer; `degraded` when Redis does not answer or the oldest waiting email is older than
READYZ_OUTBOX_MAX_AGE_S; else `ok`."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, jsonify
from sqlalchemy import func, select, text

from hub.extensions import db
from hub.timestamps import utcnow

_redis_clients: dict[str, Any] = {}


def outbox_backlog() -> tuple[int, float]:
    """Pending emails, and the age in seconds of the oldest of them (0 when none)."""
    from hub.notifications.models import OutboxEmail

    depth, oldest = db.session.execute(
        select(func.count(OutboxEmail.id), func.min(OutboxEmail.created_at)).where(OutboxEmail.status == "pending")
    ).one()
    db.session.rollback()  # hold no transaction (SQLite's reader snapshot) past the check
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return int(depth), round(age, 3)


def risk_flags_open() -> int:
    """Open risk flags (the risks area's table, read like the outbox: models only)."""
    from hub.risks.models import RiskFlag

    count = db.session.scalar(select(func.count(RiskFlag.id)).where(RiskFlag.resolved_at.is_(None)))
    db.session.rollback()  # hold no transaction past the scrape
    return int(count or 0)


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        current_app.logger.warning("readyz: database check failed: %s", exc.__class__.__name__)
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _redis_client(url: str) -> Any:
    client = _redis_clients.get(url)
    if client is None:
        import redis

        # A short leash: a hung Redis must not hang the probe that reports it.
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client


def _check_redis(url: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        _redis_client(url).ping()
    except Exception as exc:  # noqa: BLE001
        current_app.logger.warning("readyz: Redis check failed: %s", exc.__class__.__name__)
        return {"status": "degraded", "error": exc.__class__.__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_outbox(max_age_s: float) -> dict[str, Any]:
    try:
        depth, oldest_age = outbox_backlog()
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        return {"status": "unknown", "error": exc.__class__.__name__}
    status = "degraded" if oldest_age > max_age_s else "ok"
    return {"status": status, "depth": depth, "oldest_age_s": oldest_age, "max_age_s": max_age_s}


def readiness() -> dict[str, Any]:
    """Every check and the overall status."""
    config = current_app.config
    checks: dict[str, Any] = {"database": _check_database()}
    queue = config.get("SOCKETIO_MESSAGE_QUEUE")
    if queue and queue.startswith(("redis://", "rediss://")):
        checks["redis"] = _check_redis(queue)
    if checks["database"]["status"] == "ok":
        checks["outbox"] = _check_outbox(config["READYZ_OUTBOX_MAX_AGE_S"])
    statuses = {check["status"] for check in checks.values()}
    overall = "down" if "down" in statuses else "degraded" if "degraded" in statuses else "ok"
    return {"status": overall, "checks": checks}


def healthz_view() -> Any:
    """`GET /healthz`: the process is alive and serving."""
    return jsonify({"status": "ok"})


def readyz_view() -> Any:
    """`GET /readyz`: readiness as JSON; 503 when down."""
    report = readiness()
    return jsonify(report), 503 if report["status"] == "down" else 200
