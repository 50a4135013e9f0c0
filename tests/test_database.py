"""SQLite writers of several processes: one waits for another's write lock in short sleeps of
its own (gevent's, in a server), not in SQLite's busy handler, which would freeze a gevent
worker and every socket it serves; and gives up with the database's own error."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import hub.database
from tests.conftest import make_app


@pytest.fixture
def sqlite_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    busy_timeout = getattr(request, "param", 5.0)
    app = make_app(f"sqlite:///{tmp_path / 'locks.sqlite3'}", tmp_path, SQLITE_BUSY_TIMEOUT_S=busy_timeout)
    with app.app_context():
        from hub.extensions import db

        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE notes (body TEXT)"))
        yield app
        db.session.remove()
        db.engine.dispose()


def _other_process_writing(app: Flask) -> sqlite3.Connection:
    """A second connection holding the database's write lock, as another process would."""
    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes VALUES ('other')")
    return other


def test_a_writer_waits_for_another_writer_in_its_own_short_sleeps(sqlite_app, monkeypatch):
    from hub.extensions import db

    sleeps: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(hub.database.time, "sleep", lambda s: (sleeps.append(s), real_sleep(s)))
    other = _other_process_writing(sqlite_app)
    threading.Timer(0.3, other.commit).start()

    started = time.monotonic()
    db.session.execute(text("INSERT INTO notes VALUES ('ours')"))
    db.session.commit()
    waited = time.monotonic() - started

    assert waited >= 0.25 and len(sleeps) > 10 and max(sleeps) <= 0.005, (waited, len(sleeps))
    assert db.session.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars().all() == ["other", "ours"]
    # The busy timeout is the usual one again for the connection's other statements.
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5_000  # SQLITE_BUSY_TIMEOUT_S
    db.session.rollback()


@pytest.mark.parametrize("sqlite_app", [0.2], indirect=True)
def test_a_writer_gives_up_with_the_databases_error_and_writes_nothing(sqlite_app):
    from hub.extensions import db

    other = _other_process_writing(sqlite_app)
    with pytest.raises(OperationalError, match="locked"):
        db.session.execute(text("INSERT INTO notes VALUES ('ours')"))
    db.session.rollback()
    other.rollback()
    # Nothing of ours was written, and the process's next transaction goes through.
    db.session.execute(text("INSERT INTO notes VALUES ('later')"))
    db.session.commit()
    assert db.session.execute(text("SELECT body FROM notes")).scalars().all() == ["later"]
    db.session.rollback()
