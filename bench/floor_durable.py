"""The durable floor: the bare python-socketio relay (`bench.floor_relay`, served the same way)
that also writes every message to SQLite before it acknowledges and rebroadcasts it.

What it does per send is the least a chat that never loses an acknowledged message must do
on this stack: one write transaction in a WAL database (`synchronous=NORMAL`, as the hub) that
advances the room's counter (its `seq`), inserts the message under a unique `client_id`, and
commits; only then the acknowledgement and the room's event. A repeated `client_id` is answered
with the message first stored. No authentication, no rendering, no email bookkeeping.

Run by the benchmark as `python -m gunicorn --worker-class gevent ... bench.floor_durable:app`
with `BENCH_DURABLE_DB` naming the database file.
"""

from __future__ import annotations

import os
import sqlite3
import time
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

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rooms (id INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, room_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " client_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created_at REAL NOT NULL,"
    " UNIQUE (room_id, seq))",
)


def open_database(path: str) -> sqlite3.Connection:
    """The relay's one connection: WAL, synchronous=NORMAL, transactions begun explicitly."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in SCHEMA:
        connection.execute(statement)
    return connection


def store(connection: sqlite3.Connection, room_id: int, client_id: str, body: str) -> tuple[int, bool]:
    """Commit the message; answers (seq, created). A repeated client_id answers the stored seq.

    No greenlet switch happens inside (sqlite3 is not patched by gevent): one transaction at a
    time on the one connection, with no lock of our own."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("INSERT OR IGNORE INTO rooms (id) VALUES (?)", (room_id,))
        seq = connection.execute(
            "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", (room_id,)
        ).fetchone()[0]
        connection.execute("INSERT INTO messages (room_id, seq, client_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
                           (room_id, seq, client_id, body, time.time()))
        connection.execute("COMMIT")
        return seq, True
    except sqlite3.IntegrityError:
        connection.execute("ROLLBACK")
        row = connection.execute("SELECT seq FROM messages WHERE client_id = ?", (client_id,)).fetchone()
        if row is None:
            raise
        return int(row[0]), False
    except BaseException:
        connection.execute("ROLLBACK")
        raise


_db = open_database(os.environ.get("BENCH_DURABLE_DB", ":memory:"))


def _room(shipment_id: Any) -> str:
    return f"shipment:{shipment_id}"


@sio.on("join")
def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Put the socket in the shipment's room."""
    sio.enter_room(sid, _room(data["shipment_id"]))
    return {"ok": True, "messages": [], "more": False}


@sio.on("send")
def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Commit the message, then rebroadcast it to the room and acknowledge it."""
    room_id = int(data["shipment_id"])
    seq, created = store(_db, room_id, str(data["client_id"]), str(data["body"]))
    message = {"shipment_id": room_id, "seq": seq, "client_id": data["client_id"], "body": data["body"]}
    if created:
        sio.emit("message", message, to=_room(room_id))
    return {"ok": True, "message": message}


# The same process settings as the hub's wsgi.py.
settle_garbage_collector()
