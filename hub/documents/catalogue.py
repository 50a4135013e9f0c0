"""THE catalogue of document types: codes and labels, in the order the hub lists them."""

from __future__ import annotations

DOCUMENT_TYPES: dict[str, str] = {
    "commercial_invoice": "Commercial invoice",
    "packing_list": "Packing list",
    "sales_contract": "Sales contract",
    "certificate_of_origin": "Certificate of origin",
    "bill_of_lading": "Bill of lading",
    "air_waybill": "Air waybill",
    "cmr": "CMR road consignment note",
    "rail_waybill": "Rail waybill",
    "import_licence": "Import licence",
    "export_licence": "Export licence",
    "phytosanitary_certificate": "Phytosanitary certificate",
    "health_certificate": "Health certificate",
    "conformity_certificate": "Certificate of conformity",
    "insurance_certificate": "Insurance certificate",
    "customs_declaration": "Customs declaration",
    "duty_receipt": "Duty receipt",
    "release_note": "Release note",
    "other": "Other document",
}

DOC_TYPE_CODES: tuple[str, ...] = tuple(DOCUMENT_TYPES)

VERSION_STATUSES = ("received", "accepted", "rejected")
REQUEST_STATUSES = ("open", "fulfilled")
CHECKLIST_STATES = ("missing", "requested", "received", "accepted", "rejected")


def doc_label(code: str) -> str:
    """The readable label of a document type (the code itself if unknown)."""
    return DOCUMENT_TYPES.get(code, code)
