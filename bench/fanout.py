"""Scenarios 1-3: fan-out through the hub, through the two floors, and across two hub processes.

The same load for every target: S shipments x P participants, every participant sending at a
fixed rate, spread over a few load-client processes (`bench.load_client`), each holding many
connections; all participants of a shipment in the same process.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import PYTHON, BenchError, Proc, Supervisor
from bench.stats import percentile

BODY = "Container **MSKU1234567** is at the gate; _customs_ asked for the `packing list`, see https://example.com/d"


@dataclass
class FanoutSize:
    """Offered load of a fan-out run."""

    shipments: int
    per_shipment: int
    rate: float  # messages per second per participant
    duration: float  # seconds of sending
    drain_s: float  # longest wait for the last receipts
    clients: int  # load-client processes
    connect_concurrency: int = 25
    timeout_s: float = 30.0

    @property
    def connections(self) -> int:
        return self.shipments * self.per_shipment


def _reader(proc: Proc, lines: queue.Queue[tuple[int, str]]) -> None:
    assert proc.popen.stdout is not None
    for raw in proc.popen.stdout:
        lines.put((proc.pid, raw.decode(errors="replace").strip()))
    lines.put((proc.pid, "EOF"))


def _wait_for(lines: queue.Queue[tuple[int, str]], procs: list[Proc], word: str, timeout: float) -> dict[int, str]:
    """Wait until every process printed a line starting with `word`."""
    got: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(procs):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            missing = [p.name for p in procs if p.pid not in got]
            raise BenchError(f"load clients {missing} did not report {word} within {timeout:.0f}s")
        try:
            pid, line = lines.get(timeout=min(remaining, 1.0))
        except queue.Empty:
            continue
        if line.startswith(word):
            got[pid] = line
        elif line == "EOF" and pid not in got:
            proc = next(p for p in procs if p.pid == pid)
            proc.popen.wait(timeout=5)
            raise BenchError(f"load client {proc.name} exited before {word}:\n{proc.log_tail()}")
    return got


#: A load client busier than this share of a core is taken to limit the load it offers.
CLIENT_BOUND_SHARE = 0.85


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_load(
    sup: Supervisor, label: str, connections: list[dict[str, Any]], size: FanoutSize, tmp: Path,
    server_pids: list[int] | None = None, on_ready: Callable[[], dict[str, Any]] | None = None,
    extra_cpu: Callable[[], dict[int, float]] | None = None,
) -> dict[str, Any]:
    """Drive `connections` ({url, shipment_id, token, idle}) with `size`'s load; merge the figures.

    The CPU time `server_pids` use while the load runs is measured too: on a busy machine
    it compares the servers' cost per message better than the clock does. So is the load
    clients' own (a figure they were too busy to offer is marked client-bound). `on_ready` runs
    once every connection is up, before the load (its answer goes into the details as
    `at_ready`); `extra_cpu` answers more CPU counters by pid (a database's backends), read
    before and after the load."""
    by_shipment: dict[int, list[dict[str, Any]]] = {}
    for conn in connections:
        by_shipment.setdefault(int(conn["shipment_id"]), []).append(conn)
    n_clients = max(1, min(size.clients, len(by_shipment)))
    groups: list[list[dict[str, Any]]] = [[] for _ in range(n_clients)]
    for i, shipment_id in enumerate(sorted(by_shipment)):
        groups[i % n_clients].extend(by_shipment[shipment_id])

    tmp.mkdir(parents=True, exist_ok=True)
    procs: list[Proc] = []
    lines: queue.Queue[tuple[int, str]] = queue.Queue()
    results: list[dict[str, Any]] = []
    try:
        for i, group in enumerate(groups):
            spec = {
                "connections": group, "rate": size.rate, "duration": size.duration, "drain_s": size.drain_s,
                "connect_concurrency": size.connect_concurrency, "timeout_s": size.timeout_s, "body": BODY,
                "result": str(tmp / f"{label}-client{i}.json"),
            }
            spec_path = tmp / f"{label}-client{i}.spec.json"
            spec_path.write_text(json.dumps(spec))
            proc = sup.start(
                f"{label}-client{i}", [PYTHON, "-m", "bench.load_client", str(spec_path)],
                stdin=subprocess.PIPE, stdout_pipe=True,
            )
            procs.append(proc)
            threading.Thread(target=_reader, args=(proc, lines), daemon=True).start()
        connect_started = time.monotonic()
        ready = _wait_for(lines, procs, "READY", timeout=60 + size.connections * 0.1)
        connect_s = time.monotonic() - connect_started
        refused = sum(int(line.split()[2]) for line in ready.values())
        at_ready = on_ready() if on_ready is not None else None
        start_epoch = time.time() + 1.0
        client_pids = [p.pid for p in procs]
        extra_before = extra_cpu() if extra_cpu is not None else {}
        clients_before = {pid: cpu_seconds([pid]) for pid in client_pids}
        cpu_before = cpu_seconds(server_pids or [])
        wall_before = time.monotonic()
        for proc in procs:
            assert proc.popen.stdin is not None
            proc.popen.stdin.write(f"GO {start_epoch}\n".encode())
            proc.popen.stdin.flush()
        _wait_for(lines, procs, "DONE", timeout=size.duration + size.drain_s + 2 * size.timeout_s + 30)
        server_cpu = cpu_seconds(server_pids or []) - cpu_before
        wall = max(time.monotonic() - wall_before, 1e-6)
        clients_cpu = {pid: cpu_seconds([pid]) - before for pid, before in clients_before.items()}
        extra_after = extra_cpu() if extra_cpu is not None else {}
        for proc in procs:
            proc.popen.wait(timeout=30)
        for i in range(len(groups)):
            results.append(json.loads((tmp / f"{label}-client{i}.json").read_text()))
    finally:
        for proc in procs:
            sup.stop(proc)
    merged = _merge(results, size, connect_s, refused)
    d = merged["details"]
    # Each load client is one asyncio thread: near a whole core it offers less than asked.
    # (Shared over the sending window: after it the clients only wait for the last receipts.)
    busiest = max(clients_cpu.values(), default=0.0) / min(wall, size.duration + 1.0)
    d["client_cpu_s"] = round(sum(clients_cpu.values()), 2)
    d["client_busiest_core_share"] = round(busiest, 2)
    d["client_bound"] = busiest >= CLIENT_BOUND_SHARE
    d["load_wall_s"] = round(wall, 2)
    if at_ready is not None:
        d["at_ready"] = at_ready
    if extra_cpu is not None:
        # Counters of processes that ended meanwhile are lost; those that began count whole.
        d["extra_cpu_s"] = round(sum(after - extra_before.get(pid, 0.0) for pid, after in extra_after.items()), 2)
        d["extra_cpu_ms_per_acked_send"] = round(d["extra_cpu_s"] * 1000 / d["acked"], 2) if d["acked"] else None
    if server_pids:
        acked = merged["details"]["acked"]
        merged["details"]["server_cpu_s"] = round(server_cpu, 2)
        merged["details"]["server_cpu_ms_per_acked_send"] = round(server_cpu * 1000 / acked, 2) if acked else None
    return merged


def _merge(results: list[dict[str, Any]], size: FanoutSize, connect_s: float, refused: int) -> dict[str, Any]:
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    acks = sorted(x for r in results for x in r["ack_ms"])
    start = min(r["start_epoch"] for r in results)
    last = max((r["last_receipt_epoch"] or start) for r in results)
    window = max(last - start, 1e-6)
    figures = {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "msgs_per_s": round(len(latencies) / window, 1) if latencies else 0.0,
        "lost": sum(r["lost"] for r in results),
        "duplicated": sum(r["duplicated"] for r in results),
        "out_of_order": sum(r["out_of_order"] for r in results),
        # Connections joined before the load and still connected, never dropped, at its end.
        "connections": sum(r["held"] for r in results),
    }
    details = {
        "offered_connections": size.connections,
        "offered_sends_per_s": round(size.connections * size.rate, 1),
        "sent": sum(r["sent"] for r in results),
        "acked": sum(r["acked"] for r in results),
        "send_errors": sum(r["send_errors"] for r in results),
        "send_error_samples": [s for r in results for s in r["send_error_samples"]][:5],
        "receipts": len(latencies),
        "ack_p50_ms": percentile(acks, 50),
        "ack_p99_ms": percentile(acks, 99),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "out_of_order_samples": [x for r in results for x in r["out_of_order_samples"]][:10],
        "connect_errors": sum(r["connect_error_count"] for r in results),
        "connect_error_samples": [e for r in results for e in r["connect_errors"]][:5],
        "refused_at_join": refused,
        "disconnects": sum(r["disconnects"] for r in results),
        "connect_s": round(connect_s, 2),
        "window_s": round(window, 2),
    }
    return {"figures": figures, "details": details}


def hub_connections(world: Any, urls: list[str]) -> list[dict[str, Any]]:
    """Each participant with its token; participants of a shipment alternate over `urls`."""
    conns = []
    for shipment_id in world.shipments:
        for p, person in enumerate(world.participants[shipment_id]):
            conns.append({"url": urls[p % len(urls)], "shipment_id": shipment_id, "token": person.token})
    return conns


def floor_connections(size: FanoutSize, url: str) -> list[dict[str, Any]]:
    """The same shape of load for a relay without authentication."""
    return [
        {"url": url, "shipment_id": s + 1, "token": None}
        for s in range(size.shipments) for _p in range(size.per_shipment)
    ]
