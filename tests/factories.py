"""Small builders of test data through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from hub.accounts.models import Organization, User
from hub.accounts.security import issue_token
from hub.accounts.services import create_organization, create_user
from hub.extensions import db
from hub.shipments.models import Shipment, ShipmentParticipant

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def org(kind: str = "shipper", country: str = "US", name: str | None = None, tz: str = "UTC") -> Organization:
    """A committed organization."""
    o = create_organization(None, name or f"{kind.title()} {next(_counter)}", kind, country, tz)
    db.session.commit()
    return o


def user(organization: Organization, role: str = "coordinator", email: str | None = None, name: str | None = None,
         locale: str = "en", tz: str | None = None) -> User:
    """A committed, active user with the factory password."""
    n = next(_counter)
    u = create_user(
        None, email=email or f"user{n}@example.com", name=name or f"User {n}",
        organization_id=organization.id, role=role, password=PASSWORD, locale=locale, tz=tz,
    )
    db.session.commit()
    return u


def token(u: User) -> str:
    """A bearer token secret for `u`."""
    _row, secret = issue_token(u)
    db.session.commit()
    return secret


def shipment(owner: User, reference: str | None = None, **fields: Any) -> Shipment:
    """A committed shipment owned by `owner`'s organization, with `owner` as coordinator."""
    values = {
        "reference": reference or f"REF-{next(_counter)}",
        "origin_country": "CN",
        "destination_country": "DE",
        "transport_mode": "sea",
    } | fields
    s = Shipment(owner_org_id=owner.organization_id, created_by_id=owner.id, **values)
    s.participants.append(ShipmentParticipant(user=owner, role="coordinator", added_by_id=owner.id))
    db.session.add(s)
    db.session.commit()
    return s


def participant(s: Shipment, u: User, role: str) -> ShipmentParticipant:
    """Put `u` on shipment `s` with `role`."""
    p = ShipmentParticipant(shipment=s, user=u, role=role)
    db.session.add(p)
    db.session.commit()
    return p


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}"}


def csrf_token_from(html: str) -> str:
    """The CSRF token of a page (its `<meta name="csrf-token">`)."""
    import re

    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


def page_csrf_token(client: Any, path: str = "/login") -> str:
    """Fetch `path` with `client` and answer the CSRF token of its session."""
    return csrf_token_from(client.get(path).get_data(as_text=True))


def login(client: Any, u: User, password: str = PASSWORD) -> str:
    """Sign `u` in through the login form; answers a CSRF token valid for the session."""
    response = client.post(
        "/login", data={"email": u.email, "password": password, "csrf_token": page_csrf_token(client)}
    )
    assert response.status_code == 302, f"login of {u.email} failed: {response.status_code}"
    return page_csrf_token(client, "/shipments")


def session_for(client: Any, u: User | None) -> str:
    """Give `client` a session signed in as `u` (anonymous for None) without the login form;
    answers the CSRF token of that session. Faster than `login` where the form is not the point."""
    import secrets

    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw  # what Flask-WTF keeps in the session
        if u is not None:
            session["_user_id"] = u.get_id()  # what Flask-Login keeps in the session
            session["_fresh"] = True
    return URLSafeTimedSerializer(current_app.secret_key, salt="wtf-csrf-token").dumps(raw)
