"""A relay that misbehaves on purpose, by a fixed script, so the load generator's accounting can
be checked against what it really did (`tests/bench/test_load_accounting.py`).

`python -m tests.bench.scripted_relay PORT` serves python-socketio (asyncio, aiohttp) on
127.0.0.1:PORT with the events of the benchmark's floors. The n-th send of a room (n from 1) is
acknowledged and numbered `seq = n`, then by n mod 6:
  2: dropped (never emitted);  3: emitted twice;  4: held back, and emitted just after the
  room's next send (so it arrives after a higher seq); otherwise emitted once.
A message still held when the load ends is never emitted. `GET /stats` answers the counts.
"""

from __future__ import annotations

import sys
from typing import Any

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
app = web.Application()
sio.attach(app)
counts = {"sends": 0, "dropped": 0, "doubled": 0, "reordered": 0}
rooms: dict[str, int] = {}
held: dict[str, dict[str, Any]] = {}


@sio.on("join")
async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Put the socket in the shipment's room."""
    await sio.enter_room(sid, f"shipment:{data['shipment_id']}")
    return {"ok": True, "messages": [], "more": False}


@sio.on("send")
async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    """Number, acknowledge and (mis)deliver by the script."""
    room = f"shipment:{data['shipment_id']}"
    n = rooms[room] = rooms.get(room, 0) + 1
    counts["sends"] += 1
    message = {"shipment_id": data["shipment_id"], "seq": n, "client_id": data["client_id"], "body": data["body"]}
    step = n % 6
    if step == 2:
        counts["dropped"] += 1
    elif step == 4:
        held[room] = message
    else:
        await sio.emit("message", message, to=room)
        if step == 3:
            counts["doubled"] += 1
            await sio.emit("message", message, to=room)
        late = held.pop(room, None)
        if late is not None:
            counts["reordered"] += 1
            await sio.emit("message", late, to=room)
    return {"ok": True, "message": message}


async def stats(_request: web.Request) -> web.Response:
    """What the script did; `held` are messages never emitted."""
    return web.json_response({**counts, "held": len(held)})


app.router.add_get("/stats", stats)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
