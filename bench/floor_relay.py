"""The python floor: a bare python-socketio relay served like the hub (gunicorn's gevent
worker, gevent async mode, simple-websocket), that joins rooms and rebroadcasts, with no
authentication and no database. Same events and acknowledgements as the hub's thread.

Run by the benchmark as `python -m gunicorn --worker-class gevent ... bench.floor_relay:app`.
"""

from __future__ import annotations

from typing import Any

import socketio

from hub.serving import settle_garbage_collector

sio = socketio.Server(
    async_mode="gevent",
    cors_allowed_origins="*",
    ping_interval=25,
    ping_timeout=20,
    max_http_buffer_size=1_000_000,
)
app = socketio.WSGIApp(sio)
_seqs: dict[str, int] = {}


def _room(shipment_id: Any) -> str:
    return f"shipment:{shipment_id}"


@sio.on("join")
def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Put the socket in the shipment's room."""
    sio.enter_room(sid, _room(data["shipment_id"]))
    return {"ok": True, "messages": [], "more": False}


@sio.on("send")
def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Number the message per room and rebroadcast it to the room."""
    room = _room(data["shipment_id"])
    seq = _seqs.get(room, 0) + 1
    _seqs[room] = seq
    message = {"shipment_id": data["shipment_id"], "seq": seq, "client_id": data["client_id"], "body": data["body"]}
    sio.emit("message", message, to=room)
    return {"ok": True, "message": message}


# The same process settings as the hub's wsgi.py.
settle_garbage_collector()
