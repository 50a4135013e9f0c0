"""A load-client process: many asyncio python-socketio connections, each sending at a fixed rate.

`python -m bench.load_client SPEC.json` connects every connection of the spec (auth token
when given), joins its shipment, prints `READY <connected> <failed>`, waits for `GO <epoch>`
on stdin, then each connection sends `rate` messages per second for `duration` seconds
(open loop: a slow acknowledgement never delays the next send), waits until every message
has reached every other participant (or `drain_s` passes), checks every receipt and writes
the result JSON. All participants of one shipment live in the same client process, so the
send time and the receipt times are read from the same clock.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio

from bench import matrix_client as matrix


@dataclass
class Connection:
    """One participant's socket and what it received."""

    index: int
    url: str
    shipment_id: int
    token: str | None
    idle: bool = False  # connected and joined, never sends (the many-connections scenario)
    room_id: str | None = None  # a Matrix peer's room (protocol "matrix")
    protocol: str = "socketio"
    sio: socketio.AsyncClient | None = None
    matrix_since: str | None = None
    matrix_connected: bool = False
    joined: bool = False
    error: str | None = None
    disconnects: int = 0
    last_seq: int = 0
    seen: set[str] = field(default_factory=set)
    duplicated: int = 0
    out_of_order: int = 0
    receipts: list[tuple[str, float]] = field(default_factory=list)


class Load:
    """The connections of this process and the messages they sent."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.conns = [
            Connection(i, c["url"], int(c["shipment_id"]), c.get("token"), bool(c.get("idle")), c.get("room_id"),
                       c.get("protocol", "socketio"))
            for i, c in enumerate(spec["connections"])
        ]
        self.sent: dict[str, tuple[float, int]] = {}  # client_id -> (perf time, sender index)
        self.sent_by_shipment: dict[int, set[str]] = {}
        self.acked = 0
        self.send_errors: list[str] = []
        self.ack_ms: list[float] = []
        self.running = True
        self.disorder: list[dict[str, int]] = []  # samples of out-of-order receipts
        self.http: Any = None  # the aiohttp session of Matrix connections
        self.sync_tasks: list[asyncio.Task[None]] = []

    # --- connecting -----------------------------------------------------------------------

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(int(self.spec.get("connect_concurrency", 25)))
        await asyncio.gather(*(self._connect(conn, gate) for conn in self.conns))

    async def _connect(self, conn: Connection, gate: asyncio.Semaphore) -> None:
        if conn.protocol == "matrix":
            await matrix.connect(self, conn, gate)
            return
        timeout = float(self.spec.get("timeout_s", 30))
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, request_timeout=timeout)
        conn.sio = sio

        @sio.on("message")
        async def on_message(message: dict[str, Any]) -> None:
            self._receive(conn, message)

        @sio.on("disconnect")
        async def on_disconnect(*_args: Any) -> None:
            if self.running:
                conn.disconnects += 1

        async with gate:
            try:
                await sio.connect(
                    conn.url, auth={"token": conn.token} if conn.token else None,
                    transports=["websocket"], wait_timeout=timeout,
                )
                ack = await sio.call("join", {"shipment_id": conn.shipment_id, "after_seq": 0}, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 (recorded, reported as a connection error)
                conn.error = f"{type(exc).__name__}: {exc}"[:300]
                return
        if not isinstance(ack, dict) or not ack.get("ok"):
            conn.error = f"join refused: {ack!r}"[:300]
            return
        for message in ack.get("messages") or []:
            conn.last_seq = max(conn.last_seq, int(message.get("seq") or 0))
        conn.joined = True

    def _receive(self, conn: Connection, message: dict[str, Any]) -> None:
        now = time.perf_counter()
        if int(message.get("shipment_id") or -1) != conn.shipment_id:
            return
        client_id = message.get("client_id") or ""
        if client_id and client_id in conn.seen:
            conn.duplicated += 1
            return
        # A server that numbers no messages (a peer without a per-room seq) is not judged on order.
        if message.get("seq") is not None:
            seq = int(message["seq"])
            if seq <= conn.last_seq:
                conn.out_of_order += 1
                if len(self.disorder) < 10:
                    self.disorder.append({"shipment_id": conn.shipment_id, "after_seq": conn.last_seq, "seq": seq})
            conn.last_seq = max(conn.last_seq, seq)
        if client_id:
            conn.seen.add(client_id)
            conn.receipts.append((client_id, now))

    # --- sending --------------------------------------------------------------------------

    async def run(self, start_epoch: float) -> None:
        start = time.perf_counter() + (start_epoch - time.time())
        senders = [self._send_loop(conn, start) for conn in self.conns if conn.joined and not conn.idle]
        await asyncio.gather(*senders)

    async def _send_loop(self, conn: Connection, start: float) -> None:
        rate = float(self.spec["rate"])
        interval = 1.0 / rate
        count = max(1, int(round(float(self.spec["duration"]) * rate)))
        phase = random.uniform(0, interval)
        tasks = []
        body = self.spec["body"]
        for k in range(count):
            delay = start + phase + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._send(conn, f"{body} ({conn.index}.{k})")))
        await asyncio.gather(*tasks)

    async def _send(self, conn: Connection, body: str) -> None:
        client_id = str(uuid.uuid4())
        sent_at = time.perf_counter()
        self.sent[client_id] = (sent_at, conn.index)
        self.sent_by_shipment.setdefault(conn.shipment_id, set()).add(client_id)
        payload = {"shipment_id": conn.shipment_id, "body": body, "client_id": client_id}
        try:
            if conn.protocol == "matrix":
                ack = await matrix.send(self, conn, payload, float(self.spec.get("timeout_s", 30)))
            else:
                assert conn.sio is not None
                ack = await conn.sio.call("send", payload, timeout=float(self.spec.get("timeout_s", 30)))
        except Exception as exc:  # noqa: BLE001
            self.send_errors.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        if isinstance(ack, dict) and ack.get("ok"):
            self.acked += 1
            self.ack_ms.append((time.perf_counter() - sent_at) * 1000)
        else:
            self.send_errors.append(f"refused: {ack!r}"[:200])

    # --- checking -------------------------------------------------------------------------

    def missing(self) -> int:
        """Receipts still missing: every message must reach every other participant."""
        count = 0
        for conn in self.conns:
            if not conn.joined:
                continue
            expected = self.sent_by_shipment.get(conn.shipment_id, set())
            count += sum(1 for cid in expected - conn.seen if self.sent[cid][1] != conn.index)
        return count

    async def drain(self) -> None:
        deadline = time.perf_counter() + float(self.spec.get("drain_s", 10))
        while time.perf_counter() < deadline and self.missing():
            await asyncio.sleep(0.1)

    def result(self, start_epoch: float) -> dict[str, Any]:
        offset = time.time() - time.perf_counter()  # perf time -> epoch
        latencies: list[float] = []
        last_receipt = 0.0
        for conn in self.conns:
            for client_id, received_at in conn.receipts:
                sent = self.sent.get(client_id)
                if sent is None or sent[1] == conn.index:
                    continue
                latencies.append(round((received_at - sent[0]) * 1000, 3))
                last_receipt = max(last_receipt, received_at)
        joined = [c for c in self.conns if c.joined]
        return {
            "connections": len(joined),
            "connect_errors": [c.error for c in self.conns if c.error][:10],
            "connect_error_count": sum(1 for c in self.conns if c.error),
            "held": sum(1 for c in joined if ((c.sio is not None and c.sio.connected) or c.matrix_connected)
                        and not c.disconnects),
            "disconnects": sum(c.disconnects for c in self.conns),
            "sent": len(self.sent),
            "acked": self.acked,
            "send_errors": len(self.send_errors),
            "send_error_samples": self.send_errors[:5],
            "lost": self.missing(),
            "duplicated": sum(c.duplicated for c in self.conns),
            "out_of_order": sum(c.out_of_order for c in self.conns),
            "out_of_order_samples": self.disorder,
            "latencies_ms": latencies,
            "ack_ms": [round(x, 3) for x in self.ack_ms],
            "start_epoch": start_epoch,
            "last_receipt_epoch": last_receipt + offset if last_receipt else None,
        }

    async def close(self) -> None:
        self.running = False
        for task in self.sync_tasks:
            task.cancel()
        await asyncio.gather(*self.sync_tasks, return_exceptions=True)
        if self.http is not None:
            await self.http.close()
        await asyncio.gather(
            *(asyncio.wait_for(c.sio.disconnect(), 5) for c in self.conns if c.sio is not None and c.sio.connected),
            return_exceptions=True,
        )


async def _main(spec_path: str) -> None:
    with open(spec_path) as fh:
        spec = json.load(fh)
    load = Load(spec)
    loop = asyncio.get_running_loop()
    try:
        await load.connect_all()
        connected = sum(1 for c in load.conns if c.joined)
        # Every connection is set up and lives until the end: frozen out of the collector, so
        # no full collection of the client's own objects pauses it (and skews any target).
        gc.collect()
        gc.freeze()
        print(f"READY {connected} {len(load.conns) - connected}", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line.startswith("GO "):
            return
        start_epoch = float(line.split()[1])
        await load.run(start_epoch)
        await load.drain()
        result = load.result(start_epoch)
        with open(spec["result"], "w") as fh:
            json.dump(result, fh)
        print("DONE", flush=True)
    finally:
        await load.close()


def main() -> None:
    """Entry point: `python -m bench.load_client SPEC.json`."""
    asyncio.run(_main(sys.argv[1]))


if __name__ == "__main__":
    main()
