"""`flask --app wsgi hub ...`: commands for operators, scripts and tests.

Commands that create something print the new id alone on the last line of stdout;
diagnostics go to stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from hub.errors import HubError

hub_cli = AppGroup("hub", help="Clearance Hub administration.")
ROOT = Path(__file__).resolve().parent.parent


def _fail(exc: HubError) -> None:
    detail = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
    click.echo(f"error: {exc.message} {detail}".strip(), err=True)
    sys.exit(2)


def require_matching_schema() -> None:
    """Stop (exit status 1) with a message naming the revisions when the database does not
    match the migrations: a server or worker started on it would fail at its first query."""
    from hub.extensions import db
    from hub.schema_check import schema_mismatch

    try:
        problem = schema_mismatch(db.engine)
    except Exception as exc:  # noqa: BLE001  (no database at all: say so, not a traceback)
        problem = f"the database cannot be reached ({exc.__class__.__name__}: {str(exc).splitlines()[0][:200]})"
    if problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(1)


@hub_cli.command("create-org")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["shipper", "customs_agent", "broker", "forwarder", "carrier"]))
@click.option("--country", required=True, help="ISO 3166-1 alpha-2")
@click.option("--time-zone", default="UTC", show_default=True)
def create_org(name: str, kind: str, country: str, time_zone: str) -> None:
    """Create an organization and print its id."""
    from hub.accounts.services import create_organization
    from hub.extensions import db

    try:
        org = create_organization(None, name, kind, country, time_zone)
        db.session.commit()
    except HubError as exc:
        _fail(exc)
    click.echo(org.id)


@hub_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@click.option("--org-id", required=True, type=int)
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "partner"]))
@click.option("--locale", default="en", type=click.Choice(["en", "es", "zh_Hans"]), show_default=True)
@click.option("--time-zone", default=None, help="Area/City; defaults to the organization's")
def create_user(email: str, password: str, name: str, org_id: int, role: str, locale: str, time_zone: str | None) -> None:
    """Create a user and print their id."""
    from hub.accounts.services import create_user as do_create_user
    from hub.extensions import db

    try:
        user = do_create_user(
            None, email=email, name=name, organization_id=org_id, role=role,
            password=password, locale=locale, tz=time_zone,
        )
        db.session.commit()
    except HubError as exc:
        _fail(exc)
    click.echo(user.id)


@hub_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def seed_demo(if_empty: bool) -> None:
    """Create the demo organizations, users and shipments; print the demo logins."""
    from hub.demo import DEMO_PASSWORD, demo_logins, seed

    created = seed(if_empty=if_empty)
    if not created:
        click.echo("The database already has users; demo not seeded.", err=True)
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, description in demo_logins():
        click.echo(f"  {email:<34} {description}")


#: gevent settings of the serving process (each can be overridden from the environment).
SERVE_ENVIRONMENT = {
    # Not recording which greenlet spawned which, with its stack: a thousand sockets otherwise
    # keep ~35,000 frame records that every full garbage collection walks (80-100 ms pauses).
    "GEVENT_TRACK_GREENLET_TREE": "false",
}


#: Descriptors besides the sockets: database connections, log files, the listening socket.
OPEN_FILES_MARGIN = 1024


def raise_open_files_limit(wanted: int, needed_by: str = "SERVE_WORKER_CONNECTIONS") -> int:
    """Raise this process's soft limit of open files (inherited by gunicorn) to `wanted`, as far
    as the hard limit allows; warn on stderr (naming `needed_by`) when it cannot reach it.
    Answers the soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        click.echo(f"warning: open files limited to {soft} (ulimit -n), fewer than the {wanted} that "
                   f"{needed_by} needs: raise the hard limit (LimitNOFILE= in systemd)", err=True)
    return soft


@hub_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--worker-connections", default=None, type=int,
              help="connections held at once  [default: SERVE_WORKER_CONNECTIONS, 10000]")
def serve(host: str, port: int, worker_connections: int | None) -> None:
    """Serve pages, API and websockets with gunicorn's gevent worker until SIGTERM."""
    from flask import current_app

    require_matching_schema()
    if worker_connections is None:
        worker_connections = int(current_app.config["SERVE_WORKER_CONNECTIONS"])
    raise_open_files_limit(worker_connections + OPEN_FILES_MARGIN)
    # A fresh process: gunicorn's gevent worker monkey-patches before it imports the app;
    # this CLI process has already imported it unpatched.
    args = [
        sys.executable, "-m", "gunicorn",
        "--worker-class", "gevent",
        "--workers", "1",
        "--worker-connections", str(worker_connections),
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--chdir", str(ROOT),
        "--graceful-timeout", "10",
        "--timeout", "60",
        "--access-logfile", "-" if os.environ.get("HUB_ACCESS_LOG") == "1" else "/dev/null",
        "--error-logfile", "-",
        "wsgi:app",
    ]
    for name, value in SERVE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)
