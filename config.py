"""Configuration classes, read from environment variables.

`HUB_ENV` picks the class: `development` (default), `test` or `production`.
Every variable the hub reads is named here and in the README's table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; start-up stops."""


def _str(name: str, default: str | None = None) -> str | None:
    """The variable's value; `default` when it is unset or empty."""
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _float(name: str, default: float) -> float:
    raw = _str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = _str(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def normalize_database_url(url: str) -> str:
    """Serve `postgresql://` URLs with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings common to every environment."""

    ENV_NAME = "base"
    INBOUND_REQUIRE_AUTH_DEFAULT = False

    def __init__(self) -> None:
        self.SECRET_KEY: str | None = _str("SECRET_KEY")
        self.DATABASE_URL: str | None = _str("DATABASE_URL")
        # PostgreSQL connections kept open per server process. Under gevent every event in
        # flight holds one; a pool smaller than the peaks makes the extra ("overflow")
        # connections open and close all the time, a new PostgreSQL backend each.
        self.DATABASE_POOL_SIZE: int = _int("DATABASE_POOL_SIZE", 40)
        self.DATABASE_MAX_OVERFLOW: int = _int("DATABASE_MAX_OVERFLOW", 10)
        # `hub serve`: open connections (sockets, pages, API calls) its one gevent worker holds
        # at once; one more is refused until one closes. Each open socket is a file descriptor
        # too: `hub serve` raises its soft descriptor limit to fit (see the README).
        self.SERVE_WORKER_CONNECTIONS: int = _int("SERVE_WORKER_CONNECTIONS", 10_000)
        # SQLite: how long a writer waits for another process's write lock before answering
        # 503 `unavailable` (having written nothing).
        self.SQLITE_BUSY_TIMEOUT_S: float = _float("SQLITE_BUSY_TIMEOUT_S", 5.0)
        self.PUBLIC_BASE_URL: str = (_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/")
        self.SOCKETIO_MESSAGE_QUEUE: str | None = _str("SOCKETIO_MESSAGE_QUEUE")
        self.UPLOAD_DIR: str | None = _str("UPLOAD_DIR")
        self.MAX_UPLOAD_MB: int = _int("MAX_UPLOAD_MB", 25)
        # The app compresses its text answers (Brotli or gzip); turn off when a proxy in front
        # compresses them already (deploy/nginx.conf does, but keeping both costs little).
        self.COMPRESS_RESPONSES: bool = _bool("COMPRESS_RESPONSES", True)
        self.STORAGE_BACKEND: str = _str("STORAGE_BACKEND", "local") or "local"
        self.S3_BUCKET: str | None = _str("S3_BUCKET")
        self.S3_ENDPOINT_URL: str | None = _str("S3_ENDPOINT_URL")
        self.S3_REGION: str | None = _str("S3_REGION")
        self.SENDGRID_API_KEY: str | None = _str("SENDGRID_API_KEY")
        self.SENDGRID_API_HOST: str = _str("SENDGRID_API_HOST", "https://api.sendgrid.com") or ""
        self.SENDGRID_WEBHOOK_PUBLIC_KEY: str | None = _str("SENDGRID_WEBHOOK_PUBLIC_KEY")
        self.MAIL_FROM: str = _str("MAIL_FROM", "Clearance Hub <hub@clearance-hub.local>") or ""
        self.INBOUND_EMAIL_DOMAIN: str | None = _str("INBOUND_EMAIL_DOMAIN")
        self.INBOUND_WEBHOOK_SECRET: str | None = _str("INBOUND_WEBHOOK_SECRET")
        # Replies by email must prove their sender (SPF or DKIM pass); production turns it on.
        self.INBOUND_REQUIRE_AUTH: bool = _bool("INBOUND_REQUIRE_AUTH", self.INBOUND_REQUIRE_AUTH_DEFAULT)
        self.INBOUND_TOKEN_MAX_AGE_DAYS: int = _int("INBOUND_TOKEN_MAX_AGE_DAYS", 365)
        self.INBOUND_RATE_LIMIT: str = _str("INBOUND_RATE_LIMIT", "30 per hour") or "30 per hour"
        self.SESSION_COOKIE_SECURE: bool = _bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.MESSAGE_MAX_CHARS: int = _int("MESSAGE_MAX_CHARS", 10_000)
        self.MESSAGE_EDIT_WINDOW_S: int = _int("MESSAGE_EDIT_WINDOW_S", 15 * 60)
        self.DIGEST_DELAY_S: int = _int("DIGEST_DELAY_S", 600)
        # Risk flags: how close to the ETA missing documents become a risk, how often the
        # worker re-checks the time-based rules.
        self.RISK_DOCS_DAYS_BEFORE_ETA: int = _int("RISK_DOCS_DAYS_BEFORE_ETA", 5)
        self.RISK_CHECK_INTERVAL_S: int = _int("RISK_CHECK_INTERVAL_S", 300)
        # A partner holding the ball longer than this many of their working hours raises `no_response`.
        self.RISK_RESPONSE_HOURS: float = _float("RISK_RESPONSE_HOURS", 8.0)
        self.EMAIL_BACKOFF_BASE_S: float = _float("EMAIL_BACKOFF_BASE_S", 2.0)
        self.EMAIL_MAX_ATTEMPTS: int = _int("EMAIL_MAX_ATTEMPTS", 8)
        self.EMAIL_LEASE_S: int = _int("EMAIL_LEASE_S", 60)
        self.HUB_INLINE_WORKER: bool = _bool("HUB_INLINE_WORKER", False)
        self.EMAIL_POLL_S: float = _float("EMAIL_POLL_S", 2.0)
        self.EMAIL_BATCH_SIZE: int = _int("EMAIL_BATCH_SIZE", 20)
        self.EMAIL_SEND_TIMEOUT_S: float = _float("EMAIL_SEND_TIMEOUT_S", 10.0)
        self.PASSWORD_RESET_MAX_AGE_S: int = _int("PASSWORD_RESET_MAX_AGE_S", 3600)
        self.INVITATION_MAX_AGE_S: int = _int("INVITATION_MAX_AGE_S", 7 * 24 * 3600)
        self.RATELIMIT_ENABLED: bool = _bool("RATELIMIT_ENABLED", True)
        # memory:// counts per process; use the Redis URL when several processes serve.
        self.RATELIMIT_STORAGE_URI: str = _str("RATELIMIT_STORAGE_URI", "memory://") or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT: str = _str("LOGIN_RATE_LIMIT", "10 per minute") or "10 per minute"
        # Further limits (Flask-Limiter syntax, e.g. "600 per minute"; several joined by ";").
        self.RATELIMIT_LOGIN_ACCOUNT: str = _str("RATELIMIT_LOGIN_ACCOUNT", "20 per hour") or "20 per hour"
        self.RATELIMIT_PASSWORD_RESET: str = _str("RATELIMIT_PASSWORD_RESET", "5 per hour") or "5 per hour"
        self.RATELIMIT_INVITATIONS: str = _str("RATELIMIT_INVITATIONS", "100 per hour") or "100 per hour"
        self.RATELIMIT_TOKENS: str = _str("RATELIMIT_TOKENS", "20 per hour") or "20 per hour"
        self.RATELIMIT_MESSAGES: str = _str("RATELIMIT_MESSAGES", "600 per minute") or "600 per minute"
        self.RATELIMIT_UPLOADS: str = _str("RATELIMIT_UPLOADS", "120 per hour") or "120 per hour"
        # A socket sending more events a second than this is slowed, then disconnected after
        # this many refused events.
        self.SOCKET_EVENTS_PER_S: int = _int("SOCKET_EVENTS_PER_S", 50)
        self.SOCKET_FLOOD_DISCONNECT_AFTER: int = _int("SOCKET_FLOOD_DISCONNECT_AFTER", 200)
        # A socket's credential (session generation, token, active user) is read again at most
        # this often per user and process; an ended session's broadcast clears it at once.
        self.SOCKET_AUTH_RECHECK_S: float = _float("SOCKET_AUTH_RECHECK_S", 1.0)
        self.RATELIMIT_WEBHOOKS: str = _str("RATELIMIT_WEBHOOKS", "6000 per minute") or "6000 per minute"
        self.PASSWORD_HASH_METHOD: str = "scrypt"
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.WTF_CSRF_CHECK_DEFAULT = False  # checked in hub.accounts.security, so bearer requests are exempt
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.JSON_SORT_KEYS = False
        # Operations: logs, metrics, readiness.
        self.HUB_LOG_FORMAT: str = _str("HUB_LOG_FORMAT", "json") or "json"
        self.METRICS_ALLOWED_IPS: list[str] = [
            entry.strip() for entry in (_str("METRICS_ALLOWED_IPS", "127.0.0.1") or "").split(",") if entry.strip()
        ]
        self.METRICS_TOKEN: str | None = _str("METRICS_TOKEN")
        self.READYZ_OUTBOX_MAX_AGE_S: float = _float("READYZ_OUTBOX_MAX_AGE_S", 900.0)

    def finalize(self, instance_path: Path) -> None:
        """Fill defaults that depend on the instance folder and check required settings."""
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{instance_path / 'hub.sqlite3'}"
        if not self.UPLOAD_DIR:
            self.UPLOAD_DIR = str(instance_path / "uploads")
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(self.DATABASE_URL)
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # A connection PostgreSQL closed (a restart) is replaced at checkout instead of
            # failing the request that drew it: `hub.database.install_liveness_check`, which
            # pings only a suspect connection (SQLAlchemy's pool_pre_ping pings every checkout).
            self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": self.DATABASE_POOL_SIZE,
                                              "max_overflow": self.DATABASE_MAX_OVERFLOW}
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024
        if self.STORAGE_BACKEND not in ("local", "s3"):
            raise ConfigError(f"STORAGE_BACKEND must be 'local' or 's3', got {self.STORAGE_BACKEND!r}")
        if self.STORAGE_BACKEND == "s3" and not self.S3_BUCKET:
            raise ConfigError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        if self.HUB_LOG_FORMAT not in ("json", "text"):
            raise ConfigError(f"HUB_LOG_FORMAT must be 'json' or 'text', got {self.HUB_LOG_FORMAT!r}")
        if not self.PUBLIC_BASE_URL.startswith(("http://", "https://")):
            raise ConfigError(f"PUBLIC_BASE_URL must start with http:// or https://, got {self.PUBLIC_BASE_URL!r}")

    def as_dict(self) -> dict[str, Any]:
        """Every upper-case setting, for `app.config.update`."""
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(Config):
    """The embedded default: SQLite in the instance folder, a kept secret key, the local mailbox."""

    ENV_NAME = "development"

    def finalize(self, instance_path: Path) -> None:
        if not self.SECRET_KEY:
            key_file = instance_path / "secret_key"
            if not key_file.exists():
                instance_path.mkdir(parents=True, exist_ok=True)
                key_file.write_text(secrets.token_hex(32))
                key_file.chmod(0o600)
            self.SECRET_KEY = key_file.read_text().strip()
        super().finalize(instance_path)


class TestConfig(Config):
    """Used by the test suite; tests pass DATABASE_URL and folders explicitly."""

    ENV_NAME = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or "test-secret-key"
        # Off unless a test (or a test server's environment) turns the limits on.
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", False)
        # Cheap hashing keeps the suite fast; the algorithm is the same as production's.
        self.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


class ProductionConfig(Config):
    """Requires SECRET_KEY, DATABASE_URL and PUBLIC_BASE_URL."""

    ENV_NAME = "production"
    INBOUND_REQUIRE_AUTH_DEFAULT = True

    def finalize(self, instance_path: Path) -> None:
        missing = [
            name for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL") if not _str(name)
        ]
        if missing:
            raise ConfigError("production configuration is missing: " + ", ".join(missing))
        if len(self.SECRET_KEY or "") < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        super().finalize(instance_path)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(env_name: str | None = None) -> Config:
    """Build the configuration object for `HUB_ENV` (or `env_name`)."""
    name = env_name or os.environ.get("HUB_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"HUB_ENV must be one of {', '.join(CONFIGS)}, got {name!r}") from None
