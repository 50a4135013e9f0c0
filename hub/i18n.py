"""Locale and time zone of the viewer (pages) or the recipient (emails)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g, request
from flask_login import current_user

from hub.timestamps import to_iso

SUPPORTED_LOCALES = ("en", "es", "zh_Hans")


def select_locale() -> str:
    """An explicit override (email rendering), the user's locale, or the browser's."""
    forced = g.get("hub_locale")
    if forced:
        return forced
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en" if request else "en"


def select_time_zone() -> str:
    """The recipient's or viewer's IANA time zone."""
    forced = g.get("hub_time_zone")
    if forced:
        return forced
    if current_user and current_user.is_authenticated:
        return current_user.time_zone
    return "UTC"


def local_time(value: datetime | None, time_zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in `time_zone`, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(time_zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def iso(value: datetime | None) -> str | None:
    """Template helper: the ISO 8601 Z form."""
    return to_iso(value)
