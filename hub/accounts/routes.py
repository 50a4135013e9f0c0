"""Pages: sign in and out, password reset, accepting an invitation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hub.accounts import services
from hub.accounts.admin import bp as admin_bp
from hub.accounts.models import LOCALES, TOKEN_SCOPES, ApiToken
from hub.accounts.services import check_name, check_profile
from hub.business_days import WEEKDAYS
from hub.errors import ValidationFailed, reason, translate
from hub.extensions import db, limiter
from hub.i18n import browser_locale
from hub.limits import account_key, setting, user_key
from hub.reference_data import all_time_zones
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
        flash(_("The two passwords differ."), "error")
        return render_template(template, **context), 422
    try:
        save(password)
    except ValueError as exc:
        # The reason names the field: a name refused (a line break in it) says so itself.
        flash(translate(reason(exc)) if str(exc).startswith("Name ") else _("Password %(why)s.", why=translate(reason(exc))),
              "error")
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
            flash(_("That email and password do not match an active account."), "error")
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
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(setting("RATELIMIT_PASSWORD_RESET"), key_func=account_key, methods=["POST"])
def forgot_password() -> Any:
    """Ask for a reset link; the answer never tells whether the address exists."""
    if request.method == "POST":
        services.request_password_reset(request.form.get("email", ""))
        flash(_("If that address belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Set a new password from an emailed link."""
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This reset link is invalid, used or expired. Ask for a new one."), "error")
        return redirect(url_for("accounts.forgot_password"))
    if request.method == "POST":
        refused = _save_new_password(
            "accounts/reset.html", lambda password: services.reset_password(user, password), token=token
        )
        if refused is not None:
            return refused
        login_user(user)
        flash(_("Your password is changed."), "success")
        return redirect(url_for("shipments.list_page"))
    return render_template("accounts/reset.html", token=token)


def _profile_page(status: int = 200, **context: Any) -> Any:
    """The profile page with the caller's tokens (and a new token's secret, shown once)."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    ).all()
    return render_template("accounts/profile.html", tokens=tokens, time_zones=all_time_zones(),
                           locales=LOCALES, weekdays=WEEKDAYS, hours=current_user.working_hours(),
                           **context), status


def _profile_values() -> dict[str, Any]:
    """The profile form as the `PATCH /api/v1/me` body it amounts to, checked the same way."""
    days = request.form.getlist("work_days")
    body: dict[str, Any] = {
        "name": request.form.get("name", "").strip(),
        "locale": request.form.get("locale", ""),
        "time_zone": request.form.get("time_zone", "").strip(),
        "working_hours": {"start": request.form.get("work_start", ""), "end": request.form.get("work_end", ""),
                          "days": days if request.form.get("own_days") else None},
    }
    return check_profile(body, current_user)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile_page() -> Any:
    """The caller's name, language, time zone and working hours; links to the rest."""
    if request.method == "POST":
        try:
            values = _profile_values()
        except ValidationFailed as exc:
            flash(_("Your profile was not saved. Check the fields marked below."), "error")
            return _profile_page(422, errors=exc.fields or {})
        services.update_profile(current_user, values)
        refresh()  # the answer speaks the language just chosen
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile_page"))
    return _profile_page()


@bp.post("/me/password")
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def change_password_page() -> Any:
    """Change the password (the current one first); the user's other sessions and sockets end."""
    user = current_user._get_current_object()
    if request.form.get("password", "") != request.form.get("confirm", ""):
        flash(_("The two passwords differ."), "error")
        return _profile_page(422)
    try:
        services.change_password(user, request.form.get("current", ""), request.form.get("password", ""))
    except ValueError as exc:
        flash(_("Password %(why)s.", why=translate(reason(exc))), "error")
        return _profile_page(422)
    # This browser stays signed in: its session now carries the new generation.
    login_user(user, remember=bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))))
    flash(_("Your password is changed. Your other sessions are signed out."), "success")
    return redirect(url_for("accounts.profile_page"))


@bp.post("/me/tokens")
@login_required
@limiter.limit(setting("RATELIMIT_TOKENS"), key_func=user_key)
def create_token_page() -> Any:
    """Create an API token; its secret is shown on the page once."""
    name = request.form.get("name", "").strip()
    scope = request.form.get("scope", "write")
    if scope not in TOKEN_SCOPES or len(name) > 100 or check_name(name or "x") is not None:
        flash(_("The token was not created: give it a name of at most 100 characters on one line."), "error")
        return _profile_page(422)
    _token, secret = services.create_token(current_user, name, scope=scope)
    return _profile_page(201, new_secret=secret)


@bp.post("/me/tokens/<int:token_id>/revoke")
@login_required
def revoke_token_page(token_id: int) -> Any:
    """Revoke one of the caller's tokens (404 for anyone else's)."""
    services.revoke_token(current_user, token_id)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.profile_page"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    """An invited partner sets a password and lands on the shipment."""
    found = services.invitation_for_token(token)
    if found is None:
        flash(_("This invitation is invalid, already used or expired. Ask the coordinator for a new one."), "error")
        return redirect(url_for("accounts.login"))
    user, shipment_id = found
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:200]
        try:
            # The page always sends both (pre-filled from the browser); a client that sends
            # neither keeps what the inviter chose. Sent but empty is refused: never silently UTC.
            settings = check_profile({key: request.form[key].strip() for key in ("locale", "time_zone")
                                      if key in request.form}, user)
        except ValidationFailed as exc:
            flash(_("Choose your language and time zone."), "error")
            return render_template("accounts/invitation.html", token=token, invitee=user, time_zones=all_time_zones(),
                                   locales=LOCALES, errors=exc.fields or {}), 422
        refused = _save_new_password(
            "accounts/invitation.html",
            lambda password: services.accept_invitation(user, name, password, settings),
            token=token,
            invitee=user,
            time_zones=all_time_zones(),
            locales=LOCALES,
        )
        if refused is not None:
            return refused
        login_user(user)
        flash(_("Welcome to Clearance Hub."), "success")
        landing = services.invitation_landing(token)
        if landing is not None:  # an invitation still to accept: the shipment is not theirs yet
            return redirect(_safe_next(landing))
        return redirect(url_for("shipments.detail_page", shipment_id=shipment_id))
    return render_template("accounts/invitation.html", token=token, invitee=user, time_zones=all_time_zones(),
                           locales=LOCALES, suggested_locale=browser_locale())
