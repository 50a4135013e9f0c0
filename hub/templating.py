"""Template filters and globals shared by every page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user

from hub.i18n import format_time, install_template_helpers
from hub.permissions.rules import sees_nav_item
from hub.timestamps import to_iso

# Links areas add to the top navigation: (label, endpoint, who, shown) with who "all", "staff"
# or "admin", and `shown` an optional test of the app's settings (None: always).
_nav_items: list[tuple[str, str, str, Callable[[], bool] | None]] = []


def register_nav_item(text: str, endpoint: str, who: str = "all", shown: Callable[[], bool] | None = None) -> None:
    """Show a link in the top navigation (only while `shown()` holds, when given)."""
    if not any(item[:3] == (text, endpoint, who) for item in _nav_items):
        _nav_items.append((text, endpoint, who, shown))


def init_templating(app: Flask) -> None:
    """Register the filters and globals."""
    from flask import url_for

    @app.template_filter("local_time")
    def _local_time(value: datetime | None, fmt: str = "") -> str:
        """Kept for templates that name a format: every time reads the one `format_time` way."""
        return format_time(value)

    install_template_helpers(app)
    app.add_template_filter(to_iso, "iso")

    @app.template_global()
    def viewer_time_zone() -> str:
        """The IANA zone pages show times in: the signed-in user's, else UTC."""
        return current_user.time_zone if current_user and current_user.is_authenticated else "UTC"

    @app.template_global()
    def hub_nav_items() -> list[dict[str, Any]]:
        items = []
        for text, endpoint, who, shown in _nav_items:
            if not sees_nav_item(current_user, who) or (shown is not None and not shown()):
                continue
            items.append({"label": text, "url": url_for(endpoint), "endpoint": endpoint})
        return items
