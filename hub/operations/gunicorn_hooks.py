"""gunicorn settings `hub serve` loads (`--config python:hub.operations.gunicorn_hooks`)."""

from __future__ import annotations

from typing import Any


def child_exit(_server: Any, worker: Any) -> None:
    """A worker process ended: its open-socket gauge no longer counts (multi-process metrics)."""
    from hub.operations.metrics import MULTIPROCESS_DIR

    if MULTIPROCESS_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, MULTIPROCESS_DIR)
