"""The stack floor does the durable floor's work: each message is in the SQLite file with its
seq, the room gets it once, and a repeated client_id answers the stored seq. Run in a
child process: the floor is a module-level app with its own settings (gevent mode, garbage
collector settings) that must not touch the test process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json
from bench.floor_stack import app, socketio

sender = socketio.test_client(app)
reader = socketio.test_client(app)
for client in (sender, reader):
    assert client.emit("join", {"shipment_id": 7}, callback=True)["ok"]
answers = [
    sender.emit("send", {"shipment_id": 7, "client_id": "a", "body": "first"}, callback=True),
    sender.emit("send", {"shipment_id": 7, "client_id": "b", "body": "second"}, callback=True),
    sender.emit("send", {"shipment_id": 7, "client_id": "a", "body": "first, again"}, callback=True),
    sender.emit("send", {"shipment_id": 8, "client_id": "c", "body": "elsewhere"}, callback=True),
]
# One argument: the test client gives it as is, not in a list.
received = [event["args"] for event in reader.get_received() if event["name"] == "message"]
print(json.dumps({"answers": answers, "received": received}))
"""


def test_the_stack_floor_stores_each_message_once_and_answers_a_repeat_with_the_stored_seq(tmp_path: Path) -> None:
    database = tmp_path / "floor.sqlite3"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _SCRIPT], cwd=str(ROOT), capture_output=True, text=True, timeout=120,
        env=dict(os.environ, BENCH_DURABLE_DB=str(database)),
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(a["ok"], a["message"]["seq"]) for a in result["answers"]] == [(True, 1), (True, 2), (True, 1), (True, 1)]
    # The repeat is answered, not stored or sent again; the other room's message stays there.
    assert [(m["seq"], m["body"]) for m in result["received"]] == [(1, "first"), (2, "second")]
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT room_id, seq, client_id, body FROM messages ORDER BY id").fetchall()
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert rows == [(7, 1, "a", "first"), (7, 2, "b", "second"), (8, 1, "c", "elsewhere")]


def test_the_stack_floor_refuses_to_start_without_a_database_file() -> None:
    env = {k: v for k, v in os.environ.items() if k != "BENCH_DURABLE_DB"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import bench.floor_stack"], cwd=str(ROOT), capture_output=True, text=True,
        timeout=60, env=env,
    )
    assert done.returncode != 0 and "BENCH_DURABLE_DB" in done.stderr
