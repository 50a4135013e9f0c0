"""Refuse to start on a database the migrations do not match, naming the revisions, instead
of failing on the first request."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from hub.database import reads_only

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
UPGRADE = "python -m flask --app wsgi db upgrade"


def code_heads() -> set[str]:
    """The head revision(s) of the migrations shipped with this code."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def schema_mismatch(engine: Engine) -> str | None:
    """None when the database is at the code's head revision, else what is wrong and what to do."""
    expected = code_heads()
    with reads_only(), engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == expected:
        return None
    wanted = ", ".join(sorted(expected))
    if not current:
        return (f"the database has no migration revision (empty, or not a Clearance Hub database); this code "
                f"needs revision {wanted}: run `{UPGRADE}`")
    found = ", ".join(sorted(current))
    return (f"the database is at migration revision {found} but this code needs revision {wanted}: run "
            f"`{UPGRADE}` (or deploy the code that matches the database)")
