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
    return document


@bp.get("/openapi.json")
@public_endpoint
def openapi_json() -> Any:
    """The API description (open to anyone)."""
    return jsonify(openapi_document())
