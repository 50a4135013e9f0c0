"""Builders of documents-area objects for other tests (the permission matrix among them)."""

from __future__ import annotations

import io
from typing import Any

from hub.documents import services
from tests.documents.conftest import PDF


def document(world: Any, uploader: Any = None, doc_type: str = "commercial_invoice", content: bytes = PDF) -> int:
    """A document uploaded to world.shipment (by the agent unless told otherwise); its id."""
    staged = services.stage_file(io.BytesIO(content), "invoice.pdf")
    return services.upload_document(uploader or world.agent, world.shipment, doc_type, None, staged).id


def rule_override(world: Any) -> int:
    """A required-document override of world.admin's organization; its id."""
    return services.create_override(world.admin, {"effect": "require", "doc_type": "insurance_certificate"}).id
