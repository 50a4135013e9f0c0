"""Account actions: organizations, users, tokens, password resets and invitations."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from hub.accounts.models import (
    LOCALES,
    ORGANIZATION_KINDS,
    USER_ROLES,
    ApiToken,
    Organization,
    User,
    find_user_by_email,
    normalize_email,
)
from hub.audit import record_audit
from hub.database import flush_new
from hub.errors import N_, Conflict, NotFound, Text, ValidationFailed, one_of_reason, reason
from hub.extensions import db
from hub.payload import clean_text
from hub.reference_data import country_code, time_zone
from hub.signals import access_ended, password_reset_requested
from hub.timestamps import utcnow

MIN_PASSWORD_LENGTH = 10


def check_password_strength(password: str) -> str:
    """At least MIN_PASSWORD_LENGTH characters."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(Text(N_("must be at least %(minimum)s characters"), minimum=MIN_PASSWORD_LENGTH))
    if len(password) > 200:
        raise ValueError(N_("must be at most 200 characters"))
    return password


def check_email(value: Any) -> str:
    """A plausible email address, normalised (lower case)."""
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str):
        raise ValueError(N_("must be an email address"))
    try:
        result = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(reason(exc)) from None
    return result.normalized.lower()


def check_name(name: Any) -> str | None:
    """Why a person's or organization's name is refused (None when it is fine): 1 to 200
    characters on a single line (names reach email subjects and headers)."""
    if not isinstance(name, str) or not name or len(name) > 200:
        return N_("must be 1 to 200 characters")
    try:
        clean_text(name)
    except ValueError as exc:
        return reason(exc)
    return None


def create_organization(actor: User | None, name: str, kind: str, country: str, tz: str = "UTC") -> Organization:
    """Add an organization (caller commits)."""
    errors = {}
    if (why := check_name(name)) is not None:
        errors["name"] = why
    if kind not in ORGANIZATION_KINDS:
        errors["kind"] = one_of_reason(ORGANIZATION_KINDS)
    try:
        country = country_code(country)
    except ValueError as exc:
        errors["country"] = reason(exc)
    try:
        tz = time_zone(tz)
    except ValueError as exc:
        errors["time_zone"] = reason(exc)
    if errors:
        raise ValidationFailed(N_("The organization is invalid."), fields=errors)
    org = Organization(name=name, kind=kind, country=country, time_zone=tz)
    db.session.add(org)
    db.session.flush()
    record_audit(actor, "organization.create", "organization", org.id, {"name": name, "kind": kind})
    return org


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    organization_id: int,
    role: str,
    password: str | None,
    locale: str = "en",
    tz: str | None = None,
    active: bool = True,
) -> User:
    """Add a user (caller commits). A user without a password cannot sign in until they set one."""
    errors: dict[str, str] = {}
    try:
        email = check_email(email)
    except ValueError as exc:
        errors["email"] = reason(exc)
    if (why := check_name(name)) is not None:
        errors["name"] = why
    if role not in USER_ROLES:
        errors["role"] = one_of_reason(USER_ROLES)
    if locale not in LOCALES:
        errors["locale"] = one_of_reason(LOCALES)
    org = db.session.get(Organization, organization_id)
    if org is None:
        errors["organization_id"] = N_("no such organization")
    elif role in ("admin", "coordinator") and org.kind != "shipper":
        errors["role"] = N_("only a shipper's users can be admins or coordinators")
    if password is not None:
        try:
            check_password_strength(password)
        except ValueError as exc:
            errors["password"] = reason(exc)
    if tz is not None:
        try:
            time_zone(tz)
        except ValueError as exc:
            errors["time_zone"] = reason(exc)
    if errors:
        raise ValidationFailed(N_("The user is invalid."), fields=errors)
    if find_user_by_email(email) is not None:
        raise Conflict(N_("A user with this email already exists."), fields={"email": N_("already taken")})
    assert org is not None
    user = User(
        email=email,
        name=name,
        organization=org,
        role=role,
        locale=locale,
        time_zone=tz or org.time_zone,
        active=active,
    )
    if password is not None:
        user.set_password(password)
    flush_new(user, Conflict("A user with this email already exists.", fields={"email": N_("already taken")}))
    record_audit(actor, "user.create", "user", user.id, {"email": email, "role": role})
    return user


def authenticate(email: Any, password: Any) -> User | None:
    """The active user with these credentials, or None."""
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        # Spend the time a real check costs, so the answer's timing tells nobody whether the
        # address has an account.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made with the configured method, compared against when there is no account."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


def create_token(user: User, name: str = "", scope: str = "write",
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue an API token for `user` and commit; the secret is returned once."""
    from hub.accounts.security import issue_token

    token, secret = issue_token(user, name)
    token.scope, token.expires_at = scope, expires_at
    db.session.flush()
    record_audit(user, "token.create", "api_token", token.id,
                 {"name": name, "scope": scope, "expires_at": expires_at.isoformat() if expires_at else None})
    db.session.commit()
    return token, secret


def revoke_token(user: User, token_id: int) -> None:
    """Delete one of the user's tokens and commit."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(N_("Token not found."))
    db.session.delete(token)
    record_audit(user, "token.revoke", "api_token", token_id)
    access_ended.send(user, token_id=token_id, sessions=False, everything=False)
    db.session.commit()


def check_profile(body: dict[str, Any], user: User) -> dict[str, Any]:
    """Validate what a user may change of their profile (422 with `fields` otherwise): the one
    check of `PATCH /api/v1/me`, the profile page and the invitation page."""
    from hub.accounts.models import LOCALES
    from hub.accounts.working_hours import check_working_hours
    from hub.payload import check_fields, one_of, text
    from hub.reference_data import time_zone

    return check_fields(
        body,
        {"locale": one_of(LOCALES), "time_zone": time_zone, "name": text(200, 1),
         "working_hours": lambda value: check_working_hours(value, user)},
    )


def update_profile(user: User, values: dict[str, Any]) -> User:
    """Change the user's locale, time zone, name or working hours and commit."""
    for key in ("locale", "time_zone", "name"):
        if key in values:
            setattr(user, key, values[key])
    hours = values.get("working_hours", {})
    for key, column in (("start", "work_start"), ("end", "work_end"), ("days", "work_days")):
        if key in hours:
            setattr(user, column, hours[key])
    record_audit(user, "user.update", "user", user.id, {k: values[k] for k in values})
    db.session.commit()
    return user


# --- signed links -----------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # Bind links to the current password hash, so a link is single-use.
    return (user.password_hash or "none")[-16:]


def request_password_reset(email: str) -> None:
    """Email a reset link if the address belongs to an active user (commits; silent otherwise).

    Known and unknown addresses take one path, doing the same work: a link is signed, the
    email rendered, an audit row written and committed; only for an account is the email
    queued. (An early return for unknown addresses answered measurably faster: the accounts
    could be enumerated by timing.)"""
    user = find_user_by_email(email) if isinstance(email, str) else None
    eligible = user is not None and user.active and bool(user.password_hash)
    recipient = user if eligible and user is not None else _stand_in(email)
    token = _serializer("password-reset").dumps({"uid": recipient.id, "fp": _password_fingerprint(recipient)})
    link = current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.reset_password", token=token)
    password_reset_requested.send(recipient, link=link, hours=current_app.config["PASSWORD_RESET_MAX_AGE_S"] // 3600,
                                  stand_in=not eligible)
    if eligible:
        record_audit(recipient, "user.password_reset_requested", "user", recipient.id)
    else:
        # Not the address: it is no user's, and the log keeps no stranger's data.
        record_audit(None, "user.password_reset_unknown", "user", None)
    db.session.commit()


def _stand_in(email: Any) -> User:
    """A user that is never stored, standing in for an address without an account (or of one
    that cannot reset), so its request does the work a real one does."""
    address = normalize_email(email) if isinstance(email, str) else ""
    return User(id=0, email=address, name=address.split("@", 1)[0] or "user", locale="en", time_zone="UTC",
                password_hash=_dummy_hash(), active=False)


def user_for_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused reset link belongs to."""
    try:
        data = _serializer("password-reset").loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE_S"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != _password_fingerprint(user):
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """Set a new password and commit."""
    check_password_strength(password)
    user.set_password(password)
    # Whoever knew the old password is out: every session, remember-me cookie and browser socket.
    user.end_sessions()
    access_ended.send(user, token_id=None, sessions=True, everything=False)
    record_audit(user, "user.password_reset", "user", user.id)
    db.session.commit()


def change_password(user: User, current: str, password: str) -> None:
    """A signed-in user changes their password, proving the current one (ValueError with the
    reason otherwise). Every session and browser socket of theirs ends, on every server; the
    caller signs the current browser in again (commits)."""
    if not isinstance(current, str) or not user.check_password(current):
        raise ValueError(N_("current password does not match"))
    check_password_strength(password)
    user.set_password(password)
    user.end_sessions()
    access_ended.send(user, token_id=None, sessions=True, everything=False)
    record_audit(user, "user.password_change", "user", user.id)
    db.session.commit()


def sign_out(user: User) -> None:
    """End the user's sessions (this cookie, remember-me cookies, other browsers) and their
    browsers' sockets, on every server (commits). API tokens live on until revoked."""
    user.end_sessions()
    access_ended.send(user, token_id=None, sessions=True, everything=False)
    record_audit(user, "user.logout", "user", user.id)
    db.session.commit()


def invitation_link(user: User, shipment_id: int, landing: str | None = None) -> str:
    """A signed, expiring link where an invitee sets a password and lands on the shipment (or
    on `landing`, a path of the hub: their pending invitations)."""
    data: dict[str, Any] = {"uid": user.id, "sid": shipment_id}
    if landing is not None:
        data["to"] = landing
    token = _serializer("invitation").dumps(data)
    return current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.accept_invitation", token=token)


def invitation_for_token(token: str) -> tuple[User, int] | None:
    """(user, shipment id) of a valid invitation link not yet used (`invitation_landing` says
    where it leads afterwards when not to the shipment)."""
    try:
        data = _serializer("invitation").loads(token, max_age=current_app.config["INVITATION_MAX_AGE_S"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.password_hash:
        return None
    return user, int(data.get("sid"))


def invitation_landing(token: str) -> str | None:
    """The path a valid invitation link leads to once the password is chosen, when it names
    one (an invitation still to accept), else None (the shipment)."""
    try:
        data = _serializer("invitation").loads(token, max_age=current_app.config["INVITATION_MAX_AGE_S"])
    except (BadSignature, SignatureExpired):
        return None
    landing = data.get("to") if isinstance(data, dict) else None
    return landing if isinstance(landing, str) else None


def accept_invitation(user: User, name: str, password: str, settings: dict[str, Any] | None = None) -> None:
    """The invitee sets a name and password (and their language and time zone, checked by
    `check_profile`); the account becomes active (commits)."""
    check_password_strength(password)
    if name:
        if (why := check_name(name)) is not None:
            raise ValueError(Text(N_("Name %(why)s."), why=Text(why)))
        user.name = name
    user.set_password(password)
    for key, value in (settings or {}).items():
        setattr(user, key, value)
    user.active = True
    record_audit(user, "user.invitation_accepted", "user", user.id)
    db.session.commit()


def touch_login(user: User) -> None:
    """Audit a sign-in."""
    record_audit(user, "user.login", "user", user.id, {"at": utcnow().isoformat()})
    db.session.commit()


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Deactivate or reactivate a user and commit; nobody deactivates themselves (an admin
    could lock every admin out)."""
    from hub.errors import Forbidden

    if user.id == actor.id and not active:
        raise Forbidden(N_("You cannot deactivate your own account."))
    if user.password_hash is None and active:
        raise ValidationFailed(N_("This person has not accepted their invitation yet."),
                               fields={"active": N_("invitation not accepted")})
    user.active = active
    if not active:
        user.end_sessions()
        access_ended.send(user, token_id=None, sessions=True, everything=True)
    record_audit(actor, "user.activate" if active else "user.deactivate", "user", user.id)
    db.session.commit()
