"""The OpenAPI 3.1 document, assembled from each area's `openapi.yaml`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, jsonify

from hub.accounts.security import public_endpoint

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
PACKAGE = Path(__file__).resolve().parent


@cache
def openapi_document() -> dict[str, Any]:
    """The merged document: `hub/openapi.yaml` plus every `hub/*/openapi.yaml`."""
    document = yaml.safe_load((PACKAGE / "openapi.yaml").read_text())
    for fragment_path in sorted(PACKAGE.glob("*/openapi.yaml")):
        fragment = yaml.safe_load(fragment_path.read_text()) or {}
        document["paths"].update(fragment.get("paths", {}))
        document["components"]["schemas"].update(fragment.get("components", {}).get("schemas", {}))
    _add_common_answers(document)
    _describe_text_fields(document)
    return document


# Control characters (C0, DEL, C1) and the Unicode line separators: never in a single line.
_CONTROLS = "\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029"
_MULTILINE_CONTROLS = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
SINGLE_LINE = f"^[^{_CONTROLS}]*$"
MULTI_LINE = f"^[^{_MULTILINE_CONTROLS}]*$"
NOT_BLANK = "\\S"


def _describe_text_fields(document: dict[str, Any]) -> None:
    """Every free-text field of a request is one line without control characters unless
    marked `x-multiline: true` (then line breaks and tabs are allowed); a field with
    `minLength: 1` must hold more than spaces. Said once here, as `hub.payload.text` checks it."""
    components = document["components"]["schemas"]
    seen: set[int] = set()

    def walk(schema: Any) -> None:
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            walk(components[ref.rsplit("/", 1)[1]])
        for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
            walk(part)
        for prop in schema.get("properties", {}).values():
            if isinstance(prop, dict):
                _describe_text(prop)
                walk(prop)
        walk(schema.get("items"))

    for item in document["paths"].values():
        for method in _METHODS:
            for media in item.get(method, {}).get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema", {}))


def _describe_text(prop: dict[str, Any]) -> None:
    iso = prop.pop("x-iso", None)
    if iso is not None:  # the codes the hub accepts, listed from the same source it checks with
        import pycountry

        codes = sorted(c.alpha_2 for c in pycountry.countries) if iso == "country" else sorted(
            c.alpha_3 for c in pycountry.currencies)
        nullable = isinstance(prop.get("type"), list) and "null" in prop["type"]
        prop["enum"] = [*codes, None] if nullable else codes
        return
    types = prop.get("type")
    is_text = types == "string" or (isinstance(types, list) and "string" in types)
    multiline = prop.pop("x-multiline", False)
    if not is_text or any(key in prop for key in ("enum", "format", "pattern", "allOf", "examples")):
        return
    patterns = [{"pattern": MULTI_LINE if multiline else SINGLE_LINE}]
    if prop.get("minLength", 0) >= 1:
        patterns.append({"pattern": NOT_BLANK})
    prop["allOf"] = patterns


#: Operations with a rate limit of their own (README: the RATELIMIT_* settings).
RATE_LIMITED = {
    ("post", "/api/v1/auth/token"), ("post", "/api/v1/auth/tokens"),
    ("post", "/api/v1/shipments/{shipment_id}/messages"), ("post", "/api/v1/shipments/{shipment_id}/participants"),
    ("post", "/api/v1/shipments/{shipment_id}/documents"), ("post", "/api/v1/documents/{document_id}/versions"),
    ("post", "/webhooks/sendgrid/events"),
}
_METHODS = ("get", "put", "post", "patch", "delete")


def _add_common_answers(document: dict[str, Any]) -> None:
    """Answers every operation of a kind may give, added once here rather than in each file:
    401 wherever credentials are needed, 403 on every write (a read-only token), 429 where a
    rate limit applies (with Retry-After)."""
    error = {"$ref": "#/components/responses/Error"}
    limited = {"$ref": "#/components/responses/RateLimited"}
    for path, item in document["paths"].items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            answers = operation.setdefault("responses", {})
            secured = operation.get("security", document.get("security")) != []
            if secured:
                answers.setdefault("401", error)
                if method != "get":
                    answers.setdefault("403", error)
            if (method, path) in RATE_LIMITED:
                answers.setdefault("429", limited)


@bp.get("/openapi.json")
@public_endpoint
def openapi_json() -> Any:
    """The API description (open to anyone)."""
    return jsonify(openapi_document())
