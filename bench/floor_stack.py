"""The stack floor: the durable floor's work (`bench.floor_durable`), done through the stack the
hub is built on: a Flask app, Flask-SocketIO's handlers and Flask-SQLAlchemy's session.

Per send it does what the durable floor does (one SQLite transaction that advances the room's
`seq` and inserts the message under a unique `client_id`, commits, then acknowledges and
rebroadcasts) and nothing the hub adds: no authentication, no rendering, no email bookkeeping.
What it costs beyond the durable floor is what Flask-SocketIO (a request context and the
socket's session for every event) and Flask-SQLAlchemy (a scoped session, a pooled connection,
SQLAlchemy's statement execution) cost before the hub does any work of its own, with the stack
used as it is meant to be (handlers registered straight on python-socketio, or a bare driver
connection, would each skip part of it).

Run by the benchmark as `python -m gunicorn --worker-class gevent ... bench.floor_stack:app`
with `BENCH_DURABLE_DB` naming the database file.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask
from flask_socketio import SocketIO, join_room
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from bench.floor_durable import open_database
from hub.serving import settle_garbage_collector

DATABASE = os.environ.get("BENCH_DURABLE_DB", "")
if not DATABASE:
    raise SystemExit("bench.floor_stack needs BENCH_DURABLE_DB (a SQLite file)")
open_database(DATABASE).close()  # the durable floor's schema and WAL mode

app = Flask(__name__)
app.config.update(SECRET_KEY="bench-stack-floor", SQLALCHEMY_DATABASE_URI=f"sqlite:///{DATABASE}")
db = SQLAlchemy(app)
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins="*", ping_interval=25, ping_timeout=20,
                    max_http_buffer_size=1_000_000)

with app.app_context():

    @event.listens_for(db.engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # as the hub and the durable floor


_ROOM_ROW = text("INSERT OR IGNORE INTO rooms (id) VALUES (:room)")
_NEXT_SEQ = text("UPDATE rooms SET last_seq = last_seq + 1 WHERE id = :room RETURNING last_seq")
_INSERT = text("INSERT INTO messages (room_id, seq, client_id, body, created_at) "
               "VALUES (:room, :seq, :client_id, :body, :created_at)")
_STORED_SEQ = text("SELECT seq FROM messages WHERE client_id = :client_id")


def store(room_id: int, client_id: str, body: str) -> tuple[int, bool]:
    """Commit the message in the session's transaction; answers (seq, created). A repeated
    client_id answers the stored seq. (As in the durable floor, nothing inside yields to
    another greenlet: sqlite3 is not patched by gevent.)"""
    session = db.session
    try:
        session.execute(_ROOM_ROW, {"room": room_id})
        seq = session.execute(_NEXT_SEQ, {"room": room_id}).scalar_one()
        session.execute(_INSERT, {"room": room_id, "seq": seq, "client_id": client_id, "body": body,
                                  "created_at": time.time()})
        session.commit()
        return seq, True
    except IntegrityError:
        session.rollback()
        stored = session.execute(_STORED_SEQ, {"client_id": client_id}).scalar()
        if stored is None:
            raise
        return int(stored), False
    except BaseException:
        session.rollback()
        raise


def _room(shipment_id: Any) -> str:
    return f"shipment:{shipment_id}"


@socketio.on("join")
def join(data: dict[str, Any]) -> dict[str, Any]:
    """Put the socket in the shipment's room."""
    join_room(_room(data["shipment_id"]))
    return {"ok": True, "messages": [], "more": False}


@socketio.on("send")
def send(data: dict[str, Any]) -> dict[str, Any]:
    """Commit the message, then rebroadcast it to the room and acknowledge it."""
    room_id = int(data["shipment_id"])
    seq, created = store(room_id, str(data["client_id"]), str(data["body"]))
    message = {"shipment_id": room_id, "seq": seq, "client_id": data["client_id"], "body": data["body"]}
    if created:
        socketio.emit("message", message, to=_room(room_id))
    return {"ok": True, "message": message}


# The same process settings as the hub's wsgi.py.
settle_garbage_collector()
