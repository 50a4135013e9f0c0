"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and undo it.

Each backend starts from a fresh, empty database: upgrade to head, compare with the models
(Alembic's autogenerate comparison: tables, columns, types, nullability, indexes, unique
constraints, foreign keys), downgrade to base (only `alembic_version` may remain), upgrade
again and compare once more.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import ROOT, make_app
from tests.services import fresh_postgres_database

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a brand-new, empty database of each backend."""
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)
        with app.app_context():
            yield app
            _dispose(app)
        return
    with fresh_postgres_database("hub_migrations") as url:
        app = make_app(url, tmp_path)
        with app.app_context():
            yield app
            _dispose(app)


def _dispose(app: Flask) -> None:
    from hub.extensions import db

    db.session.remove()
    db.engine.dispose()


def schema_differences(app: Flask) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when equal)."""
    from hub.extensions import db

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": False, "render_as_batch": True},
        )
        return compare_metadata(context, db.metadata)


def table_names(app: Flask) -> set[str]:
    from hub.extensions import db

    return set(inspect(db.engine).get_table_names())


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_app: Flask):
    from hub.extensions import db

    assert table_names(empty_app) == set()
    upgrade(directory=MIGRATIONS)
    model_tables = {table.name for table in db.metadata.sorted_tables}
    assert table_names(empty_app) == model_tables | {"alembic_version"}
    differences = schema_differences(empty_app)
    assert differences == [], f"migrations and models differ: {differences}"

    downgrade(directory=MIGRATIONS, revision="base")
    db.engine.dispose()  # forget cached table metadata of the dropped schema
    assert table_names(empty_app) == {"alembic_version"}

    upgrade(directory=MIGRATIONS)
    assert schema_differences(empty_app) == []


def test_the_comparison_notices_a_schema_drift(empty_app: Flask):
    """The check above can fail: a column missing from the database is reported."""
    from alembic.operations import Operations

    from hub.extensions import db

    upgrade(directory=MIGRATIONS)
    with db.engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("shipments") as batch:
            batch.drop_column("port_of_entry")
    differences = schema_differences(empty_app)
    assert any(diff[0] == "add_column" and diff[3].name == "port_of_entry" for diff in differences), differences


def test_revisions_form_one_chain():
    """One head and no branches, so `db upgrade` is unambiguous for every area's revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].down_revision is None
    assert all(not r.is_branch_point and not r.is_merge_point for r in revisions)
