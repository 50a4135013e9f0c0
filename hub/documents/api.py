"""API: documents, versions, downloads, requests, review and the checklist of a shipment."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from hub.accounts.models import User
from hub.documents import services
from hub.documents.storage import StorageError, get_storage
from hub.errors import MalformedRequest, Unavailable
from hub.extensions import limiter
from hub.limits import setting, user_key
from hub.paging import items_response
from hub.payload import json_object
from hub.permissions import Action, get_shipment_for

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")


def me() -> User:
    """The signed-in user itself (not the proxy: signal receivers may keep it)."""
    return current_user._get_current_object()  # type: ignore[attr-defined, no-any-return]


def uploaded_file(with_doc_type: bool) -> tuple[dict[str, Any], FileStorage]:
    """The multipart form's fields and its one `file` (400 when the body is not multipart)."""
    if request.mimetype != "multipart/form-data":
        raise MalformedRequest("Send the file as multipart/form-data with a `file` part.")
    files = request.files.getlist("file")
    unknown_files = {name: "unknown field" for name in request.files if name != "file"}
    values = services.check_upload_fields(request.form | unknown_files, len(files), with_doc_type)
    return values, files[0]


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """`attachment` (or `inline`) with an ASCII fallback name and the RFC 5987 `filename*` for Unicode."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\;') or "file"
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


@bp.post("/shipments/<int:shipment_id>/documents")
@limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="uploads", key_func=user_key)
def upload(shipment_id: int) -> Any:
    """Upload a new document (multipart `file`, `doc_type`, optional `note`)."""
    shipment = get_shipment_for(me(), shipment_id, Action.UPLOAD_DOCUMENT)
    values, file = uploaded_file(with_doc_type=True)
    staged = services.stage_file(file.stream, file.filename)
    document = services.upload_document(me(), shipment, values["doc_type"], values.get("note"), staged)
    return jsonify(document.to_dict()), 201


@bp.get("/shipments/<int:shipment_id>/documents")
def list_documents(shipment_id: int) -> Any:
    """The shipment's documents, each with its current version."""
    shipment = get_shipment_for(me(), shipment_id)
    return items_response(services.list_documents(shipment))


@bp.get("/documents/<int:document_id>")
def get_document(document_id: int) -> Any:
    """A document and its version history."""
    document = services.get_document_for(me(), document_id)
    return jsonify({"document": document.to_dict(), "versions": [v.to_dict() for v in document.versions]})


@bp.get("/documents/<int:document_id>/download")
def download(document_id: int) -> Any:
    """Stream the current version (or `?version=N`) as an attachment."""
    document = services.get_document_for(me(), document_id)
    version = services.version_of(document, request.args.get("version"))
    return streamed_version(document, version)


def streamed_version(document: Any, version: Any, inline: bool = False) -> Response:
    """The stored file of `version` (a download is audited): an attachment, or `inline` for
    the page's preview; never cached, never sniffed, sandboxed."""
    try:
        chunks = get_storage().open(version.sha256)
    except StorageError as exc:
        current_app.logger.error("document %s version %s unreadable: %s", document.id, version.version, exc)
        raise Unavailable("The file store is unavailable for the moment; try again.") from exc
    services.record_download(me(), version)
    response = Response(chunks, mimetype=version.content_type, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(version.filename,
                                                                  "inline" if inline else "attachment")
    response.headers["Content-Length"] = str(version.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.delete("/documents/<int:document_id>")
def withdraw(document_id: int) -> Any:
    """Withdraw a document (the uploader or the owner's staff)."""
    document = services.get_document_for(me(), document_id)
    services.withdraw_document(me(), document)
    return "", 204


@bp.post("/documents/<int:document_id>/versions")
@limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="uploads", key_func=user_key)
def add_version(document_id: int) -> Any:
    """Upload a new version of a document (multipart `file`, optional `note`)."""
    document = services.get_document_for(me(), document_id, Action.UPLOAD_DOCUMENT)
    values, file = uploaded_file(with_doc_type=False)
    staged = services.stage_file(file.stream, file.filename)
    version = services.add_document_version(me(), document, values.get("note"), staged)
    # The version just added, even if another one was added since.
    return jsonify(version.document.to_dict(version.version)), 201


@bp.post("/documents/<int:document_id>/review")
def review(document_id: int) -> Any:
    """Accept or reject the current version; suggests `documents_complete` when this review
    completes the checklist."""
    document = services.check_review_document(me(), document_id)
    version, completed = services.do_review_document(me(), document, json_object())
    body = version.document.to_dict(version.version)
    if completed:
        body["suggest_milestone"] = "documents_complete"
    return jsonify(body)


@bp.post("/shipments/<int:shipment_id>/document-requests")
def create_request(shipment_id: int) -> Any:
    """Request a document type with an optional due date and note."""
    shipment = get_shipment_for(me(), shipment_id, Action.REQUEST_DOCUMENT)
    request_row = services.request_document(me(), shipment, json_object())
    return jsonify(request_row.to_dict()), 201


@bp.get("/shipments/<int:shipment_id>/document-requests")
def list_requests(shipment_id: int) -> Any:
    """The shipment's document requests."""
    shipment = get_shipment_for(me(), shipment_id)
    return items_response(services.list_requests(shipment))


@bp.get("/shipments/<int:shipment_id>/checklist")
def checklist(shipment_id: int) -> Any:
    """The required-document checklist with each type's state."""
    shipment = get_shipment_for(me(), shipment_id)
    return jsonify(services.checklist_view(shipment))
