"""Rendering an email in its recipient's language and time zone: subject, text and HTML
parts (CSS inlined), absolute links and the one-click unsubscribe headers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import css_inline
from flask import current_app, g
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import TemplateNotFound

from hub.i18n import SUPPORTED_LOCALES, country_name, local_time
from hub.milestones_catalogue import label as milestone_label_en

_UNSUBSCRIBE_SALT = "hub.notifications.unsubscribe"


def N_(message: str) -> str:
    """Mark a string for the message catalogue; it is translated where it is shown."""
    return message


# The catalogue's labels and the participant roles, marked so they reach the catalogues.
_MILESTONE_LABELS = (
    N_("New"), N_("Booked"), N_("Documents requested"), N_("Documents complete"), N_("Declaration filed"),
    N_("Departed"), N_("Arrived"), N_("Under inspection"), N_("On hold"), N_("Duties assessed"),
    N_("Duties paid"), N_("Released"), N_("Delivered"),
)
_ROLES = {
    "coordinator": N_("coordinator"),
    "agent": N_("customs agent"),
    "broker": N_("customs broker"),
    "forwarder": N_("forwarder"),
    "observer": N_("observer"),
}
# The words people read for the levels, as on the settings page (hub.i18n.level_word).
_LEVELS = {"all": N_("Everything"), "milestones": N_("Milestones, mentions and documents"), "mute": N_("Nothing")}


@dataclass
class RenderedEmail:
    """What the outbox row stores."""

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on PUBLIC_BASE_URL (there is no request in the worker)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, shipment_id: int) -> str:
    """A signed token naming the user and the shipment to mute (no login needed)."""
    return _serializer().dumps({"u": user_id, "s": shipment_id})


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(user_id, shipment_id) of a valid token, else None."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), int):
        return None
    return data["u"], data["s"]


def unsubscribe_url(user_id: int, shipment_id: int) -> str:
    """The absolute one-click unsubscribe URL of the List-Unsubscribe header and the footer."""
    return public_url("notifications.unsubscribe", token=unsubscribe_token(user_id, shipment_id))


@contextmanager
def recipient_context(locale: str | None, time_zone: str | None) -> Iterator[None]:
    """Render in the recipient's locale and time zone (hub.i18n honours `g.hub_locale`)."""
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    saved = (g.get("hub_locale"), g.get("hub_time_zone"))
    g.hub_locale, g.hub_time_zone = locale, time_zone or "UTC"
    try:
        with force_locale(locale):
            yield
    finally:
        g.hub_locale, g.hub_time_zone = saved


def email_time(value: datetime | None) -> str:
    """Template filter: a UTC time in the recipient's time zone, with the zone's name."""
    return local_time(value, g.get("hub_time_zone") or "UTC")


def milestone_label(code: str) -> str:
    """Template filter: the catalogue label of a code, translated."""
    return gettext(milestone_label_en(code))


def role_label(role: str) -> str:
    """Template filter: a participant role, translated."""
    return gettext(_ROLES[role]) if role in _ROLES else role


def level_label(level: str) -> str:
    """Template filter: a preference level, translated."""
    return gettext(_LEVELS[level]) if level in _LEVELS else level


def country_label(code: str | None) -> str:
    """Template filter: a country's name in the current locale (Babel's CLDR names)."""
    return country_name(code, g.get("hub_locale") or "en")


def render_email(template: str, context: dict[str, Any], *, subject: str | None = None) -> RenderedEmail:
    """Render `email/<template>.subject.txt`, `.txt` and `.html` with the current (forced)
    locale; the HTML's `<style>` is inlined so mail clients that drop it still show it."""
    env = current_app.jinja_env
    try:
        subject_text = env.get_template(f"email/{template}.subject.txt").render(**context)
    except TemplateNotFound:
        if subject is None:
            raise
        subject_text = subject
    # A subject is one line: newlines would split the header.
    subject_text = " ".join(subject_text.split())[:300]
    from flask import render_template

    text = render_template(f"email/{template}.txt", **context).strip() + "\n"
    html = css_inline.inline(render_template(f"email/{template}.html", **context))
    return RenderedEmail(subject=subject_text, text=text, html=html)
