"""Scenario 6: how many emails per second one worker sends.

N due rows are queued in the outbox; `python -m flask --app wsgi hub worker --once` runs
with `SENDGRID_API_KEY` set and `SENDGRID_API_HOST` pointing at the local fake SendGrid
(`bench.fake_sendgrid`, 202 at once). Throughput is counted where the emails arrive: the
emails the fake received between its first and last request; the wall time including the
worker's start-up is reported beside it. Every row must end `sent`, each id received once.
"""

from __future__ import annotations

import time
from typing import Any

from bench.database import BenchDatabase, outbox_counts, queue_outbox
from bench.procs import PYTHON, BenchError, Supervisor, run_command
from bench.servers import fake_sendgrid_stats, start_fake_sendgrid

MAX_WORKER_RUNS = 50


def run_outbox(
    sup: Supervisor, db: BenchDatabase, count: int, timeout: float, prefix: list[str] | None = None,
) -> dict[str, Any]:
    """Queue `count` emails, run the worker until none is pending, count what arrived.
    `prefix` wraps the worker command (a profiler)."""
    queued = queue_outbox(db, count)
    fake, port = start_fake_sendgrid(sup)
    env = db.hub_env() | {"SENDGRID_API_KEY": "SG.bench-key", "SENDGRID_API_HOST": f"http://127.0.0.1:{port}"}
    runs = 0
    started = time.monotonic()
    try:
        # `--once` sends what is due and exits; run it again while rows stay pending (a worker
        # that sends one batch per run), bounded in count and time.
        while runs < MAX_WORKER_RUNS:
            runs += 1
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                raise BenchError(f"the worker did not send {count} emails within {timeout:.0f}s")
            command = [PYTHON, "-m", "flask", "--app", "wsgi", "hub", "worker", "--once"]
            run_command([*(prefix if runs == 1 else []), *command], env, left, "hub worker --once")
            if outbox_counts(db).get("pending", 0) == 0:
                break
        wall = time.monotonic() - started
        stats = fake_sendgrid_stats(port)
    finally:
        sup.stop(fake)
    statuses = outbox_counts(db)
    ids = stats["outbox_ids"]
    span = (stats["last"] - stats["first"]) if stats["first"] and stats["last"] else 0.0
    emails = stats["emails"]
    return {
        "figures": {"emails_per_s": round(emails / span, 1) if span > 0 else None},
        "details": {
            "queued": len(queued), "received_by_fake": emails, "requests": stats["requests"],
            "distinct_outbox_ids": len(set(ids)), "duplicated_ids": len(ids) - len(set(ids)),
            "unknown_ids": len(set(ids) - {str(i) for i in queued}),
            "rows_by_status": statuses, "worker_runs": runs, "wall_s": round(wall, 2),
            "emails_per_s_wall": round(emails / wall, 1) if wall > 0 else None,
            "bad_requests": stats["bad"],
        },
    }
