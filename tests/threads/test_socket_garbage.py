"""Socket events make (almost) no garbage in reference cycles: under load such garbage made the
collector pause the whole server process every few seconds."""

from __future__ import annotations

import gc
import uuid
from collections import Counter

from flask import Flask
from werkzeug.test import EnvironBuilder

from hub.extensions import socketio

EVENTS = 20


def test_the_socket_path_matches_a_route_for_polling_and_websocket_requests(app: Flask):
    # Flask-SocketIO handles each event in a request context built from the connection's
    # request; URL matching must succeed, or Flask keeps an exception with its traceback.
    for path, headers in (("/socket.io/", {}), ("/socket.io", {}),
                          ("/socket.io/", {"Upgrade": "websocket", "Connection": "Upgrade"})):
        environ = EnvironBuilder(path=path, query_string="EIO=4&transport=polling", headers=headers).get_environ()
        with app.request_context(environ) as ctx:
            assert ctx.request.routing_exception is None, (path, headers, ctx.request.routing_exception)


def test_socket_events_leave_no_request_or_exception_in_reference_cycles(app: Flask, world, monkeypatch):
    # Handled inline, so the test client gets each acknowledgement as `emit`'s answer.
    monkeypatch.setattr(socketio.server, "async_handlers", False)
    client = socketio.test_client(app, auth={"token": world.tokens["staff"]})
    assert client.is_connected()
    sid = world.shipment.id
    assert client.emit("join", {"shipment_id": sid, "after_seq": 0}, callback=True)["ok"]

    def send(i: int) -> None:
        ack = client.emit("send", {"shipment_id": sid, "body": f"**{i}**", "client_id": str(uuid.uuid4())},
                          callback=True)
        assert ack["ok"], ack

    for i in range(3):  # first uses fill caches once (compiled statements and the like)
        send(i)
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        gc.garbage.clear()
        # Objects of earlier tests' apps may become garbage meanwhile: only new ones count.
        before = {id(o) for o in gc.get_objects()}
        for i in range(EVENTS):
            send(i)
        gc.collect()
        kinds = Counter(type(o).__name__ for o in gc.garbage if id(o) not in before)
        del before
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        client.disconnect()
    assert kinds["RequestContext"] == 0, kinds
    assert not [name for name in kinds if name.endswith(("Exception", "NotFound", "NoMatch", "Mismatch"))], kinds
    # What remains is werkzeug's matcher (a nested recursive function per match) and the like.
    assert sum(kinds.values()) / EVENTS < 20, kinds
