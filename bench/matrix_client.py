"""Matrix connections of a load client (the Synapse peer): sends through the client-server API,
receipts through `/sync` long-polls, fed into the same accounting as the sockets'."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid
from typing import Any

#: Only the rooms' messages: no presence, no account data, no member lists, no receipts.
SYNC_FILTER = urllib.parse.quote(json.dumps({
    "presence": {"types": []}, "account_data": {"types": []},
    "room": {"timeline": {"limit": 100, "types": ["m.room.message"]}, "state": {"types": []},
             "ephemeral": {"types": []}, "account_data": {"types": []}},
}, separators=(",", ":")))
LONG_POLL_MS = 30_000


def _session(load: Any) -> Any:
    import aiohttp

    if load.http is None:
        load.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                          timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))
    return load.http


async def connect(load: Any, conn: Any, gate: asyncio.Semaphore) -> None:
    """An initial sync (the position to long-poll from), then the long-poll loop in the background."""
    http = _session(load)
    timeout = float(load.spec.get("timeout_s", 30))
    async with gate:
        try:
            async with http.get(f"{conn.url}/_matrix/client/v3/sync?timeout=0&filter={SYNC_FILTER}",
                                headers=_auth(conn), timeout=_timeout(timeout * 4)) as answer:
                data = await answer.json(content_type=None)
                if answer.status != 200:
                    conn.error = f"initial sync: {answer.status} {data}"[:300]
                    return
        except Exception as exc:  # noqa: BLE001
            conn.error = f"{type(exc).__name__}: {exc}"[:300]
            return
    conn.matrix_since = data["next_batch"]
    conn.matrix_connected = True
    conn.joined = True
    load.sync_tasks.append(asyncio.create_task(_sync_loop(load, conn)))


async def _sync_loop(load: Any, conn: Any) -> None:
    http = _session(load)
    while load.running:
        url = (f"{conn.url}/_matrix/client/v3/sync?timeout={LONG_POLL_MS}&filter={SYNC_FILTER}"
               f"&since={urllib.parse.quote(conn.matrix_since)}")
        try:
            async with http.get(url, headers=_auth(conn), timeout=_timeout(LONG_POLL_MS / 1000 + 60)) as answer:
                data = await answer.json(content_type=None)
                if answer.status != 200:
                    await asyncio.sleep(0.5)
                    continue
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001  (a failed poll is retried; a missing receipt shows as lost)
            await asyncio.sleep(0.5)
            continue
        conn.matrix_since = data.get("next_batch", conn.matrix_since)
        for room in (data.get("rooms") or {}).get("join", {}).values():
            for event in (room.get("timeline") or {}).get("events", []):
                content = event.get("content") or {}
                if event.get("type") == "m.room.message" and content.get("client_id"):
                    # No per-room seq in Matrix: order is not judged (seq None).
                    load._receive(conn, {"shipment_id": content.get("shipment_id"), "client_id": content["client_id"],
                                         "seq": None})


async def send(load: Any, conn: Any, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """PUT the message with a fresh transaction id; {"ok": True} once Synapse answers 200."""
    http = _session(load)
    content = {"msgtype": "m.text", "body": payload["body"], "client_id": payload["client_id"],
               "shipment_id": payload["shipment_id"]}
    url = f"{conn.url}/_matrix/client/v3/rooms/{urllib.parse.quote(conn.room_id)}/send/m.room.message/{uuid.uuid4().hex}"
    async with http.put(url, json=content, headers=_auth(conn), timeout=_timeout(timeout)) as answer:
        data = await answer.json(content_type=None)
        return {"ok": answer.status == 200 and "event_id" in data, "status": answer.status}


def _auth(conn: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {conn.token}"}


def _timeout(seconds: float) -> Any:
    import aiohttp

    return aiohttp.ClientTimeout(total=seconds)
