"""Bench-only gunicorn configuration that counts SQL statements per HTTP request.

Loaded only by the benchmark's list scenario, through gunicorn's own environment variable
(`GUNICORN_CMD_ARGS="--config python:bench.querycount"`), so `hub serve` runs unchanged and
no application code knows about it. After the worker has loaded the app (and gevent has
patched `threading.local` into a greenlet-local), a SQLAlchemy `before_cursor_execute`
listener counts every statement sent to the database, and a WSGI wrapper adds the count of
the current request as the `X-Bench-Queries` response header.
With `BENCH_SQL_LOG=1` each statement is also written to the error log with its duration (for
finding which statements a request sends, when profiling).
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Gunicorn hook: wrap the loaded app with the per-request statement counter."""
    import os
    import sys
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    local = threading.local()  # greenlet-local here: the gevent worker patched threading first

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        local.count = getattr(local, "count", 0) + 1

    if os.environ.get("BENCH_SQL_LOG") == "1":

        @event.listens_for(Engine, "before_cursor_execute")
        def _start(conn: Any, _cursor: Any, _statement: Any, _params: Any, _context: Any, _many: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(Engine, "after_cursor_execute")
        def _log(conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: Any) -> None:
            elapsed = (time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000
            one_line = " ".join(statement.split())[:300]
            print(f"bench-sql {time.time() % 100:8.4f} {elapsed:7.2f} ms  {one_line}  {str(params)[:120]}", file=sys.stderr, flush=True)

    app = worker.wsgi

    def counting_app(environ: dict[str, Any], start_response: Any) -> Any:
        local.count = 0

        def counted_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Flask has built the whole response when it starts it: every query is counted.
            headers = [*headers, ("X-Bench-Queries", str(getattr(local, "count", 0)))]
            return start_response(status, headers, exc_info)

        return app(environ, counted_start_response)

    worker.wsgi = counting_app
