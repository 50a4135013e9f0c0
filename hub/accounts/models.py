"""Organizations, users and API tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from hub.extensions import db
from hub.models_base import IntPK, OfUser, OptionalTimestamp, Timestamp, api_fields

if TYPE_CHECKING:
    from hub.shipments.models import ShipmentParticipant

ORGANIZATION_KINDS = ("shipper", "customs_agent", "broker", "forwarder", "carrier")
USER_ROLES = ("admin", "coordinator", "partner")
STAFF_ROLES = frozenset({"admin", "coordinator"})
LOCALES = ("en", "es", "zh_Hans")
#: "write": everything the user may do; "read": reads only (GET, socket join and leave).
TOKEN_SCOPES = ("read", "write")


class Organization(db.Model):
    """A company: the shipper that owns shipments, or a partner (agent, broker, forwarder, carrier)."""

    __tablename__ = "organizations"

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[Timestamp]

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def to_dict(self) -> dict[str, object]:
        """The organization as the API shows it."""
        return api_fields(self, "id", "name", "kind", "country", "time_zone")


class User(UserMixin, db.Model):
    """A person who signs in: staff of the shipper or an external partner."""

    __tablename__ = "users"

    id: Mapped[IntPK]
    # Stored lower-cased, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Working hours in the user's own time zone; days None: the working weekdays of their country.
    work_start: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    work_end: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    work_days: Mapped[list[str] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]
    # Part of every session and remember-me cookie (`get_id`): bumping it ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

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

    def get_id(self) -> str:
        """What sessions and remember-me cookies keep: the id and the session generation, so
        a logout, password change or deactivation (which bump it) ends every earlier one."""
        return f"{self.id}:{self.session_generation or 0}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of the user (caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

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
        return user_summary(self.id, self.name, self.organization.name)

    def to_dict(self) -> dict[str, object]:
        """The user as `GET /api/v1/me` shows it."""
        return {
            **api_fields(self, "id", "email", "name", "role", "locale", "time_zone", "active"),
            "working_hours": self.working_hours(),
            "organization": self.organization.to_dict(),
        }

    def working_hours(self) -> dict[str, object]:
        """`{"start", "end", "days", "days_from_country"}`: the days default to their country's."""
        from hub.accounts.working_hours import working_hours_dict  # the rules of hours, beside the model

        return working_hours_dict(self)


class ApiToken(db.Model):
    """An API token; only the SHA-256 digest of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[IntPK]
    user_id: Mapped[OfUser] = mapped_column(index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[Timestamp]
    last_used_at: Mapped[OptionalTimestamp]
    #: "write" (everything the user may do) or "read" (GET and HEAD only, no socket writes).
    scope: Mapped[str] = mapped_column(String(10), default="write", server_default="write")
    expires_at: Mapped[OptionalTimestamp]

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def digest_of(secret: str) -> str:
        """Hex SHA-256 of a token secret."""
        return hashlib.sha256(secret.encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        """The token's metadata (never the secret)."""
        return api_fields(self, "id", "name", "created_at", "last_used_at", "scope", "expires_at")

    def expired(self, now: datetime) -> bool:
        """Whether the token's optional expiry has passed."""
        return self.expires_at is not None and self.expires_at <= now


def normalize_email(value: str) -> str:
    """Emails compare case-insensitively: keep them stripped and lower-cased."""
    return value.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(db.select(User).where(func.lower(User.email) == normalize_email(email)))


def user_summary(user_id: int, name: str, organization_name: str) -> dict[str, object]:
    """A user as embedded in messages and lists: `{"id", "name", "organization"}`."""
    return {"id": user_id, "name": name, "organization": organization_name}


@dataclass(frozen=True)
class SignedInUser:
    """What a socket event needs of its user, read afresh for each event in one query
    (`signed_in_user`) rather than as a `User` with its organization: the permission rules and
    the thread accept either."""

    id: int
    name: str
    role: str
    organization_id: int
    organization_name: str
    active: bool

    is_authenticated = True

    @property
    def is_active(self) -> bool:
        """Deactivated users are refused."""
        return self.active

    @property
    def is_staff(self) -> bool:
        """Admins and coordinators of their organization."""
        return self.role in STAFF_ROLES

    def summary(self) -> dict[str, object]:
        """As `User.summary`."""
        return user_summary(self.id, self.name, self.organization_name)


_users = User.__table__
_organizations = Organization.__table__
#: The columns a SignedInUser is made of, named as its fields (also read by
#: `hub.permissions.signed_in_user_authorized_on`).
SIGNED_IN_USER_COLUMNS = (_users.c.id, _users.c.name, _users.c.role, _users.c.organization_id,
                          _organizations.c.name.label("organization_name"), _users.c.active)
_SIGNED_IN_USER = (
    select(*SIGNED_IN_USER_COLUMNS)
    .select_from(_users.join(_organizations, _organizations.c.id == _users.c.organization_id))
    .where(_users.c.id == bindparam("b_user"))
)


#: Whom the permission rules and the thread accept: a loaded `User` or a `SignedInUser`.
Principal = User | SignedInUser


def signed_in_user(user_id: int) -> SignedInUser | None:
    """The user with this id as it is now in the database, or None."""
    row = db.session.execute(_SIGNED_IN_USER, {"b_user": user_id}).first()
    return SignedInUser(**row._mapping) if row is not None else None
