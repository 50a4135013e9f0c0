"""Pages: the documents panel of the shipment page (forms work without JavaScript too) and the
admins' page of required-document rule overrides."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import exists, select

from hub.documents import services
from hub.documents.api import me, streamed_version
from hub.documents.catalogue import DOCUMENT_TYPES
from hub.documents.models import Document
from hub.documents.rules import countries_document_rules, file_rules
from hub.errors import N_, UnsupportedMediaType
from hub.extensions import db, limiter
from hub.forms import filled_fields, flashed_errors
from hub.i18n import doc_type_label, milestone_label
from hub.limits import setting, user_key
from hub.permissions import Action, can, get_shipment_for, require_admin
from hub.reference_data import country_name
from hub.shipments.models import TRANSPORT_MODES, Shipment

bp = Blueprint("documents", __name__)
#: A panel form's action on the shipment or document its URL names.
PanelAction = Callable[[Any], None]


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
        "preview_types": PREVIEW_TYPES,
    }


def _back(shipment_id: int) -> Any:
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id) + "#documents")


def _panel_form(rule: str, load: Callable[[int], Shipment | Document],
                upload: bool = False) -> Callable[[PanelAction], Callable[..., Any]]:
    """Register a form post of the documents panel, for signed-in users. `load` reads the URL's
    shipment or document for the user (an error page when they may not see or act on it); the
    view acts on it, a HubError it raises becomes an error flash; the answer goes back to the
    shipment's panel. `upload`: counted against the user's RATELIMIT_UPLOADS."""

    def register(view: PanelAction) -> Callable[..., Any]:
        @wraps(view)
        def post(**url_ids: int) -> Any:
            (url_id,) = url_ids.values()
            loaded = load(url_id)
            with flashed_errors():
                view(loaded)
            return _back(loaded.id if isinstance(loaded, Shipment) else loaded.shipment_id)

        view_func = login_required(post)
        if upload:
            view_func = limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="uploads", key_func=user_key)(view_func)
        return bp.post(rule)(view_func)

    return register


def _on_shipment(action: Action) -> Callable[[int], Shipment]:
    """Loads a shipment the user may do `action` on."""
    return lambda shipment_id: get_shipment_for(me(), shipment_id, action)


def _on_document(action: Action = Action.VIEW) -> Callable[[int], Document]:
    """Loads a document the user may do `action` on."""
    return lambda document_id: services.get_document_for(me(), document_id, action)


@_panel_form("/shipments/<int:shipment_id>/documents/upload", _on_shipment(Action.UPLOAD_DOCUMENT), upload=True)
def upload_page(shipment: Shipment) -> None:
    """Upload one or more files from the panel's form (the script uses the API instead)."""
    files = [f for f in request.files.getlist("file") if f.filename]
    form = {k: v for k, v in request.form.items() if k in ("doc_type", "note")}
    if not files:
        services.check_upload_fields(form, 0, with_doc_type=True)
    values = services.check_upload_fields(form, 1, with_doc_type=True)
    for file in files:
        staged = services.stage_file(file.stream, file.filename)
        services.upload_document(me(), shipment, values["doc_type"], values.get("note"), staged)
        flash(_("Uploaded %(file)s.", file=staged.filename), "success")


@_panel_form("/documents/<int:document_id>/versions", _on_document(Action.UPLOAD_DOCUMENT), upload=True)
def version_page(document: Document) -> None:
    """Upload a new version from the panel."""
    file = request.files.get("file")
    values = services.check_upload_fields(
        {k: v for k, v in request.form.items() if k == "note"}, 1 if file and file.filename else 0, False
    )
    assert file is not None
    staged = services.stage_file(file.stream, file.filename)
    version = services.add_document_version(me(), document, values.get("note"), staged)
    flash(_("Uploaded version %(version)s of %(document)s.", version=version.version, document=doc_type_label(document.doc_type)), "success")


@_panel_form("/shipments/<int:shipment_id>/document-requests", _on_shipment(Action.REQUEST_DOCUMENT))
def request_page(shipment: Shipment) -> None:
    """Request a document from the panel."""
    body: dict[str, Any] = dict(filled_fields(("doc_type", "due_date", "note", "assignee_id")))
    if isinstance(body.get("assignee_id"), str):
        # A form sends the id as text; the service checks it is a participant.
        body["assignee_id"] = int(body["assignee_id"]) if body["assignee_id"].isdigit() else body["assignee_id"]
    row = services.request_document(me(), shipment, body)
    flash(_("Requested %(document)s.", document=doc_type_label(row.doc_type)), "success")


@_panel_form("/documents/<int:document_id>/review", _on_document(Action.REVIEW_DOCUMENT))
def review_page(document: Document) -> None:
    """Accept, or reject with a reason, from the panel."""
    body = filled_fields(("decision", "reason"))
    services.check_not_own_upload(me(), document)
    _version, completed = services.do_review_document(me(), document, body)
    flash(_("%(document)s accepted.", document=doc_type_label(document.doc_type)) if body.get("decision") == "accept"
          else _("%(document)s rejected.", document=doc_type_label(document.doc_type)), "success")
    if completed:
        flash(_("Every required document is accepted: you can record “%(milestone)s”.", milestone=milestone_label("documents_complete")), "success")


@_panel_form("/documents/<int:document_id>/withdraw", _on_document())
def withdraw_page(document: Document) -> None:
    """Withdraw a document from the panel."""
    services.withdraw_document(me(), document)
    flash(_("%(document)s withdrawn.", document=doc_type_label(document.doc_type)), "success")


#: The types the page previews in place: PDF in the browser's own viewer, images inline.
PREVIEW_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
#: The preview's own policy: nothing runs, nothing loads but the file itself, framed by the hub only.
PREVIEW_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@bp.get("/documents/<int:document_id>/preview")
@login_required
def preview(document_id: int) -> Any:
    """The current version (or `?version=N`) of a PDF or image, `inline` for the page's preview
    frame; the same authorization as the download, other types 415."""
    document = services.get_document_for(me(), document_id)
    version = services.version_of(document, request.args.get("version"))
    if version.content_type not in PREVIEW_TYPES:
        raise UnsupportedMediaType(N_("There is no preview of this type of file; download it instead."))
    response: Response = streamed_version(document, version, inline=True)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    # Framed by the shipment page (the pages' own answers say DENY).
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/admin/document-rules")
@login_required
def rules_page() -> Any:
    """The rules of the file and the organization's overrides (admins only)."""
    require_admin(me())
    return render_template(
        "documents/rules.html",
        rules=file_rules(),
        country_rules=countries_document_rules(),
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
    with flashed_errors():
        override = services.create_override(me(), filled_fields())
        flash(_("Rule added: %(effect)s %(document)s.", effect=_(override.effect), document=doc_type_label(override.doc_type)), "success")
    return redirect(url_for("documents.rules_page"))


@bp.post("/admin/document-rules/<int:override_id>/delete")
@login_required
def delete_rule_page(override_id: int) -> Any:
    """Remove an override."""
    services.delete_override(me(), override_id)
    flash(_("Rule removed."), "success")
    return redirect(url_for("documents.rules_page"))
