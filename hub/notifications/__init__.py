"""Email notifications: templated emails through SendGrid, written to a transactional outbox
and sent by a worker that loses nothing."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

log = logging.getLogger("hub.notifications")
_inline_guard = threading.Lock()
_inline_started = False


@click.command("worker")
@click.option("--once", is_flag=True, help="Send every email due now, leave later retries, and exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Send queued emails (SendGrid, or the local mailbox without SENDGRID_API_KEY)."""
    from hub.cli import require_matching_schema
    from hub.notifications.worker import run_worker

    require_matching_schema()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    if not once:
        # Finish the email in flight, then stop (SIGTERM from a process manager, Ctrl-C).
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    run_worker(app, once=once, stop=stop)


def _serving_under_gevent() -> bool:
    """True only in the gevent-patched server process (`hub serve`'s gunicorn worker);
    CLI commands and tests run unpatched."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


def start_inline_worker(app: Flask) -> bool:
    """Run the worker loop as a greenlet of the serving process (HUB_INLINE_WORKER=1); at most
    one per process, whatever number of apps the process creates."""
    global _inline_started
    if not app.config.get("HUB_INLINE_WORKER") or not _serving_under_gevent():
        return False
    with _inline_guard:
        if _inline_started:
            return False
        _inline_started = True
    import gevent

    from hub.notifications.worker import run_worker

    gevent.spawn(run_worker, app)
    log.info("inline email worker started")
    return True


def register(app: Flask) -> None:
    """Blueprint, CLI, signal subscribers, shipment warnings, navigation, email filters."""
    from hub.cli import hub_cli
    from hub.notifications import rendering
    from hub.notifications.subscribers import connect_subscribers
    from hub.notifications.views import bp
    from hub.notifications.warnings import email_warnings
    from hub.shipments.extras import register_extra
    from hub.templating import register_nav_item

    app.register_blueprint(bp)
    hub_cli.add_command(worker_command)
    connect_subscribers()
    register_extra(email_warnings)
    register_nav_item("Notifications", "notifications.settings_page", "all")
    # Everyone reads their own emails there, and only while no SendGrid key is configured.
    register_nav_item("Mailbox", "notifications.mailbox_page", "all",
                      shown=lambda: not current_app.config.get("SENDGRID_API_KEY"))
    register_nav_item("Email suppressions", "notifications.suppressions_page", "admin")
    filters: dict[str, Any] = {
        "email_time": rendering.email_time,
        "milestone_label": rendering.milestone_label,
        "role_label": rendering.role_label,
        "level_label": rendering.level_label,
        "country_label": rendering.country_label,
    }
    app.jinja_env.filters.update(filters)
    start_inline_worker(app)
