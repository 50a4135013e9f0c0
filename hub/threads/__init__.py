"""Shipment threads: messages, read state and the live Socket.IO channel."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, abort

#: The endpoint of the Socket.IO path in the URL map (see `register`).
SOCKET_PATH_ENDPOINT = "socket_io_path"


def register(app: Flask) -> None:
    """Register the thread's routes, socket handlers and page panel."""
    from hub.shipments.routes import register_panel
    from hub.threads import rooms
    from hub.threads.api import bp
    from hub.threads.page import thread_page_context
    from hub.threads.sockets import register_socket_handlers

    app.register_blueprint(bp)
    # Flask-SocketIO runs every socket event in a request context built from the connection's
    # request (/socket.io/). Without a route there, Flask's URL matching raised NotFound (for a
    # websocket, WebsocketMismatch) on every event and kept it with its traceback: ~45 objects
    # in reference cycles per event, which kept the garbage collector busy under load. The
    # Socket.IO middleware answers this path before Flask does, so the view never runs. Two
    # rules: werkzeug matches a websocket upgrade only against websocket rules.
    for websocket in (False, True):
        app.add_url_rule("/socket.io/", endpoint=SOCKET_PATH_ENDPOINT, view_func=_answered_by_socketio,
                         methods=["GET"] if websocket else ["GET", "POST"], websocket=websocket,
                         strict_slashes=False)
    register_socket_handlers()
    rooms.install(app)
    from hub.signals import participant_added, subscribe
    from hub.threads.services import on_participant_added

    subscribe({participant_added: on_participant_added})
    register_panel("threads/_panel.html", 20)
    app.add_template_global(thread_page_context, "thread_page_context")


def _answered_by_socketio() -> NoReturn:
    abort(404)
