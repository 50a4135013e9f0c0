"""Configuration from environment variables: defaults, and start-up refused with the name of
what is missing or malformed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "s" * 32,
    "DATABASE_URL": "postgresql://hub@db.internal/hub",
    "PUBLIC_BASE_URL": "https://hub.example.com",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No hub setting from the surrounding environment leaks into the test."""
    from config import Config

    names = set(Config().as_dict()) | {"HUB_ENV"}
    for name in names:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def finalized(env_name: str, tmp_path: Path):
    config = load_config(env_name)
    config.finalize(tmp_path)
    return config


def test_production_refuses_to_start_naming_every_missing_setting(clean_env, tmp_path):
    with pytest.raises(ConfigError) as error:
        finalized("production", tmp_path)
    message = str(error.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"):
        assert name in message


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_names_the_one_missing_setting(clean_env, tmp_path, missing):
    for name, value in PRODUCTION.items():
        if name != missing:
            clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        finalized("production", tmp_path)
    assert missing in str(error.value)
    assert all(other not in str(error.value) for other in PRODUCTION if other != missing)


def test_production_starts_with_the_three_settings(clean_env, tmp_path):
    for name, value in PRODUCTION.items():
        clean_env.setenv(name, value)
    config = finalized("production", tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://hub@db.internal/hub"
    assert config.PUBLIC_BASE_URL == "https://hub.example.com"


def test_production_refuses_a_short_secret_key(clean_env, tmp_path):
    for name, value in PRODUCTION.items():
        clean_env.setenv(name, value)
    clean_env.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        finalized("production", tmp_path)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_UPLOAD_MB", "lots"),
        ("MAX_UPLOAD_MB", "-1"),
        ("MESSAGE_MAX_CHARS", "1e4"),
        ("DIGEST_DELAY_S", "ten"),
        ("PASSWORD_RESET_MAX_AGE_S", "1h"),
        ("SESSION_COOKIE_SECURE", "maybe"),
        ("EMAIL_BACKOFF_BASE_S", "fast"),
    ],
)
def test_a_malformed_setting_is_named(clean_env, tmp_path, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        finalized("development", tmp_path)
    assert name in str(error.value) and repr(value) in str(error.value)


def test_public_base_url_must_be_http(clean_env, tmp_path):
    clean_env.setenv("PUBLIC_BASE_URL", "hub.example.com")
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        finalized("development", tmp_path)


def test_unknown_hub_env_is_named(clean_env):
    with pytest.raises(ConfigError, match="HUB_ENV"):
        load_config("staging")


def test_development_defaults(clean_env, tmp_path):
    config = finalized("development", tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    assert config.UPLOAD_DIR == str(tmp_path / "uploads")
    assert config.MAX_UPLOAD_MB == 25
    assert config.MAX_CONTENT_LENGTH == 25 * 1024 * 1024 + 64 * 1024
    assert config.SESSION_COOKIE_HTTPONLY and config.SESSION_COOKIE_SAMESITE == "Lax"
    assert not config.SESSION_COOKIE_SECURE
    # The generated secret key is kept in the instance folder, so sessions survive restarts.
    assert len(config.SECRET_KEY) >= 32
    assert finalized("development", tmp_path).SECRET_KEY == config.SECRET_KEY
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_settings_are_read_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("MAX_UPLOAD_MB", "7")
    clean_env.setenv("SESSION_COOKIE_SECURE", "true")
    clean_env.setenv("SOCKETIO_MESSAGE_QUEUE", "redis://127.0.0.1:6379/3")
    config = finalized("development", tmp_path)
    assert config.MAX_UPLOAD_MB == 7 and config.MAX_CONTENT_LENGTH == 7 * 1024 * 1024 + 64 * 1024
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    assert config.SOCKETIO_MESSAGE_QUEUE == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(url, expected):
    assert normalize_database_url(url) == expected


def test_the_cli_refuses_to_start_in_production_naming_the_missing_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HUB_ENV": "production",
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "s" * 32,
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "create-org", "--name", "X", "--kind", "shipper",
         "--country", "DE"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "PUBLIC_BASE_URL" in result.stderr
    assert "SECRET_KEY" not in result.stderr.split("missing:")[-1]
    assert os.environ.get("HUB_ENV") != "production"  # the test process is untouched


def test_the_postgresql_pool_holds_a_gevent_servers_peaks_and_is_configurable(clean_env, tmp_path):
    from hub import create_app
    from hub.extensions import db

    clean_env.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("DATABASE_URL", "postgresql://hub@127.0.0.1:1/none")  # never connected to
    clean_env.setenv("DATABASE_MAX_OVERFLOW", "3")
    app = create_app()
    with app.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (40, 3)
        db.engine.dispose()
    clean_env.setenv("DATABASE_POOL_SIZE", "7")
    # (A closed connection is caught at checkout by hub.database.install_liveness_check, not by
    # pool_pre_ping's round trip per checkout.)
    assert finalized("development", tmp_path).SQLALCHEMY_ENGINE_OPTIONS == {"pool_size": 7, "max_overflow": 3}
    # SQLite keeps SQLAlchemy's own pool: its statements never yield to other greenlets, so few
    # connections are out at once.
    clean_env.delenv("DATABASE_URL")
    assert not hasattr(finalized("development", tmp_path), "SQLALCHEMY_ENGINE_OPTIONS")
