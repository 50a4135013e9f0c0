"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), the app, a
client and a `world` of typical users (staff, another shipper, partners on and off a shipment)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests import factories
from tests.services import fresh_postgres_database

os.environ.setdefault("HUB_ENV", "test")
ROOT = Path(__file__).resolve().parent.parent


def make_app(database_url: str, tmp: Path, **overrides: Any) -> Flask:
    """A test app on `database_url` with its own instance and upload folders."""
    from hub import create_app

    config = {
        "HUB_ENV": "test",
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "PUBLIC_BASE_URL": "http://hub.test",
        "WTF_CSRF_ENABLED": True,
    } | overrides
    os.environ["HUB_INSTANCE_PATH"] = str(tmp / "instance")
    return create_app(config)


def migrate_to_head(app: Flask) -> None:
    """Build the schema by running the migrations (never `create_all`)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this test run."""
    tmp = tmp_path_factory.mktemp("sqlite")
    url = f"sqlite:///{tmp / 'hub.sqlite3'}"
    migrate_to_head(make_app(url, tmp))
    return url


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database created for this test run and dropped afterwards."""
    with fresh_postgres_database() as url:
        _skip_commit_flush(url)
        migrate_to_head(make_app(url, tmp_path_factory.mktemp("pg")))
        yield url


def _skip_commit_flush(url: str) -> None:
    """A throwaway test database need not wait for the WAL flush at each commit (faster tests;
    nothing is lost unless the server crashes mid-run)."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{make_url(url).database}" SET synchronous_commit TO off')


def _empty_all_tables(app: Flask) -> None:
    from hub.extensions import db

    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # DELETE and restarting the sequences is ten times faster than TRUNCATE on these
                # small tables (TRUNCATE replaces every table's files), with the same result.
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                sequences = conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
                ).scalars()
                for sequence in list(sequences):
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                    text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first() else None


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The migrated database of the current backend."""
    return request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on an emptied, migrated database, inside an app context."""
    application = make_app(database_url, tmp_path)
    _empty_all_tables(application)
    with application.app_context():
        yield application
        from hub.extensions import db

        db.session.remove()
        db.engine.dispose()


class HubTestClient(FlaskClient):
    """A test client whose requests do not see the previous request's signed-in user.

    The tests keep an app context pushed, which requests then share; Flask-Login caches
    the user in `g`, so forget it before each request as a fresh context would.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        g.pop("_login_user", None)
        g.pop("api_token", None)
        g.pop("csrf_token", None)  # Flask-WTF caches the session's token in `g` too
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of `app`."""
    app.test_client_class = HubTestClient
    return app.test_client()


@dataclass
class World:
    """Typical people and one shipment: who can see what."""

    admin: Any
    staff: Any
    other_staff: Any
    agent: Any
    broker: Any
    observer: Any
    outsider: Any
    shipment: Any
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        """Bearer headers of one of the world's users (`anonymous` gives none)."""
        return {} if who == "anonymous" else factories.bearer(self.tokens[who])


@pytest.fixture
def world(app: Flask) -> World:
    """A shipper's admin and coordinator, another shipper's coordinator, an agent, a broker and
    an observer on the shipment, and a partner who is not on it."""
    shipper = factories.org("shipper", "US", "Acme Imports")
    rival = factories.org("shipper", "GB", "Rival Trading")
    agency = factories.org("customs_agent", "CN", "Shenzhen Agency", "Asia/Shanghai")
    brokerage = factories.org("broker", "DE", "Berlin Brokers", "Europe/Berlin")
    admin = factories.user(shipper, "admin", "admin@acme.example", "Ada Admin")
    staff = factories.user(shipper, "coordinator", "ana@acme.example", "Ana Coordinator")
    other = factories.user(rival, "coordinator", "rita@rival.example", "Rita Rival")
    agent = factories.user(agency, "partner", "li.wei@agency.example", "Li Wei", "zh_Hans", "Asia/Shanghai")
    broker = factories.user(brokerage, "partner", "jonas@brokers.example", "Jonas Becker", "en", "Europe/Berlin")
    observer = factories.user(brokerage, "partner", "olga@brokers.example", "Olga Observer")
    outsider = factories.user(agency, "partner", "zhang@agency.example", "Zhang Outsider")
    shipment = factories.shipment(staff, "ACME-001")
    factories.participant(shipment, agent, "agent")
    factories.participant(shipment, broker, "broker")
    factories.participant(shipment, observer, "observer")
    people = {"admin": admin, "staff": staff, "other_staff": other, "agent": agent, "broker": broker,
              "observer": observer, "outsider": outsider}
    tokens = {name: factories.token(u) for name, u in people.items()}
    return World(**people, shipment=shipment, tokens=tokens)
