"""Pages: the documents panel of the shipment page (forms work without JavaScript too) and the
admins' page of required-document rule overrides."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import exists, select

from hub.documents import services
from hub.documents.api import me
from hub.documents.catalogue import DOCUMENT_TYPES
from hub.documents.rules import file_rules
from hub.errors import HubError
from hub.extensions import db, limiter
from hub.limits import setting, user_key
from hub.permissions import Action, can, get_shipment_for, require_admin
from hub.reference_data import country_name
from hub.shipments.models import TRANSPORT_MODES, Shipment

bp = Blueprint("documents", __name__)


def _documents_complete_recorded(shipment: Shipment) -> bool:
    try:
        from hub.milestones.models import Milestone
    except ImportError:  # the milestones area is optional for this panel
        return False
    return bool(db.session.scalar(
        select(exists().where(Milestone.shipment_id == shipment.id, Milestone.code == "documents_complete"))
    ))


def documents_panel(shipment: Shipment) -> dict[str, Any]:
    """What the shipment page's documents panel shows to the current user."""
    checklist = services.checklist(shipment)
    return {
        "checklist": checklist,
        "documents": services.list_documents(shipment),
        "requests": services.list_requests(shipment),
        "doc_types": DOCUMENT_TYPES,
        "can_upload": can(me(), Action.UPLOAD_DOCUMENT, shipment),
        "can_request": can(me(), Action.REQUEST_DOCUMENT, shipment),
        "can_review": can(me(), Action.REVIEW_DOCUMENT, shipment),
        "can_record_milestone": can(me(), Action.RECORD_MILESTONE, shipment),
        "suggest_complete": checklist["complete"] and not _documents_complete_recorded(shipment),
        "max_upload_mb": current_app.config["MAX_UPLOAD_MB"],
    }


def _back(shipment_id: int) -> Any:
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id) + "#documents")


def _flash_error(exc: HubError) -> None:
    db.session.rollback()
    detail = "; ".join(f"{k} {v}" for k, v in (exc.fields or {}).items())
    flash(f"{exc.message} {detail}".strip(), "error")


@bp.post("/shipments/<int:shipment_id>/documents/upload")
@limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="uploads", key_func=user_key)
@login_required
def upload_page(shipment_id: int) -> Any:
    """Upload one or more files from the panel's form (the script uses the API instead)."""
    shipment = get_shipment_for(me(), shipment_id, Action.UPLOAD_DOCUMENT)
    files = [f for f in request.files.getlist("file") if f.filename]
    form = {k: v for k, v in request.form.items() if k in ("doc_type", "note")}
    try:
        if not files:
            services.check_upload_fields(form, 0, with_doc_type=True)
        values = services.check_upload_fields(form, 1, with_doc_type=True)
        for file in files:
            staged = services.stage_file(file.stream, file.filename)
            services.upload_document(me(), shipment, values["doc_type"], values.get("note"), staged)
            flash(f"Uploaded {staged.filename}.", "success")
    except HubError as exc:
        _flash_error(exc)
    return _back(shipment_id)


@bp.post("/documents/<int:document_id>/versions")
@limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="uploads", key_func=user_key)
@login_required
def version_page(document_id: int) -> Any:
    """Upload a new version from the panel."""
    document = services.get_document_for(me(), document_id, Action.UPLOAD_DOCUMENT)
    file = request.files.get("file")
    try:
        values = services.check_upload_fields(
            {k: v for k, v in request.form.items() if k == "note"}, 1 if file and file.filename else 0, False
        )
        assert file is not None
        staged = services.stage_file(file.stream, file.filename)
        version = services.add_document_version(me(), document, values.get("note"), staged)
        flash(f"Uploaded version {version.version} of {document.label}.", "success")
    except HubError as exc:
        _flash_error(exc)
    return _back(document.shipment_id)


@bp.post("/shipments/<int:shipment_id>/document-requests")
@login_required
def request_page(shipment_id: int) -> Any:
    """Request a document from the panel."""
    shipment = get_shipment_for(me(), shipment_id, Action.REQUEST_DOCUMENT)
    body = {k: v.strip() for k, v in request.form.items() if k in ("doc_type", "due_date", "note") and v.strip()}
    try:
        row = services.request_document(me(), shipment, body)
        flash(f"Requested {row.label}.", "success")
    except HubError as exc:
        _flash_error(exc)
    return _back(shipment_id)


@bp.post("/documents/<int:document_id>/review")
@login_required
def review_page(document_id: int) -> Any:
    """Accept, or reject with a reason, from the panel."""
    document = services.get_document_for(me(), document_id, Action.REVIEW_DOCUMENT)
    body = {k: v.strip() for k, v in request.form.items() if k in ("decision", "reason") and v.strip()}
    try:
        services.check_not_own_upload(me(), document)
        _version, completed = services.do_review_document(me(), document, body)
        flash(f"{document.label} {'accepted' if body.get('decision') == 'accept' else 'rejected'}.", "success")
        if completed:
            flash("Every required document is accepted: you can record “Documents complete”.", "success")
    except HubError as exc:
        _flash_error(exc)
    return _back(document.shipment_id)


@bp.post("/documents/<int:document_id>/withdraw")
@login_required
def withdraw_page(document_id: int) -> Any:
    """Withdraw a document from the panel."""
    document = services.get_document_for(me(), document_id)
    try:
        services.withdraw_document(me(), document)
        flash(f"{document.label} withdrawn.", "success")
    except HubError as exc:
        _flash_error(exc)
    return _back(document.shipment_id)


@bp.get("/admin/document-rules")
@login_required
def rules_page() -> Any:
    """The rules of the file and the organization's overrides (admins only)."""
    require_admin(me())
    return render_template(
        "documents/rules.html",
        rules=file_rules(),
        overrides=services.list_overrides(me()),
        doc_types=DOCUMENT_TYPES,
        modes=TRANSPORT_MODES,
        country_name=country_name,
    )


@bp.post("/admin/document-rules")
@login_required
def create_rule_page() -> Any:
    """Add an override."""
    require_admin(me())
    body = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    try:
        override = services.create_override(me(), body)
        flash(f"Rule added: {override.effect} {override.label}.", "success")
    except HubError as exc:
        _flash_error(exc)
    return redirect(url_for("documents.rules_page"))


@bp.post("/admin/document-rules/<int:override_id>/delete")
@login_required
def delete_rule_page(override_id: int) -> Any:
    """Remove an override."""
    services.delete_override(me(), override_id)
    flash("Rule removed.", "success")
    return redirect(url_for("documents.rules_page"))
