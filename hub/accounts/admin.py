"""Admin pages (admins only): the people of the admin's own organization (add, deactivate,
reactivate) and the partner organizations working on its shipments.

Partners join through invitations from a shipment; a shipper's admin never sees or manages
another shipper's people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from hub.accounts import services
from hub.accounts.models import LOCALES, USER_ROLES, User
from hub.errors import N_, HubError, NotFound
from hub.extensions import db
from hub.permissions import require_admin, visible_organizations

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin(current_user)


@bp.get("/")
def index() -> Any:
    """The organization's people, with a form to add one, and its partner organizations."""
    users = db.session.scalars(
        select(User).where(User.organization_id == current_user.organization_id).order_by(User.name)
    ).all()
    partners = [org for org in visible_organizations(current_user) if org.id != current_user.organization_id]
    return render_template(
        "accounts/admin.html", users=users, partners=partners, roles=USER_ROLES, locales=LOCALES
    )


@bp.post("/users")
def create_user() -> Any:
    """Add a colleague with a password (partners are invited from a shipment instead)."""
    form = request.form
    try:
        user = services.create_user(
            current_user,
            email=form.get("email", ""),
            name=form.get("name", "").strip(),
            organization_id=current_user.organization_id,
            role=form.get("role", ""),
            password=form.get("password", ""),
            locale=form.get("locale", "en"),
            tz=form.get("time_zone", "").strip() or None,
        )
        db.session.commit()
    except HubError as exc:
        return _back_to_index(_describe(exc), "error")
    return _back_to_index(f"{user.name} ({user.email}) added.", "success")


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int) -> Any:
    """Deactivate (they can no longer sign in, their tokens stop working) or reactivate a user."""
    user = db.session.get(User, user_id)
    if user is None or user.organization_id != current_user.organization_id:
        raise NotFound(N_("User not found."))
    active = request.form.get("active") == "1"
    try:
        services.set_user_active(current_user, user, active)
    except HubError as exc:
        return _back_to_index(_describe(exc), "error")
    return _back_to_index(_("%(name)s is active again.", name=user.name) if active else _("%(name)s is deactivated.", name=user.name), "success")


def _back_to_index(message: str, category: str) -> Any:
    """Flash the outcome and show the admin page again (nothing half-done is kept on error)."""
    if category == "error":
        db.session.rollback()
    flash(message, category)
    return redirect(url_for("accounts.admin.index"))


def _describe(exc: HubError) -> str:
    return exc.localized()
