"""The OpenAPI document describes every API and webhook route, and is valid OpenAPI 3.1."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from hub.api_docs import openapi_document

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule: str) -> str:
    """`/api/v1/shipments/<int:shipment_id>` -> `/api/v1/shipments/{shipment_id}`."""
    return _CONVERTER.sub(r"{\1}", rule)


def documented_routes(app) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(routes in the URL map, routes in the document) as (METHOD, path) pairs."""
    routes = {
        (method, openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/v1", "/webhooks"))
        for method in (rule.methods or set()) - _IGNORED_METHODS
    }
    document = openapi_document()
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    return routes, documented


def test_openapi_path_conversion():
    assert openapi_path("/api/v1/shipments/<int:shipment_id>/participants/<int:user_id>") == (
        "/api/v1/shipments/{shipment_id}/participants/{user_id}"
    )
    assert openapi_path("/webhooks/sendgrid/<token>") == "/webhooks/sendgrid/{token}"


def test_every_api_and_webhook_route_is_documented(app):
    routes, documented = documented_routes(app)
    missing = sorted(routes - documented)
    assert not missing, "routes missing from the OpenAPI document (hub/<area>/openapi.yaml): " + ", ".join(
        f"{method} {path}" for method, path in missing
    )


def test_the_document_describes_no_route_that_does_not_exist(app):
    routes, documented = documented_routes(app)
    stale = sorted(documented - routes)
    assert not stale, "documented but not served: " + ", ".join(f"{m} {p}" for m, p in stale)


def test_path_parameters_are_declared(app):
    """Each `{name}` in a documented path is declared as a path parameter of the path or operation."""
    problems = []
    for path, item in openapi_document()["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        shared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        for method, operation in item.items():
            if method == "parameters":
                continue
            own = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if names - shared - own:
                problems.append(f"{method.upper()} {path}: {sorted(names - shared - own)}")
    assert not problems, problems


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises with the reason when invalid


def test_the_check_fails_for_an_undocumented_route(app):
    """Adding a route without documenting it is caught."""
    from flask import Blueprint

    probe = Blueprint("probe_undocumented", __name__)

    @probe.get("/api/v1/undocumented/<int:thing_id>")
    def undocumented(thing_id: int) -> str:
        return ""

    app.register_blueprint(probe)
    routes, documented = documented_routes(app)
    assert ("GET", "/api/v1/undocumented/{thing_id}") in routes - documented
