"""Organizations, users and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db
from hub.timestamps import UTCDateTime, utcnow

if TYPE_CHECKING:
    from hub.shipments.models import ShipmentParticipant

ORGANIZATION_KINDS = ("shipper", "customs_agent", "broker", "forwarder", "carrier")
USER_ROLES = ("admin", "coordinator", "partner")
STAFF_ROLES = frozenset({"admin", "coordinator"})
LOCALES = ("en", "es", "zh_Hans")


class Organization(db.Model):
    """A company: the shipper that owns shipments, or a partner (agent, broker, forwarder, carrier)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def to_dict(self) -> dict[str, object]:
        """The organization as the API shows it."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "country": self.country,
            "time_zone": self.time_zone,
        }


class User(UserMixin, db.Model):
    """A person who signs in: staff of the shipper or an external partner."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")
    participations: Mapped[list[ShipmentParticipant]] = relationship(
        back_populates="user", foreign_keys="ShipmentParticipant.user_id"
    )

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_staff(self) -> bool:
        """Admins and coordinators of their organization."""
        return self.role in STAFF_ROLES

    def set_password(self, password: str) -> None:
        """Hash and keep a new password (Werkzeug's scrypt)."""
        from flask import current_app

        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        """Whether `password` matches; never true for a user without one (a pending invitee)."""
        return bool(self.password_hash) and check_password_hash(self.password_hash or "", password)

    def summary(self) -> dict[str, object]:
        """`{"id", "name", "organization"}` as embedded in messages and lists."""
        return {"id": self.id, "name": self.name, "organization": self.organization.name}

    def to_dict(self) -> dict[str, object]:
        """The user as `GET /api/v1/me` shows it."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "locale": self.locale,
            "time_zone": self.time_zone,
            "active": self.active,
            "organization": self.organization.to_dict(),
        }


class ApiToken(db.Model):
    """An API token; only the SHA-256 digest of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def digest_of(secret: str) -> str:
        """Hex SHA-256 of a token secret."""
        return hashlib.sha256(secret.encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        """The token's metadata (never the secret)."""
        from hub.timestamps import to_iso

        return {
            "id": self.id,
            "name": self.name,
            "created_at": to_iso(self.created_at),
            "last_used_at": to_iso(self.last_used_at),
        }


def normalize_email(value: str) -> str:
    """Emails compare case-insensitively: keep them stripped and lower-cased."""
    return value.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(db.select(User).where(func.lower(User.email) == normalize_email(email)))
