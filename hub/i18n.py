"""Locale and time zone of the viewer (pages) or the recipient (emails)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g, request
from flask_login import current_user

from hub.timestamps import to_iso

SUPPORTED_LOCALES = ("en", "es", "zh_Hans")


def _forced_or_users(name: str) -> str | None:
    """`g.hub_<name>` when set (an email renders in its recipient's), else the signed-in user's."""
    forced = g.get(f"hub_{name}")
    if forced:
        return forced
    if current_user and current_user.is_authenticated:
        return getattr(current_user, name)
    return None


def select_locale() -> str:
    """An explicit override (email rendering), the user's locale, or the browser's."""
    chosen = _forced_or_users("locale")
    if chosen is not None:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en" if request else "en"


def select_time_zone() -> str:
    """The recipient's or viewer's IANA time zone."""
    chosen = _forced_or_users("time_zone")
    return chosen if chosen is not None else "UTC"


def local_time(value: datetime | None, time_zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in `time_zone`, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(time_zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def iso(value: datetime | None) -> str | None:
    """Template helper: the ISO 8601 Z form."""
    return to_iso(value)
