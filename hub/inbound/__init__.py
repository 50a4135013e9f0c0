"""Replies by email: SendGrid's Inbound Parse posts an agent's answer to a shipment email,
which lands in the shipment's thread (and its attachments among its documents)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The webhook, the admins' page and its navigation link."""
    from hub.inbound.routes import bp
    from hub.templating import register_nav_item

    app.register_blueprint(bp)
    register_nav_item("Inbound email", "inbound.admin_page", "admin")
