"""The permission matrix: every route of the URL map against the typical people.

Rules and methods come from `app.url_map`, so a route added by any area is checked without
anyone remembering to list it. For each (rule, method) the test calls the route as:

- `anonymous`: API routes answer 401, pages redirect to /login (with `next`);
- `other_staff` (staff of another shipper) and `outsider` (a partner not on the shipment):
  404 on every route about `world.shipment`, reads and writes alike (never 403: existence
  does not leak);
- `staff` (coordinator of the owner), `agent` (a partner on the shipment) and `observer`
  (a read-only participant): never 401, never 404, never a 5xx; a write with an empty body
  may answer 4xx (400, 403, 409, 413, 415, 422) but the route is reachable.

Routes without a shipment only check that anonymous callers are turned away and signed-in
people are let in (no 401, no login redirect, no 5xx).

URL parameters: `shipment_id` is always `world.shipment`; every other parameter needs an
entry in OBJECT_FACTORIES (a function creating such an object in `world.shipment`, or for
the caller, and answering its id). A rule with a parameter nobody can fill FAILS, naming
the parameter, so a new route cannot slip through unchecked.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.routing import Rule

from hub.threads import SOCKET_PATH_ENDPOINT
from tests import factories
from tests.conftest import HubTestClient, World
from tests.documents import factories as documents_factories

# --- what is open to anyone -----------------------------------------------------------------

#: Endpoints open to anonymous callers by design (api-conventions: the OpenAPI document, the
#: token exchange, webhooks; pages: sign-in, password reset and invitation links, unsubscribe).
OPEN_ENDPOINTS: set[str] = {
    "static",
    "api_docs.openapi_json",
    "accounts_api.create_token_with_password",
    "accounts.login",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
    # Operations: probes for load balancers and orchestrators; /metrics checks the scraper's
    # address or bearer token itself (tests/operations).
    "operations.healthz",
    "operations.readyz",
    "operations.metrics",
}
#: Rules under these prefixes authenticate with their own signatures, secrets or signed links.
OPEN_PREFIXES: tuple[str, ...] = ("/webhooks/", "/unsubscribe/", "/email/unsubscribe/")

# --- filling URL parameters -------------------------------------------------------------------


def _participant_user(world: World) -> int:
    """A fresh partner put on world.shipment (so removing them is a real, allowed action)."""
    org = factories.org("forwarder", "NL")
    user = factories.user(org, "partner")
    factories.participant(world.shipment, user, "forwarder")
    return user.id


def _callers_token(world: World) -> int:
    """A token of the caller (revoking one's own token is allowed; anonymous: staff's)."""
    from hub.accounts.security import issue_token
    from hub.extensions import db

    owner = getattr(world, "caller", None) or world.staff
    row, _secret = issue_token(owner, "matrix")
    db.session.commit()
    return row.id


def _message(world: World) -> int:
    """A text message in world.shipment's thread, by the caller when they may post (so editing
    and deleting one's own message is exercised), else by the owner's coordinator."""
    from hub.shipment_tx import shipment_transaction
    from hub.threads.services import add_message

    caller = getattr(world, "caller", None)
    author = caller if caller in (world.staff, world.agent, world.broker) else world.staff
    with shipment_transaction(world.shipment.id) as locked:
        message = add_message(locked, author, "Matrix message", client_id=str(uuid.uuid4()))
    return message.id


def _outbox_email(world: World) -> int:
    """An email about world.shipment to its agent, as the outbox holds it (invitation-like)."""
    from hub.extensions import db
    from hub.notifications.models import OutboxEmail

    row = OutboxEmail(kind="invitation", to_email=world.agent.email, to_name=world.agent.name,
                      user_id=world.agent.id, shipment_id=world.shipment.id,
                      subject="About ACME-001", text_body="Secret link", html_body="<p>Secret link</p>")
    db.session.add(row)
    db.session.commit()
    return row.id


def _suppression(world: World) -> int:
    """A suppressed (bounced) address; not tied to a shipment (admins lift them)."""
    from hub.extensions import db
    from hub.notifications.models import SuppressedAddress

    row = SuppressedAddress(email=f"bounced-{uuid.uuid4().hex[:8]}@example.com", reason="bounce")
    db.session.add(row)
    db.session.commit()
    return row.id


#: URL parameter name -> a function creating such an object (in world.shipment, or for the
#: caller: `world.caller` is the user making the request, None when anonymous) and answering
#: the value for the URL. Areas add an entry for each parameter their routes introduce.
OBJECT_FACTORIES: dict[str, Callable[[World], Any]] = {
    "user_id": _participant_user,
    "token_id": _callers_token,
    "document_id": documents_factories.document,
    "override_id": documents_factories.rule_override,
    "message_id": _message,
    "email_id": _outbox_email,
    "suppression_id": _suppression,
    "code": lambda world: "CN",  # a seeded country profile
}

#: Parameters whose objects do not belong to world.shipment: routes using them (and no
#: shipment_id) are checked only for "anonymous out, signed-in people in". `user_id` under a
#: shipment is scoped by its shipment_id; alone (/admin/users/<user_id>) it is about people.
UNSCOPED_PARAMS: set[str] = {"token_id", "override_id", "suppression_id", "user_id", "code"}

PERSONAS = ("anonymous", "other_staff", "outsider", "observer", "agent", "staff")
DENIED = {"other_staff", "outsider"}
ALLOWED = {"staff", "agent", "observer"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _url_map_rules() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every route, from an app built only to read its URL map."""
    import os

    from hub import create_app

    tmp = Path(tempfile.mkdtemp(prefix="hub-matrix-"))
    previous = os.environ.get("HUB_INSTANCE_PATH")
    os.environ["HUB_INSTANCE_PATH"] = str(tmp / "instance")
    try:
        app = create_app({"HUB_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp / 'map.sqlite3'}"})
    finally:
        if previous is None:
            os.environ.pop("HUB_INSTANCE_PATH", None)
        else:
            os.environ["HUB_INSTANCE_PATH"] = previous
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == SOCKET_PATH_ENDPOINT:
            continue  # answered by the Socket.IO middleware; its connect refusals: tests/threads
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, rule.endpoint))
    return sorted(found)


ROUTES = _url_map_rules()


def is_open(rule: str, endpoint: str) -> bool:
    """Whether the rule is open to anonymous callers by design."""
    return endpoint in OPEN_ENDPOINTS or rule.startswith(OPEN_PREFIXES)


def is_api(rule: str) -> bool:
    return rule.startswith("/api/")


def _rule_object(app: Flask, rule: str, method: str) -> Rule:
    for candidate in app.url_map.iter_rules():
        if candidate.rule == rule and method in (candidate.methods or set()):
            return candidate
    raise AssertionError(f"{method} {rule} is no longer in the URL map")


def unfillable(arguments: set[str]) -> list[str]:
    """Parameters of a rule that neither shipment_id nor OBJECT_FACTORIES can fill."""
    return sorted(a for a in arguments if a != "shipment_id" and a not in OBJECT_FACTORIES)


def is_shipment_scoped(arguments: set[str]) -> bool:
    """Routes about world.shipment: a shipment_id, or an object that lives in the shipment."""
    return "shipment_id" in arguments or any(a not in UNSCOPED_PARAMS for a in arguments)


def _url(rule: Rule, world: World) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        values[name] = world.shipment.id if name == "shipment_id" else OBJECT_FACTORIES[name](world)
    return rule.build(values, append_unknown=False)[1]


# --- the checks -------------------------------------------------------------------------------


def test_every_route_can_be_filled_or_is_open():
    """One failure naming every rule whose parameters nobody knows how to fill."""
    missing = []
    for rule, method, endpoint in ROUTES:
        if is_open(rule, endpoint):
            continue
        params = set(re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule))
        gaps = unfillable(params)
        if gaps:
            missing.append(f"{method} {rule}: add OBJECT_FACTORIES[{', '.join(map(repr, gaps))}]")
    assert not missing, (
        "routes the permission matrix cannot call (add a factory in tests/test_permission_matrix.py):\n  "
        + "\n  ".join(missing)
    )


def test_the_matrix_covers_the_foundation_routes():
    """Guards the enumeration itself: the known routes are in it, static and open ones are not."""
    checked = {(rule, method) for rule, method, endpoint in ROUTES if not is_open(rule, endpoint)}
    for expected in [
        ("/api/v1/shipments", "GET"),
        ("/api/v1/shipments", "POST"),
        ("/api/v1/shipments/<int:shipment_id>", "PATCH"),
        ("/api/v1/shipments/<int:shipment_id>/participants/<int:user_id>", "DELETE"),
        ("/shipments/<int:shipment_id>", "GET"),
        ("/shipments", "GET"),
        ("/api/v1/me", "GET"),
    ]:
        assert expected in checked
    assert not any(rule.startswith("/static") for rule, _m in checked)
    assert ("/api/v1/openapi.json", "GET") not in checked


class Caller:
    """One persona's client: bearer token for the API, a signed-in session for pages."""

    def __init__(self, app: Flask, world: World, persona: str, api: bool) -> None:
        self.persona = persona
        self.user = None if persona == "anonymous" else getattr(world, persona)
        self.client = HubTestClient(app, app.response_class, use_cookies=True)
        self.headers = world.headers(persona)
        # API calls carry only the bearer token; pages get a session (signed in unless anonymous).
        self.csrf = None if api else factories.session_for(self.client, self.user)

    def call(self, method: str, url: str, api: bool) -> Any:
        if api:
            # Bearer for signed-in people; anonymous API callers send nothing at all.
            kwargs: dict[str, Any] = {"headers": self.headers}
            if method not in SAFE_METHODS:
                kwargs["json"] = {}
            return self.client.open(url, method=method, **kwargs)
        if method in SAFE_METHODS:
            return self.client.open(url, method=method)
        return self.client.open(url, method=method, data={"csrf_token": self.csrf})


def _describe(persona: str, method: str, url: str, response: Any) -> str:
    location = response.headers.get("Location", "")
    body = response.get_data(as_text=True)[:300].replace("\n", " ")
    return f"{persona} {method} {url} -> {response.status_code} {location} {body}"


def _is_login_redirect(response: Any, with_next: bool = True) -> bool:
    """A redirect to the sign-in page; Flask-Login's carries `next` (logout's does not)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    target = urlsplit(response.headers.get("Location", ""))
    return target.path.endswith("/login") and (not with_next or "next=" in target.query)


MATRIX = [(rule, method, endpoint) for rule, method, endpoint in ROUTES if not is_open(rule, endpoint)]


@pytest.mark.parametrize(("rule", "method", "endpoint"), MATRIX, ids=[f"{m} {r}" for r, m, _e in MATRIX])
def test_permission_matrix(app, world, rule: str, method: str, endpoint: str):
    rule_obj = _rule_object(app, rule, method)
    gaps = unfillable(set(rule_obj.arguments))
    if gaps:
        pytest.fail(
            f"{method} {rule}: no way to fill {gaps}; add OBJECT_FACTORIES entries in tests/test_permission_matrix.py",
            pytrace=False,
        )
    api = is_api(rule)
    scoped = is_shipment_scoped(set(rule_obj.arguments))
    problems = []
    for persona in PERSONAS:
        caller = Caller(app, world, persona, api)
        world.caller = caller.user  # type: ignore[attr-defined]  (read by caller-bound factories)
        url = _url(rule_obj, world)
        response = caller.call(method, url, api)
        status = response.status_code
        seen = _describe(persona, method, url, response)
        if status >= 500:
            problems.append(f"server error: {seen}")
        elif persona == "anonymous":
            if api and status != 401:
                problems.append(f"anonymous API call not 401: {seen}")
            elif api and (response.json or {}).get("error", {}).get("code") != "unauthorized":
                problems.append(f"401 without the unauthorized error object: {seen}")
            elif not api and not _is_login_redirect(response, with_next=rule != "/"):
                problems.append(f"anonymous page not sent to /login: {seen}")
        elif scoped and persona in DENIED:
            if status != 404:
                problems.append(f"someone who cannot see the shipment did not get 404: {seen}")
            elif api and (response.json or {}).get("error", {}).get("code") != "not_found":
                problems.append(f"404 without the not_found error object: {seen}")
        else:
            if status in (401, 404) or _is_login_redirect(response):
                problems.append(f"allowed person turned away: {seen}")
            if scoped and persona == "staff" and method in SAFE_METHODS and status >= 400:
                problems.append(f"the owner's staff cannot read: {seen}")
    assert not problems, "\n".join(problems)

