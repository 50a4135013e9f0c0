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
    # The JavaScript's message catalogue of a language (the sign-in page needs it too).
    "i18n_catalogue",
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
    """An email about world.shipment addressed to the caller (the agent when anonymous): only
    its recipient (while they see the shipment) and the owner's admins read it."""
    from hub.extensions import db
    from hub.notifications.models import OutboxEmail

    to = getattr(world, "caller", None) or world.agent
    row = OutboxEmail(kind="mention", to_email=to.email, to_name=to.name,
                      user_id=to.id, shipment_id=world.shipment.id,
                      subject="About ACME-001", text_body="Secret", html_body="<p>Secret</p>")
    db.session.add(row)
    db.session.commit()
    return row.id


def _suppression(world: World) -> int:
    """A suppressed (bounced) address of a partner on world.shipment (its owner's admins lift it)."""
    from hub.extensions import db
    from hub.notifications.models import SuppressedAddress

    org = factories.org("carrier", "PA")
    person = factories.user(org, "partner", f"bounced-{uuid.uuid4().hex[:8]}@example.com")
    factories.participant(world.shipment, person, "observer")
    row = SuppressedAddress(email=person.email, reason="bounce")
    db.session.add(row)
    db.session.commit()
    return row.id


def _invitation(world: World) -> int:
    """A pending invitation of the caller (a staff member when anonymous) onto a shipment of a
    shipper they never worked with (only its invitee answers it)."""
    from hub.extensions import db
    from hub.shipments.models import ShipmentInvitation

    invitee = getattr(world, "caller", None) or world.staff
    stranger = factories.user(factories.org("shipper", "FR"), "coordinator")
    row = ShipmentInvitation(shipment_id=factories.shipment(stranger).id, user_id=invitee.id, role="observer",
                             nonce=uuid.uuid4().hex, invited_by_id=stranger.id)
    db.session.add(row)
    db.session.commit()
    return row.id


def _risk_flag(world: World) -> int:
    """An open policy-change flag on world.shipment, owned by its coordinator."""
    from hub.risks.services import open_flag
    from hub.shipment_tx import shipment_transaction

    with shipment_transaction(world.shipment.id) as locked:
        flag = open_flag(locked, "policy_change", "low", detail="Matrix flag", note="Matrix flag")
    return flag.id


#: URL parameter name -> a function creating such an object (in world.shipment, or for the
#: caller: `world.caller` is the user making the request, None when anonymous) and answering
#: the value for the URL. Areas add an entry for each parameter their routes introduce.
OBJECT_FACTORIES: dict[str, Callable[[World], Any]] = {
    "user_id": _participant_user,
    "token_id": _callers_token,
    "locale": lambda world: "es",
    "document_id": documents_factories.document,
    "override_id": documents_factories.rule_override,
    "message_id": _message,
    "email_id": _outbox_email,
    "suppression_id": _suppression,
    "code": lambda world: "CN",  # a seeded country profile
    "invitation_id": _invitation,
    "flag_id": _risk_flag,
}

#: Parameters whose objects do not belong to world.shipment: routes using them (and no
#: shipment_id) are checked only for "anonymous out, signed-in people in". `user_id` under a
#: shipment is scoped by its shipment_id; alone (/admin/users/<user_id>) it is about people.
UNSCOPED_PARAMS: set[str] = {"locale", "token_id", "override_id", "suppression_id", "user_id", "code",
                             "invitation_id"}

PERSONAS = ("anonymous", "deactivated", "revoked", "other_staff", "outsider", "observer", "agent", "staff")
#: Whose credentials no longer count: a deactivated user (a partner on the shipment, with a
#: token and a session from before), and a revoked token or an ended session of the agent.
ENDED = {"deactivated", "revoked"}
DENIED = {"other_staff", "outsider"}
ALLOWED = {"staff", "agent", "observer"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


#: One row per (method, rule) of the URL map: who the route is for.
#: "open" (anyone, by design), "shipment" (about one shipment: hidden is 404), "anyone" (every
#: signed-in person, about themselves), "staff" (admins and coordinators), "admin" (admins).
#: A route added without a row fails `test_every_route_has_a_row`.
ROWS: dict[tuple[str, str], str] = {
    ("GET", "/"): "anyone",
    ("GET", "/admin/"): "admin",
    ("GET", "/admin/document-rules"): "admin",
    ("POST", "/admin/document-rules"): "admin",
    ("POST", "/admin/document-rules/<int:override_id>/delete"): "admin",
    ("GET", "/admin/email-suppressions"): "admin",
    ("POST", "/admin/email-suppressions/<int:suppression_id>/lift"): "admin",
    ("POST", "/admin/users"): "admin",
    ("POST", "/admin/users/<int:user_id>/active"): "admin",
    ("GET", "/api/v1/admin/email-suppressions"): "admin",
    ("DELETE", "/api/v1/admin/email-suppressions/<int:suppression_id>"): "admin",
    ("POST", "/api/v1/auth/token"): "open",
    ("DELETE", "/api/v1/auth/tokens"): "anyone",
    ("GET", "/api/v1/auth/tokens"): "anyone",
    ("POST", "/api/v1/auth/tokens"): "anyone",
    ("DELETE", "/api/v1/auth/tokens/<int:token_id>"): "anyone",
    ("DELETE", "/api/v1/documents/<int:document_id>"): "shipment",
    ("GET", "/api/v1/documents/<int:document_id>"): "shipment",
    ("GET", "/api/v1/documents/<int:document_id>/download"): "shipment",
    ("POST", "/api/v1/documents/<int:document_id>/review"): "shipment",
    ("POST", "/api/v1/documents/<int:document_id>/versions"): "shipment",
    ("GET", "/api/v1/me"): "anyone",
    ("PATCH", "/api/v1/me"): "anyone",
    ("GET", "/api/v1/me/notifications"): "anyone",
    ("PUT", "/api/v1/me/notifications"): "anyone",
    ("DELETE", "/api/v1/messages/<int:message_id>"): "shipment",
    ("PATCH", "/api/v1/messages/<int:message_id>"): "shipment",
    ("GET", "/api/v1/openapi.json"): "open",
    ("GET", "/api/v1/shipments"): "anyone",
    ("POST", "/api/v1/shipments"): "staff",
    ("GET", "/api/v1/shipments/<int:shipment_id>"): "shipment",
    ("PATCH", "/api/v1/shipments/<int:shipment_id>"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/checklist"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/document-requests"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/document-requests"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/documents"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/documents"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/messages"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/messages"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/milestones"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/milestones"): "shipment",
    ("GET", "/api/v1/shipments/<int:shipment_id>/participants"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/participants"): "shipment",
    ("DELETE", "/api/v1/shipments/<int:shipment_id>/participants/<int:user_id>"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/read"): "shipment",
    ("GET", "/dashboard"): "staff",
    ("GET", "/dashboard/export.csv"): "staff",
    ("GET", "/dev/mailbox"): "anyone",
    ("GET", "/dev/mailbox/<int:email_id>"): "shipment",
    ("GET", "/dev/mailbox/<int:email_id>/html"): "shipment",
    ("GET", "/documents/<int:document_id>/preview"): "shipment",
    ("POST", "/documents/<int:document_id>/review"): "shipment",
    ("POST", "/documents/<int:document_id>/versions"): "shipment",
    ("POST", "/documents/<int:document_id>/withdraw"): "shipment",
    ("GET", "/invitations/<token>"): "open",
    ("POST", "/invitations/<token>"): "open",
    ("GET", "/login"): "open",
    ("GET", "/i18n/<locale>.js"): "open",
    ("GET", "/me"): "anyone",
    ("POST", "/me"): "anyone",
    ("POST", "/me/password"): "anyone",
    ("POST", "/me/tokens"): "anyone",
    ("POST", "/me/tokens/<int:token_id>/revoke"): "anyone",
    ("POST", "/login"): "open",
    ("POST", "/logout"): "anyone",
    ("GET", "/password/forgot"): "open",
    ("POST", "/password/forgot"): "open",
    ("GET", "/password/reset/<token>"): "open",
    ("POST", "/password/reset/<token>"): "open",
    ("GET", "/settings/notifications"): "anyone",
    ("POST", "/settings/notifications"): "anyone",
    ("GET", "/shipments"): "anyone",
    ("GET", "/shipments/<int:shipment_id>"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/document-requests"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/documents/upload"): "shipment",
    ("GET", "/shipments/<int:shipment_id>/edit"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/edit"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/milestones"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/participants"): "shipment",
    ("POST", "/shipments/<int:shipment_id>/participants/<int:user_id>/remove"): "shipment",
    ("GET", "/shipments/new"): "staff",
    ("GET", "/shipment-invitations"): "anyone",
    ("POST", "/shipment-invitations/<int:invitation_id>/accept"): "anyone",
    ("POST", "/shipment-invitations/<int:invitation_id>/decline"): "anyone",
    ("POST", "/shipments/new"): "staff",
    ("GET", "/static/<path:filename>"): "open",
    ("GET", "/unsubscribe/<token>"): "open",
    ("POST", "/unsubscribe/<token>"): "open",
    ("POST", "/webhooks/sendgrid/events"): "open",
    ("POST", "/webhooks/sendgrid/inbound/<secret>"): "open",
    ("GET", "/admin/countries/"): "admin",
    ("GET", "/admin/countries/<code>"): "admin",
    ("POST", "/admin/countries/<code>"): "admin",
    ("GET", "/api/v1/countries/<code>"): "anyone",
    ("PUT", "/api/v1/countries/<code>"): "admin",
    ("GET", "/admin/inbound-email"): "admin",
    ("GET", "/healthz"): "open",
    ("GET", "/readyz"): "open",
    ("GET", "/metrics"): "open",
    ("GET", "/api/v1/shipments/<int:shipment_id>/risks"): "shipment",
    ("POST", "/api/v1/shipments/<int:shipment_id>/risks"): "shipment",
    ("GET", "/api/v1/risks"): "anyone",
    ("POST", "/api/v1/risks"): "staff",
    ("PATCH", "/api/v1/risks/<int:flag_id>"): "shipment",
    ("POST", "/api/v1/messages/<int:message_id>/risk"): "shipment",
    ("POST", "/api/v1/messages/<int:message_id>/milestone"): "shipment",
}


def _url_map_rules(extra: Callable[[Flask], None] | None = None) -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every route, from an app built only to read its URL map
    (`extra` may add routes to it first)."""
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
    if extra is not None:
        extra(app)
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


def routes_without_a_row(routes: list[tuple[str, str, str]]) -> list[str]:
    """Every (method, rule) of `routes` that ROWS does not classify."""
    return [f"{method} {rule}" for rule, method, _endpoint in routes if (method, rule) not in ROWS]


def test_every_route_has_a_row():
    missing = routes_without_a_row(ROUTES)
    assert not missing, "routes without a row in ROWS (tests/test_permission_matrix.py):\n  " + "\n  ".join(missing)
    stale = sorted(set(ROWS) - {(method, rule) for rule, method, _e in ROUTES})
    assert not stale, f"rows for routes that no longer exist: {stale}"
    for (method, rule), kind in ROWS.items():
        assert kind in ("open", "shipment", "anyone", "staff", "admin"), (method, rule, kind)
        endpoint = next(e for r, m, e in ROUTES if (m, r) == (method, rule))
        assert (kind == "open") == is_open(rule, endpoint), f"{method} {rule}: open by row and by code must agree"


def test_a_route_added_without_a_row_fails_the_matrix():
    """Shown once with a throwaway route: the enumeration finds it and the check names it."""

    def add_throwaway(app: Flask) -> None:
        app.add_url_rule("/api/v1/throwaway/<int:shipment_id>", "throwaway", lambda shipment_id: "", methods=["POST"])

    missing = routes_without_a_row(_url_map_rules(add_throwaway))
    assert missing == ["POST /api/v1/throwaway/<int:shipment_id>"]


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


def _ended_credentials(app: Flask, world: World, persona: str, client: HubTestClient) -> tuple[dict[str, str], str]:
    """Bearer headers and a session (CSRF token) that worked once and no longer do."""
    from hub.accounts import services
    from hub.accounts.models import ApiToken
    from hub.extensions import db

    if persona == "deactivated":
        person = factories.user(factories.org("forwarder", "BE"), "partner")
        factories.participant(world.shipment, person, "forwarder")
        secret = factories.token(person)
        csrf = factories.session_for(client, person)
        services.set_user_active(world.admin, person, False)
        return factories.bearer(secret), csrf
    secret = factories.token(world.agent)
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(secret)))
    csrf = factories.session_for(client, world.agent)
    services.revoke_token(world.agent, row.id)
    world.agent.end_sessions()  # as a logout elsewhere does
    db.session.commit()
    return factories.bearer(secret), csrf


class Caller:
    """One persona's client: bearer token for the API, a signed-in session for pages."""

    def __init__(self, app: Flask, world: World, persona: str, api: bool) -> None:
        self.persona = persona
        self.user = None if persona in ("anonymous", *ENDED) else getattr(world, persona)
        self.client = HubTestClient(app, app.response_class, use_cookies=True)
        if persona in ENDED:
            self.headers, csrf = _ended_credentials(app, world, persona, self.client)
            self.csrf = None if api else csrf
            if api:
                self.client = HubTestClient(app, app.response_class, use_cookies=True)
            return
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
        elif persona == "anonymous" or persona in ENDED:
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
            kind = ROWS[(method, rule)]
            refused = status == 403 if api else (status == 403 or (300 <= status < 400 and not _is_login_redirect(response)))
            if persona in ("agent", "observer") and kind in ("staff", "admin") and not refused:
                problems.append(f"a partner reached a {kind} route: {seen}")
            if persona == "staff" and kind == "admin" and not refused:
                problems.append(f"a coordinator reached an admin route: {seen}")
    assert not problems, "\n".join(problems)



# --- socket events and webhooks ---------------------------------------------------------------

#: What each persona's acknowledgement of each event about world.shipment must be: "ok", or the
#: error code. Anonymous callers and ended credentials do not get a socket at all.
SOCKET_EVENTS = ("join", "typing", "read", "send", "leave")
SOCKET_ROWS: dict[str, dict[str, str]] = {
    "other_staff": dict.fromkeys(SOCKET_EVENTS, "not_found"),
    "outsider": dict.fromkeys(SOCKET_EVENTS, "not_found"),
    "observer": {"join": "ok", "typing": "forbidden", "read": "ok", "send": "forbidden", "leave": "ok"},
    "agent": dict.fromkeys(SOCKET_EVENTS, "ok"),
    "staff": dict.fromkeys(SOCKET_EVENTS, "ok"),
}


def _socket_payload(event: str, shipment_id: int) -> dict[str, Any]:
    return {"shipment_id": shipment_id, "after_seq": 0, "seq": 0, "body": "matrix", "client_id": str(uuid.uuid4())}


def test_socket_event_matrix(app, world):
    from hub.extensions import socketio

    problems = []
    assert set(SOCKET_ROWS) | {"anonymous"} | ENDED == set(PERSONAS)
    registered = set(socketio.server.handlers.get("/", {}))
    assert {"connect", *SOCKET_EVENTS} <= registered, registered
    for persona in PERSONAS:
        client = HubTestClient(app, app.response_class, use_cookies=True)
        if persona == "anonymous":
            headers: dict[str, str] = {}
        elif persona in ENDED:
            headers, _csrf = _ended_credentials(app, world, persona, client)
        else:
            headers = world.headers(persona)
        token = headers.get("Authorization", " ").split(" ", 1)[1] or None
        sock = socketio.test_client(app, auth={"token": token} if token else None)
        if persona == "anonymous" or persona in ENDED:
            if sock.is_connected():
                problems.append(f"{persona}: connect accepted")
                sock.disconnect()
            continue
        if not sock.is_connected():
            problems.append(f"{persona}: connect refused")
            continue
        for event in ("join", "typing", "read", "send", "leave"):
            answer = sock.emit(event, _socket_payload(event, world.shipment.id), callback=True)
            got = "ok" if answer.get("ok") else answer.get("error", {}).get("code")
            if got != SOCKET_ROWS[persona][event]:
                problems.append(f"{persona} {event}: {got}, expected {SOCKET_ROWS[persona][event]} ({answer})")
        sock.disconnect()
    assert not problems, "\n".join(problems)


def test_the_webhook_answers_only_its_signature_whoever_calls(app, world):
    """No user's credentials open the webhook: unsigned, it is 403 for every persona."""
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + "A" * 88
    for persona in PERSONAS:
        caller = Caller(app, world, persona, api=True)
        response = caller.client.post("/webhooks/sendgrid/events", data="[]", headers=caller.headers,
                                      content_type="application/json")
        assert response.status_code == 403, (persona, response.status_code)
        assert response.json["error"]["code"] == "forbidden"
