"""Shipment threads: messages, read state and the live Socket.IO channel."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the thread's routes, socket handlers and page panel."""
    from hub.shipments.routes import register_panel
    from hub.threads import rooms
    from hub.threads.api import bp
    from hub.threads.page import thread_page_context
    from hub.threads.sockets import register_socket_handlers

    app.register_blueprint(bp)
    register_socket_handlers()
    rooms.install(app)
    register_panel("threads/_panel.html", 20)
    app.add_template_global(thread_page_context, "thread_page_context")

