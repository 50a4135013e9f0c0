"""Documents of a shipment: upload, versions, requests, review, withdrawal, the checklist.

One function per action, used by the API and the pages alike. Each change runs in
`shipment_transaction` (the shipment row is locked, so version numbers are assigned one at a
time), posts a `document` message into the thread, writes an audit row and sends its signal
before the commit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import exists, select

from hub.accounts.models import User
from hub.audit import record_audit
from hub.documents.catalogue import DOC_TYPE_CODES, doc_label
from hub.documents.models import Document, DocumentRequest, DocumentRuleOverride, DocumentVersion
from hub.documents.rules import required_documents
from hub.documents.sniffing import sanitize_filename, sniff_content_type
from hub.documents.storage import StorageError, get_storage
from hub.errors import N_, Forbidden, NotFound, PayloadTooLarge, Text, Unavailable, ValidationFailed, reason
from hub.extensions import db
from hub.payload import MAX_ID, check_fields, clean_text, integer_id, one_of, optional, text
from hub.permissions import (
    Action,
    authorize,
    check_review_upload,
    check_withdraw_document,
    owner_and_role,
    require_admin,
)
from hub.realtime import emit_after_commit, shipment_room
from hub.reference_data import country_code
from hub.shipment_tx import shipment_transaction
from hub.shipments.models import TRANSPORT_MODES, Shipment
from hub.signals import document_requested, document_reviewed, document_uploaded
from hub.threads.services import add_message
from hub.timestamps import parse_date, utcnow

NOTE_MAX = 2000
REASON_MAX = 2000
_READ_CHUNK = 256 * 1024


# --- the uploaded file ------------------------------------------------------------------------


@dataclass
class StagedFile:
    """An uploaded file checked and ready to store: its bytes are in `stream` (seekable)."""

    stream: BinaryIO
    filename: str
    size: int
    sha256: str
    content_type: str


def max_upload_bytes() -> int:
    """The largest file accepted, in bytes (`MAX_UPLOAD_MB` x 1,048,576)."""
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def stage_file(stream: BinaryIO, raw_filename: str | None) -> StagedFile:
    """Measure, hash and sniff an uploaded file: 413 over the limit, 422 when empty, 415 when
    its bytes are not an allowed type. Nothing is stored here."""
    try:
        clean_text(raw_filename or "")
    except ValueError as exc:
        # A name with a line break reaches download headers and emails: refused, not guessed at.
        raise ValidationFailed(N_("The file name is invalid."),
                               fields={"file": Text(N_("name %(reason)s"), reason=Text(reason(exc)))}) from None
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(N_("The file is larger than the limit of %(limit)s MB."),
                                  params={"limit": current_app.config["MAX_UPLOAD_MB"]})
        digest.update(chunk)
    if size == 0:
        raise ValidationFailed(N_("The file is empty."), fields={"file": N_("is empty")})
    filename = sanitize_filename(raw_filename)
    content_type = sniff_content_type(stream, filename)
    stream.seek(0)
    return StagedFile(stream, filename, size, digest.hexdigest(), content_type)


def check_upload_fields(form: Mapping[str, Any], file_count: int, with_doc_type: bool) -> dict[str, Any]:
    """The form fields of an upload (`doc_type` when `with_doc_type`, optional `note`) and
    exactly one `file`; a missing or unknown field is 422."""
    parsers: dict[str, Any] = {"note": optional(text(NOTE_MAX))}
    if with_doc_type:
        parsers["doc_type"] = one_of(DOC_TYPE_CODES)
    fields = {k: v for k, v in form.items() if k != "csrf_token"}
    errors: dict[str, str] = {}
    if file_count == 0:
        errors["file"] = N_("is required")
    elif file_count > 1:
        errors["file"] = N_("send one file per request")
    try:
        values = check_fields(fields, parsers, required={"doc_type"} if with_doc_type else set())
    except ValidationFailed as exc:
        errors.update(exc.fields or {})
        values = {}
    if errors:
        raise ValidationFailed(N_("Some fields are invalid."), fields=errors)
    if values.get("note") == "":
        values["note"] = None
    return values


@contextmanager
def _file_stored(staged: StagedFile) -> Iterator[None]:
    """Put the file in storage before the transaction inside the block; if the block fails, a
    file this call wrote and no version uses is removed again (no orphan file, no row)."""
    # End the request's read transaction first: on SQLite every transaction holds the write
    # lock, which nobody should keep while a large file travels to storage.
    db.session.commit()
    try:
        created = get_storage().put(staged.sha256, staged.stream, staged.content_type)
    except StorageError as exc:
        current_app.logger.error("document storage failed: %s", exc)
        raise Unavailable(N_("The file store is unavailable for the moment; try again.")) from exc
    try:
        yield
    except BaseException:
        if created:
            _forget_unreferenced(staged.sha256)
        raise


def _forget_unreferenced(sha256: str) -> None:
    """After a failed transaction: remove a file this request stored if no version uses it."""
    db.session.rollback()
    used = db.session.scalar(select(exists().where(DocumentVersion.sha256 == sha256)))
    if not used:
        get_storage().delete(sha256)


# --- reading ----------------------------------------------------------------------------------


def get_document_for(user: User, document_id: int, action: Action = Action.VIEW) -> Document:
    """A document the user may act on; withdrawn or invisible ones are 404, observers 403."""
    document = db.session.get(Document, document_id)
    if document is None or document.withdrawn:
        raise NotFound(N_("Document not found."))
    shipment = db.session.get(Shipment, document.shipment_id)
    if shipment is None:
        raise NotFound(N_("Document not found."))
    try:
        authorize(user, action, shipment)
    except NotFound:
        raise NotFound(N_("Document not found.")) from None
    return document


def list_documents(shipment: Shipment) -> Sequence[Document]:
    """The shipment's documents that are not withdrawn, oldest first."""
    return db.session.scalars(
        select(Document)
        .where(Document.shipment_id == shipment.id, Document.withdrawn_at.is_(None), Document.current_version > 0)
        .order_by(Document.id)
    ).all()


def list_requests(shipment: Shipment) -> Sequence[DocumentRequest]:
    """The shipment's document requests, oldest first."""
    return db.session.scalars(
        select(DocumentRequest).where(DocumentRequest.shipment_id == shipment.id).order_by(DocumentRequest.id)
    ).all()


def version_of(document: Document, number: Any) -> DocumentVersion:
    """Version `number` (from a query string; None: the current one); unknown versions are 404."""
    if number is None:
        found = document.version_row()
    else:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            raise ValidationFailed(N_("The version must be a number."), fields={"version": N_("must be an integer")}) from None
        found = document.version_row(wanted) if 0 < wanted <= MAX_ID else None
    if found is None:
        raise NotFound(N_("No such version of this document."))
    return found


def record_download(user: User, version: DocumentVersion) -> None:
    """Write the audit row of a download (committed at once: a GET has no other transaction)."""
    document = version.document
    record_audit(user, "document.download", "document", document.id,
                 {"version": version.version, "filename": version.filename, "sha256": version.sha256},
                 document.shipment_id)
    db.session.commit()


# --- uploads and versions ---------------------------------------------------------------------


def _md(text_value: str) -> str:
    """Escape Markdown in names quoted in thread messages."""
    return re.sub(r"([\\`*_\[\]()<>#!|~])", r"\\\1", text_value)


def _emit_document(shipment: Shipment, action: str, document: Document, version: int | None = None) -> None:
    """Tell the shipment's open pages, once the change commits, that a document changed: the
    `document` event `{shipment_id, action, document_id, document, checklist}` (`document` is
    null once withdrawn)."""
    db.session.flush()
    emit_after_commit("document", {
        "shipment_id": shipment.id,
        "action": action,
        "document_id": document.id,
        "document": None if document.withdrawn else document.to_dict(version),
        "checklist": checklist_view(shipment),
    }, shipment_room(shipment.id))


def _emit_request(shipment: Shipment, action: str, request_row: DocumentRequest) -> None:
    """The `document_request` event `{shipment_id, action, request, checklist}` after the commit."""
    db.session.flush()
    emit_after_commit("document_request", {
        "shipment_id": shipment.id,
        "action": action,
        "request": request_row.to_dict(),
        "checklist": checklist_view(shipment),
    }, shipment_room(shipment.id))


def _reopen_requests(shipment: Shipment, document: Document) -> None:
    """Requests fulfilled by `document` open again when it no longer counts (rejected or
    withdrawn) and no other live document of its type that is not rejected stands in for it."""
    fulfilled = db.session.scalars(
        select(DocumentRequest).where(DocumentRequest.shipment_id == shipment.id,
                                      DocumentRequest.document_id == document.id,
                                      DocumentRequest.status == "fulfilled")
    ).all()
    if not fulfilled:
        return
    others = db.session.scalars(
        select(Document).where(Document.shipment_id == shipment.id, Document.doc_type == document.doc_type,
                               Document.id != document.id, Document.withdrawn_at.is_(None),
                               Document.current_version > 0)
    ).all()
    if any((other.version_row() or DocumentVersion(status="rejected")).status != "rejected" for other in others):
        return
    for request_row in fulfilled:
        request_row.status = "open"
        request_row.document_id = None
        request_row.fulfilled_at = None
        _emit_request(shipment, "reopened", request_row)


def document_facts(action: str, document: Document, **details: Any) -> dict[str, Any]:
    """What a document's thread message says, as data each reader's page renders in their own
    language (`hub.i18n.facts_text`), with the document's id to link to it."""
    return {"kind": "document", "action": action, "document_id": document.id, "doc_type": document.doc_type,
            **details}


def _fulfil_requests(shipment_id: int, document: Document) -> None:
    open_requests = db.session.scalars(
        select(DocumentRequest).where(
            DocumentRequest.shipment_id == shipment_id,
            DocumentRequest.doc_type == document.doc_type,
            DocumentRequest.status == "open",
        )
    ).all()
    for request_row in open_requests:
        request_row.status = "fulfilled"
        request_row.document_id = document.id
        request_row.fulfilled_at = utcnow()


def _add_version(shipment: Shipment, document: Document, user: User, staged: StagedFile, note: str | None,
                 via: str = "web") -> DocumentVersion:
    """Append the next version (call under the shipment lock), fulfil requests, post, audit, signal."""
    document.current_version += 1
    version = DocumentVersion(
        document=document,
        version=document.current_version,
        filename=staged.filename,
        size=staged.size,
        sha256=staged.sha256,
        content_type=staged.content_type,
        note=note,
        uploaded_by=user,
        status="received",
    )
    db.session.add(version)
    db.session.flush()
    _fulfil_requests(shipment.id, document)
    if version.version == 1:
        body = f"Uploaded {document.label}: {_md(staged.filename)}"
    else:
        body = f"Uploaded version {version.version} of {document.label}: {_md(staged.filename)}"
    if note:
        body += f" ({_md(note)})"
    add_message(shipment, user, body, kind="document", via=via, facts=document_facts(
        "uploaded" if version.version == 1 else "new_version", document, file_name=staged.filename,
        version=version.version, note=note or None))
    record_audit(user, "document.upload" if version.version == 1 else "document.version", "document", document.id,
                 {"version": version.version, "doc_type": document.doc_type, "filename": staged.filename,
                  "size": staged.size, "sha256": staged.sha256, "content_type": staged.content_type},
                 shipment.id)
    document_uploaded.send(shipment, actor=user, document_id=document.id, doc_type=document.doc_type,
                           label=document.label, filename=staged.filename, version=version.version)
    _emit_document(shipment, "uploaded" if version.version == 1 else "version", document, version.version)
    return version


def upload_document(user: User, shipment: Shipment, doc_type: str, note: str | None, staged: StagedFile,
                    via: str = "web") -> Document:
    """A new document (version 1) of `doc_type` on the shipment; the caller has authorized
    UPLOAD_DOCUMENT; `via` is the channel it came by (`web`, `api`, `email`). The file is stored first; if the transaction then fails, a file this call
    stored and nothing uses is removed again, so no row and no file remain."""
    with _file_stored(staged), shipment_transaction(shipment.id) as locked:
        document = Document(shipment_id=locked.id, doc_type=doc_type, current_version=0, created_by=user)
        db.session.add(document)
        db.session.flush()
        _add_version(locked, document, user, staged, note, via)
    return document


def add_document_version(user: User, document: Document, note: str | None, staged: StagedFile) -> DocumentVersion:
    """The next version of `document` (the caller has authorized UPLOAD_DOCUMENT); two
    concurrent calls get N+1 and N+2 because the number is taken under the shipment lock."""
    with _file_stored(staged), shipment_transaction(document.shipment_id) as locked:
        fresh = db.session.execute(
            select(Document).where(Document.id == document.id).execution_options(populate_existing=True)
        ).scalar_one()
        if fresh.withdrawn:
            raise NotFound(N_("Document not found."))
        version = _add_version(locked, fresh, user, staged, note)
    return version


# --- withdrawal -------------------------------------------------------------------------------


def withdraw_document(user: User, document: Document) -> None:
    """Hide the document everywhere (the uploader or the owner's staff); the row, its versions
    and their files are kept for the audit trail."""
    facts = owner_and_role(user, document.shipment_id)
    if facts is None:
        raise NotFound(N_("Document not found."))
    check_withdraw_document(user, *facts, uploaded_by_id=document.created_by_id)
    with shipment_transaction(document.shipment_id) as locked:
        fresh = db.session.get(Document, document.id, populate_existing=True)
        if fresh is None or fresh.withdrawn:
            raise NotFound(N_("Document not found."))
        fresh.withdrawn_at = utcnow()
        fresh.withdrawn_by_id = user.id
        current = fresh.version_row()
        filename = current.filename if current else ""
        add_message(locked, user, f"Withdrew {fresh.label}: {_md(filename)}", kind="document",
                    facts=document_facts("withdrawn", fresh, file_name=filename))
        record_audit(user, "document.withdraw", "document", fresh.id,
                     {"doc_type": fresh.doc_type, "versions": fresh.current_version, "filename": filename}, locked.id)
        _reopen_requests(locked, fresh)
        _emit_document(locked, "withdrawn", fresh)


# --- requests ---------------------------------------------------------------------------------


def check_request(body: Mapping[str, Any], shipment: Shipment | None = None) -> dict[str, Any]:
    """`doc_type` (required), `due_date` (optional plain date), `note` (optional), `assignee_id`
    (optional: a participant of `shipment`, the one person asked)."""
    values = check_fields(
        body,
        {"doc_type": one_of(DOC_TYPE_CODES), "due_date": optional(parse_date), "note": optional(text(NOTE_MAX)),
         "assignee_id": optional(integer_id)},
        required={"doc_type"},
    )
    if values.get("note") == "":
        values["note"] = None
    assignee_id = values.get("assignee_id")
    if assignee_id is not None and (shipment is None or not any(
            p.user_id == assignee_id for p in shipment.participants)):
        raise ValidationFailed(N_("The request can be addressed only to someone on this shipment."),
                               fields={"assignee_id": N_("is not a participant of this shipment")})
    return values


def request_document(user: User, shipment: Shipment, body: Mapping[str, Any]) -> DocumentRequest:
    """Ask for a document type (the caller has authorized REQUEST_DOCUMENT)."""
    values = check_request(body, shipment)
    due: date | None = values.get("due_date")
    note: str | None = values.get("note")
    label = doc_label(values["doc_type"])
    with shipment_transaction(shipment.id) as locked:
        request_row = DocumentRequest(
            shipment_id=locked.id, doc_type=values["doc_type"], due_date=due, note=note,
            requested_by=user, status="open", assignee_id=values.get("assignee_id"),
        )
        db.session.add(request_row)
        db.session.flush()
        message = f"Requested {label}"
        if due:
            message += f", due {due.isoformat()}"
        if note:
            message += f": {_md(note)}"
        add_message(locked, user, message, kind="document", facts={
            "kind": "document", "action": "requested", "request_id": request_row.id, "doc_type": request_row.doc_type,
            "due_date": due.isoformat() if due else None, "note": note})
        record_audit(user, "document.request", "document_request", request_row.id,
                     {"doc_type": request_row.doc_type, "due_date": due.isoformat() if due else None}, locked.id)
        document_requested.send(locked, actor=user, request_id=request_row.id, doc_type=request_row.doc_type,
                                label=label, due_date=due, note=note, assignee_id=request_row.assignee_id)
        _emit_request(locked, "requested", request_row)
    return request_row


# --- review -----------------------------------------------------------------------------------


def check_review(body: Mapping[str, Any]) -> tuple[str, str | None]:
    """`decision` accept or reject; `reason` required to reject."""
    values = check_fields(body, {"decision": one_of(("accept", "reject")), "reason": optional(text(REASON_MAX))},
                          required={"decision"})
    reason = values.get("reason") or None
    if values["decision"] == "reject" and not reason:
        raise ValidationFailed(N_("Say why the document is rejected."), fields={"reason": N_("is required to reject")})
    return values["decision"], reason


def check_not_own_upload(user: User, document: Document) -> None:
    """403 when the current version is the user's own upload (nobody reviews their own)."""
    version = document.version_row()
    if version is not None:
        check_review_upload(user, uploaded_by_id=version.uploaded_by_id)


def check_review_document(user: User, document_id: int) -> Document:
    """The document `user` may review now: REVIEW_DOCUMENT on its shipment, not their own upload."""
    document = get_document_for(user, document_id, Action.REVIEW_DOCUMENT)
    check_not_own_upload(user, document)
    return document


def review_document(user: User, document: Document, body: Mapping[str, Any]) -> tuple[DocumentVersion, bool]:
    """Check and review a document (see `check_review_document`, `do_review_document`)."""
    return do_review_document(user, check_review_document(user, document.id), body)


def do_review_document(user: User, document: Document, body: Mapping[str, Any]) -> tuple[DocumentVersion, bool]:
    """Accept or reject the current version of a document checked by `check_review_document`.
    Answers the version reviewed and whether this review completed the checklist."""
    decision, reason = check_review(body)
    with shipment_transaction(document.shipment_id) as locked:
        was_complete = checklist(locked)["complete"]
        fresh = db.session.get(Document, document.id, populate_existing=True)
        if fresh is None or fresh.withdrawn:
            raise NotFound(N_("Document not found."))
        current = fresh.version_row()
        assert current is not None
        if current.uploaded_by_id == user.id:
            raise Forbidden(N_("You may not review your own upload."))
        current.status = "accepted" if decision == "accept" else "rejected"
        current.reviewed_by_id = user.id
        current.reviewed_at = utcnow()
        current.review_reason = reason
        db.session.flush()
        verb = "Accepted" if decision == "accept" else "Rejected"
        message = f"{verb} {fresh.label}: {_md(current.filename)} (version {current.version})"
        if reason:
            message += f": {_md(reason)}"
        add_message(locked, user, message, kind="document", facts=document_facts(
            "accepted" if decision == "accept" else "rejected", fresh, file_name=current.filename,
            version=current.version, decision=decision, reason=reason))
        record_audit(user, "document.review", "document", fresh.id,
                     {"version": current.version, "decision": decision, "reason": reason}, locked.id)
        document_reviewed.send(locked, actor=user, uploader=current.uploaded_by, document_id=fresh.id,
                               doc_type=fresh.doc_type, label=fresh.label, filename=current.filename,
                               version=current.version, decision=decision, reason=reason)
        completed = not was_complete and checklist(locked)["complete"]
        if decision == "reject":
            _reopen_requests(locked, fresh)
        _emit_document(locked, "reviewed", fresh)
    return current, completed


# --- the checklist ----------------------------------------------------------------------------


def checklist(shipment: Shipment) -> dict[str, Any]:
    """One item per required type: the newest document that is not withdrawn gives the state
    (its current version's status); else an open request gives `requested`; else `missing`."""
    documents = db.session.scalars(
        select(Document)
        .where(Document.shipment_id == shipment.id, Document.withdrawn_at.is_(None), Document.current_version > 0)
        .order_by(Document.id.desc())
    ).all()
    requests = db.session.scalars(
        select(DocumentRequest).where(DocumentRequest.shipment_id == shipment.id).order_by(DocumentRequest.id.desc())
    ).all()
    items = []
    for requirement in required_documents(shipment):
        document = next((d for d in documents if d.doc_type == requirement.doc_type), None)
        of_type = [r for r in requests if r.doc_type == requirement.doc_type]
        open_request = next((r for r in of_type if r.status == "open"), None)
        newest_request = open_request or (of_type[0] if of_type else None)
        if document is not None:
            current = document.version_row()
            state = current.status if current else "missing"
        elif open_request is not None:
            state = "requested"
        else:
            state = "missing"
        items.append({
            "doc_type": requirement.doc_type,
            "label": doc_label(requirement.doc_type),
            "state": state,
            "document_id": document.id if document else None,
            "request_id": newest_request.id if newest_request else None,
            "why": requirement.why,
        })
    complete = bool(items) and all(item["state"] == "accepted" for item in items)
    return {"items": items, "complete": complete}


def checklist_view(shipment: Shipment) -> dict[str, Any]:
    """The checklist object of the API: exactly the documented fields of each item."""
    data = checklist(shipment)
    keys = ("doc_type", "label", "state", "document_id", "request_id")
    return {"items": [{k: item[k] for k in keys} for item in data["items"]], "complete": data["complete"]}


# --- admins' rule overrides -------------------------------------------------------------------


def _chapter(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}", value.strip()) or not 1 <= int(value) <= 97:
        raise ValueError(N_("must be a two-digit HS chapter (01-97)"))
    return value.strip()


def list_overrides(admin: User) -> Sequence[DocumentRuleOverride]:
    """The overrides of the admin's organization, oldest first."""
    require_admin(admin)
    return db.session.scalars(
        select(DocumentRuleOverride)
        .where(DocumentRuleOverride.organization_id == admin.organization_id)
        .order_by(DocumentRuleOverride.id)
    ).all()


def create_override(admin: User, body: Mapping[str, Any]) -> DocumentRuleOverride:
    """Require or waive a document type for the admin's organization's shipments."""
    require_admin(admin)
    values = check_fields(
        body,
        {
            "effect": one_of(("require", "waive")),
            "doc_type": one_of(DOC_TYPE_CODES),
            "destination_country": optional(country_code),
            "transport_mode": optional(one_of(TRANSPORT_MODES)),
            "hs_chapter": optional(_chapter),
            "note": optional(text(500, multiline=True)),
        },
        required={"effect", "doc_type"},
    )
    override = DocumentRuleOverride(organization_id=admin.organization_id, created_by_id=admin.id,
                                    **{k: (v or None) if k == "note" else v for k, v in values.items()})
    db.session.add(override)
    db.session.flush()
    record_audit(admin, "document_rule.create", "document_rule", override.id, override.to_dict())
    db.session.commit()
    return override


def delete_override(admin: User, override_id: int) -> None:
    """Remove one of the admin's organization's overrides."""
    require_admin(admin)
    override = db.session.get(DocumentRuleOverride, override_id)
    if override is None or override.organization_id != admin.organization_id:
        raise NotFound(N_("Rule not found."))
    record_audit(admin, "document_rule.delete", "document_rule", override.id, override.to_dict())
    db.session.delete(override)
    db.session.commit()
