"""Reaching the real PostgreSQL, Redis and Chromium the tests need.

Without `HUB_REQUIRE_SERVICES=1` (a newcomer's laptop) a missing service skips the test
with a one-line reason; with it (CI) the test fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REQUIRED = os.environ.get("HUB_REQUIRE_SERVICES") == "1"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")


def unavailable(reason: str) -> None:
    """Fail under HUB_REQUIRE_SERVICES=1, else skip, with `reason`."""
    if REQUIRED:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_admin_url() -> str:
    """The server URL from HUB_TEST_POSTGRES_URL (or the local default)."""
    return os.environ.get("HUB_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def redis_url() -> str:
    """HUB_TEST_REDIS_URL, checked reachable (else skip/fail)."""
    return reachable_redis(os.environ.get("HUB_TEST_REDIS_URL") or DEFAULT_REDIS_URL)


def reachable_redis(url: str) -> str:
    """`url`, once the Redis there answers a ping (else skip/fail)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis at {url} is not reachable ({exc.__class__.__name__})")
    return url


def chromium_path() -> str:
    """Debian's Chromium (else skip/fail)."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium") or CHROMIUM


@contextmanager
def fresh_postgres_database(prefix: str = "hub_test") -> Iterator[str]:
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = postgres_admin_url()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL at {admin} is not reachable ({exc.__class__.__name__}: {exc})".splitlines()[0])
    url = make_url(admin.replace("postgresql+psycopg://", "postgresql://")).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
