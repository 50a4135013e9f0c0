"""Pages: sign in and out, password reset, accepting an invitation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from hub.accounts import services
from hub.accounts.admin import bp as admin_bp
from hub.extensions import limiter
from hub.limits import account_key, setting
from hub.templating import register_nav_item

bp = Blueprint("accounts", __name__)
bp.register_blueprint(admin_bp)  # /admin: endpoints `accounts.admin.*`
register_nav_item("Admin", "accounts.admin.index", "admin")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would help phishing.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("shipments.list_page")


def _save_new_password(template: str, save: Callable[[str], object], **context: Any) -> Any | None:
    """Save the form's new password (typed twice) with `save`. Answers the form again (422) when
    the two differ or `save` refuses it (ValueError with the reason); None once saved."""
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        flash("The two passwords differ.", "error")
        return render_template(template, **context), 422
    try:
        save(password)
    except ValueError as exc:
        # The reason names the field: a name refused (a line break in it) says so itself.
        flash(str(exc) if str(exc).startswith("Name ") else f"Password {exc}.", "error")
        return render_template(template, **context), 422
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(setting("RATELIMIT_LOGIN_ACCOUNT"), key_func=account_key, methods=["POST"])
def login() -> Any:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "POST":
        user = services.authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            flash("That email and password do not match an active account.", "error")
            return render_template("accounts/login.html", email=request.form.get("email", "")), 401
        login_user(user, remember=bool(request.form.get("remember")))
        services.touch_login(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", email="")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    """Sign out (POST, so a link cannot sign someone out): the session, remember-me cookies
    and the browser's sockets end at once."""
    services.sign_out(current_user._get_current_object())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(setting("RATELIMIT_PASSWORD_RESET"), key_func=account_key, methods=["POST"])
def forgot_password() -> Any:
    """Ask for a reset link; the answer never tells whether the address exists."""
    if request.method == "POST":
        services.request_password_reset(request.form.get("email", ""))
        flash("If that address belongs to an account, a reset link is on its way.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Set a new password from an emailed link."""
    user = services.user_for_reset_token(token)
    if user is None:
        flash("This reset link is invalid, used or expired. Ask for a new one.", "error")
        return redirect(url_for("accounts.forgot_password"))
    if request.method == "POST":
        refused = _save_new_password(
            "accounts/reset.html", lambda password: services.reset_password(user, password), token=token
        )
        if refused is not None:
            return refused
        login_user(user)
        flash("Your password is changed.", "success")
        return redirect(url_for("shipments.list_page"))
    return render_template("accounts/reset.html", token=token)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    """An invited partner sets a password and lands on the shipment."""
    found = services.invitation_for_token(token)
    if found is None:
        flash("This invitation is invalid, already used or expired. Ask the coordinator for a new one.", "error")
        return redirect(url_for("accounts.login"))
    user, shipment_id = found
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:200]
        refused = _save_new_password(
            "accounts/invitation.html",
            lambda password: services.accept_invitation(user, name, password),
            token=token,
            invitee=user,
        )
        if refused is not None:
            return refused
        login_user(user)
        flash("Welcome to Clearance Hub.", "success")
        landing = services.invitation_landing(token)
        if landing is not None:  # an invitation still to accept: the shipment is not theirs yet
            return redirect(_safe_next(landing))
        return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))
    return render_template("accounts/invitation.html", token=token, invitee=user)
