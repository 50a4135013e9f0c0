"""Pages: the shipment list, a new shipment, the shipment page and its participants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from hub import reference_data
from hub.accounts.models import ORGANIZATION_KINDS
from hub.errors import HubError
from hub.extensions import db, limiter
from hub.forms import flashed_errors
from hub.i18n import country_choices, role_label
from hub.limits import setting, user_key
from hub.payload import MAX_ID
from hub.permissions import Action, can, can_create_shipments, get_shipment_for, require_staff, visible_organizations
from hub.shipments import services
from hub.shipments.extras import list_extras, list_filter_labels, shipment_extras
from hub.shipments.models import INCOTERMS, PARTICIPANT_ROLES, TRANSPORT_MODES, Shipment
from hub.templating import register_nav_item

# Optional fields of the shipment form: an empty input means "none" when editing.
_OPTIONAL_FORM_FIELDS = (
    "port_of_entry", "incoterm", "goods_description", "declared_value", "currency", "etd", "eta",
    "port_of_entry_subdivision", "transport_document_number", "carrier", "vessel_or_flight", "purchase_order",
    "customs_entry_number", "consignee", "supplier", "port_of_loading",
)
# Fields typed as a list in one input: split on commas or semicolons, HS codes on spaces too
# (a container number is often written with spaces: "CSQU 305438 3").
_LIST_FORM_FIELDS = ("hs_codes", "container_numbers")

bp = Blueprint("shipments", __name__)


def _has_pending_invitations() -> bool:
    """Whether the signed-in user has an invitation waiting (False when the database cannot
    say: an error page must still render)."""
    try:
        return bool(services.pending_invitations(current_user))
    except SQLAlchemyError:
        db.session.rollback()
        return False


# Shown while the signed-in user has an invitation waiting for their answer.
register_nav_item("Invitations", "shipments.invitations_page", "all", shown=_has_pending_invitations)

# Templates included on the shipment page, in order; areas add theirs with `register_panel`.
_panels: list[tuple[int, str]] = []


def register_panel(template: str, order: int) -> None:
    """Show `template` on the shipment page (lower `order` first)."""
    if (order, template) not in _panels:
        _panels.append((order, template))
        _panels.sort()


@bp.get("/shipments")
@login_required
def list_page() -> Any:
    """Shipment list with search and filters."""
    from hub.milestones_catalogue import STATUS_CODES

    filters = {k: request.args.get(k, "").strip() for k in ("q", "country", "mode", "status", "shows")}
    show_options = list_filter_labels()
    try:
        page = min(max(1, int(request.args.get("page", "1"))), MAX_ID)
    except ValueError:
        page = 1
    rows, total = services.list_shipments(
        current_user,
        search=filters["q"] or None,
        country=filters["country"] or None,
        mode=filters["mode"] if filters["mode"] in TRANSPORT_MODES else None,
        status=filters["status"] or None,
        shows=filters["shows"] if filters["shows"] in show_options else None,
        page=page,
        per_page=50,
    )
    return render_template(
        "shipments/list.html",
        rows=rows,
        extras=list_extras(current_user, [shipment for shipment, _unread in rows]),
        show_options=show_options,
        total=total,
        page=page,
        pages=max(1, (total + 49) // 50),
        filters=filters,
        modes=TRANSPORT_MODES,
        statuses=STATUS_CODES,
        countries=services.visible_countries(current_user),
        can_create=can_create_shipments(current_user),
        filtered=any(filters.values()),
    )


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "country_options": [(code, f"{name} ({code})") for code, name in country_choices(_country_codes())],
        "mode_options": [(mode, mode.capitalize()) for mode in TRANSPORT_MODES],
        "incoterm_options": [(term, term) for term in INCOTERMS],
        "currencies": reference_data.all_currencies(),
        **extra,
    }


def shipment_form_body(form: dict[str, str], editing: bool) -> dict[str, Any]:
    """The API body for the shipment form: blank inputs are left out when creating and clear
    optional fields when editing; HS codes are split on commas, semicolons or spaces, container
    numbers on commas or semicolons."""
    body: dict[str, Any] = {}
    for key in services.SHIPMENT_FIELDS:
        if key not in form:
            continue
        value = form[key].strip()
        if key in _LIST_FORM_FIELDS:
            separated = value.replace(";", ",").replace("\n", ",")
            if key == "hs_codes":
                separated = separated.replace(" ", ",")
            codes = [c.strip() for c in separated.split(",") if c.strip()]
            if codes or editing:
                body[key] = codes
        elif value:
            body[key] = value
        elif editing:
            # Clearing an optional field removes it; a cleared required one gets its 422.
            body[key] = None if key in _OPTIONAL_FORM_FIELDS else ""
    return body


def _form_values(shipment: Shipment) -> dict[str, str]:
    values = {key: "" if getattr(shipment, key) is None else str(getattr(shipment, key))
              for key in services.SHIPMENT_FIELDS if key not in (*_LIST_FORM_FIELDS, "etd", "eta")}
    for key in _LIST_FORM_FIELDS:
        values[key] = ", ".join(getattr(shipment, key) or [])
    for key in ("etd", "eta"):
        moment = getattr(shipment, key)
        values[key] = moment.strftime("%Y-%m-%d") if moment is not None else ""
    return values


@bp.route("/shipments/new", methods=["GET", "POST"])
@login_required
def new_page() -> Any:
    """Create a shipment from a form (staff only)."""
    require_staff(current_user)
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            shipment = services.create_shipment(current_user, shipment_form_body(form, editing=False))
        except HubError as exc:
            db.session.rollback()
            return render_template(
                "shipments/new.html", **_form_context(form=form, errors=exc.fields or {}, message=exc.message)
            ), exc.status
        flash(_("Shipment %(reference)s created. Add the partners who work on it.", reference=shipment.reference), "success")
        return redirect(url_for("shipments.detail_page", shipment_id=shipment.id))
    return render_template("shipments/new.html", **_form_context(form=form, errors={}, message=None))


@bp.route("/shipments/<int:shipment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_page(shipment_id: int) -> Any:
    """Edit a shipment's facts (staff of the owner)."""
    shipment = get_shipment_for(current_user, shipment_id, Action.EDIT_SHIPMENT)
    if request.method == "POST":
        form = request.form.to_dict()
        before = _form_values(shipment)
        # Send only what changed: an untouched ETA keeps its time of day, which the date input hides.
        changed = {k: v for k, v in form.items() if k in before and v.strip() != before[k].strip()}
        try:
            services.update_shipment(current_user, shipment, shipment_form_body(changed, editing=True))
        except HubError as exc:
            db.session.rollback()
            return render_template(
                "shipments/edit.html",
                **_form_context(shipment=shipment, form=form, errors=exc.fields or {}, message=exc.message),
            ), exc.status
        flash(_("Shipment %(reference)s saved.", reference=shipment.reference), "success")
        return redirect(url_for("shipments.detail_page", shipment_id=shipment.id))
    return render_template(
        "shipments/edit.html", **_form_context(shipment=shipment, form=_form_values(shipment), errors={}, message=None)
    )


@bp.get("/shipments/<int:shipment_id>")
@login_required
def detail_page(shipment_id: int) -> Any:
    """The shipment page: facts, participants and each area's panel."""
    shipment = get_shipment_for(current_user, shipment_id)
    return render_template(
        "shipments/detail.html",
        shipment=shipment,
        extras=shipment_extras(current_user, shipment),
        panels=[template for _order, template in _panels],
        can_manage=can(current_user, Action.MANAGE_PARTICIPANTS, shipment),
        can_post=can(current_user, Action.POST_MESSAGE, shipment),
        can_edit=can(current_user, Action.EDIT_SHIPMENT, shipment),
        roles=PARTICIPANT_ROLES,
        organizations=visible_organizations(current_user) if current_user.is_staff else [],
        organization_kinds=[k for k in ORGANIZATION_KINDS if k != "shipper"],
        countries=country_choices(_country_codes()),
        invite_time_zones=reference_data.invite_time_zones() if can(current_user, Action.MANAGE_PARTICIPANTS, shipment)
        else [],
        Action=Action,
        can=can,
    )


@bp.post("/shipments/<int:shipment_id>/participants")
@limiter.shared_limit(setting("RATELIMIT_INVITATIONS"), scope="invitations", key_func=user_key)
@login_required
def add_participant_page(shipment_id: int) -> Any:
    """Add or invite a participant from the shipment page."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    body: dict[str, Any] = {"email": request.form.get("email", ""), "role": request.form.get("role", "")}
    if request.form.get("organization_id"):
        try:
            body["organization_id"] = int(request.form["organization_id"])
        except ValueError:
            body["organization_id"] = request.form["organization_id"]
    elif request.form.get("org_name"):
        body["organization"] = {
            "name": request.form.get("org_name", ""),
            "kind": request.form.get("org_kind", ""),
            "country": request.form.get("org_country", ""),
        }
    if request.form.get("name"):
        body["name"] = request.form["name"]
    for field in ("locale", "time_zone"):
        if request.form.get(field):
            body[field] = request.form[field]
    with flashed_errors():
        added = services.add_participant(current_user, shipment, body)
        participant = added.participant
        if added.pending or participant is None:
            # Only what the coordinator typed: who owns the address stays theirs to tell.
            flash(_("Invitation sent to %(email)s. They take part once they accept.", email=added.typed_email),
                  "success")
        elif added.invited:
            flash(_("Invitation sent to %(email)s.", email=participant.user.email), "success")
        elif added.created:
            flash(_("%(name)s added as %(role)s.", name=participant.user.name, role=role_label(participant.role)),
                  "success")
        else:
            flash(_("%(name)s is now %(role)s.", name=participant.user.name, role=role_label(participant.role)), "success")
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))


# --- the invitee's side of a pending invitation ----------------------------------------------

@bp.get("/shipment-invitations")
@login_required
def invitations_page() -> Any:
    """The signed-in user's pending invitations, to accept or decline; `?token=` (the email's
    signed link) names one of them, and is refused once answered, expired or someone else's."""
    highlighted = None
    token = request.args.get("token")
    if token:
        invitation = services.invitation_for_link(current_user, token)
        if invitation is None:
            flash(_("This invitation link is invalid, already answered, expired or for another account."), "error")
        else:
            highlighted = invitation.id
    return render_template("shipments/invitations.html", invitations=services.pending_invitations(current_user),
                           highlighted=highlighted)


@bp.post("/shipment-invitations/<int:invitation_id>/accept")
@login_required
def accept_invitation(invitation_id: int) -> Any:
    """Accept: the user joins the shipment and lands on it."""
    with flashed_errors():
        checked = services.check_answer_invitation(current_user, invitation_id)
        shipment = services.do_accept_invitation(checked)
        flash(_("You now take part in shipment %(reference)s.", reference=shipment.reference), "success")
        return redirect(url_for("shipments.detail_page", shipment_id=checked.shipment_id))
    return redirect(url_for("shipments.invitations_page"))


@bp.post("/shipment-invitations/<int:invitation_id>/decline")
@login_required
def decline_invitation(invitation_id: int) -> Any:
    """Decline: the invitation is gone; the coordinator learns nothing but that it is no longer pending."""
    with flashed_errors():
        services.do_decline_invitation(services.check_answer_invitation(current_user, invitation_id))
        flash(_("Invitation declined."), "success")
    return redirect(url_for("shipments.invitations_page"))


@bp.post("/shipments/<int:shipment_id>/participants/<int:user_id>/remove")
@login_required
def remove_participant_page(shipment_id: int, user_id: int) -> Any:
    """Remove a participant from the shipment page."""
    shipment = get_shipment_for(current_user, shipment_id, Action.MANAGE_PARTICIPANTS)
    services.remove_participant(current_user, shipment, user_id)
    flash(_("Participant removed."), "success")
    return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))


def _country_codes() -> list[str]:
    """Every ISO 3166-1 country's code (named in the viewer's language by `country_choices`)."""
    return [code for code, _name in reference_data.all_countries()]
