"""`python -m bench`: the hub against the bare Socket.IO floor, and the targets it must reach.

Starts everything as real processes on 127.0.0.1 (the documented `hub serve` command, the
floor relays, load clients, the email worker and a fake SendGrid), prints a table and writes
`bench/out/latest.json`. `--quick` runs every scenario smaller (under two minutes);
`--smoke` runs them tiny (what CI runs to keep the benchmark working).

PostgreSQL when `HUB_BENCH_POSTGRES_URL` is set and not empty (a fresh database per scenario,
dropped afterwards), SQLite otherwise; the scale-out scenario needs `HUB_BENCH_REDIS_URL`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import database, fanout, history, listing, outbox, servers
from bench.fanout import FanoutSize
from bench.procs import PYTHON, BenchError, Supervisor, install_signal_handlers
from bench.stats import machine
from hub.cli import raise_open_files_limit

OUT_DIR = Path(__file__).resolve().parent / "out"
SCENARIOS = ("floor_python", "floor_durable", "floor_stack", "floor_node", "hub", "hub_postgresql", "capacity", "idle", "scaleout",
             "history", "list", "outbox")
#: Fan-out scenarios repeated (interleaved, in this order) when `--repeat` is above 1.
REPEATED = ("hub", "floor_durable", "floor_stack", "floor_python")
#: Peers a run may add with `--peer`.
PEERS = ("synapse",)
#: Servers whose capacity is stepped, in this order.
CAPACITY_SERVERS = ("hub", "floor_durable", "floor_stack", "floor_python")
FANOUT_KEYS = ("p50_ms", "p95_ms", "p99_ms", "msgs_per_s", "lost", "duplicated", "out_of_order", "connections")


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs."""

    fanout: FanoutSize
    history_total: int
    history_thread: int
    history_other_threads: int
    history_requests: int
    list_shipments: int
    list_small: int
    list_messages_each: int
    list_requests: int
    outbox_emails: int
    outbox_timeout_s: float
    #: Offered sends per second (all connections together) tried in turn by `capacity`.
    capacity_steps: tuple[int, ...] = (100, 200, 300, 400, 600, 800, 1000, 1200)
    capacity_duration: float = 10
    #: `idle`: shipments whose participants connect and stay silent, beside the fan-out's.
    idle_shipments: int = 800
    repeat: int = 1


SIZES = {
    "full": Sizes(
        fanout=FanoutSize(shipments=200, per_shipment=5, rate=0.2, duration=30, drain_s=20, clients=4),
        history_total=1_000_000, history_thread=100_000, history_other_threads=900, history_requests=500,
        list_shipments=1000, list_small=10, list_messages_each=12, list_requests=300,
        outbox_emails=5000, outbox_timeout_s=180, repeat=3,
    ),
    "quick": Sizes(
        fanout=FanoutSize(shipments=40, per_shipment=5, rate=0.5, duration=8, drain_s=10, clients=2),
        history_total=100_000, history_thread=10_000, history_other_threads=90, history_requests=100,
        list_shipments=1000, list_small=10, list_messages_each=12, list_requests=60,
        outbox_emails=1000, outbox_timeout_s=60,
        capacity_steps=(100, 300, 600), capacity_duration=5, idle_shipments=160,
    ),
    "smoke": Sizes(
        fanout=FanoutSize(shipments=4, per_shipment=3, rate=2, duration=2, drain_s=8, clients=2, timeout_s=15),
        history_total=3000, history_thread=1000, history_other_threads=4, history_requests=20,
        list_shipments=60, list_small=5, list_messages_each=3, list_requests=10,
        outbox_emails=30, outbox_timeout_s=60,
        capacity_steps=(6, 12), capacity_duration=2, idle_shipments=4,
    ),
}


class Run:
    """One benchmark run: its processes, temporary folder, figures and details."""

    def __init__(self, mode: str, sizes: Sizes, profile: bool, out: Path, postgres_url: str | None = None,
                 peers: tuple[str, ...] = ()) -> None:
        self.mode = mode
        self.postgres_url = postgres_url
        self.peers = peers
        #: Every repeat of each fan-out scenario (the figures are their medians).
        self.runs: dict[str, list[dict[str, Any]]] = {}
        self.sizes = sizes
        self.profile = profile
        self.out = out
        self.tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
        self.sup = Supervisor(self.tmp / "logs")
        self.results: dict[str, Any] = {}
        self.details: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.load_at_start = [round(x, 2) for x in os.getloadavg()]

    # --- helpers ----------------------------------------------------------------------------

    def database(self, label: str, postgres: str | None = None) -> database.BenchDatabase:
        db = database.fresh_database(self.tmp / label, label, postgres)
        try:
            db.migrate()
        except BaseException:
            db.dispose()
            raise
        return db

    def _spy(self) -> str | None:
        spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        return spy if self.profile and Path(spy).exists() else None

    @contextmanager
    def profiling(self, label: str, pid: int | None) -> Iterator[None]:
        """With `--profile`, record `pid` with py-spy (collapsed stacks, `bench/out/profile-<label>.txt`,
        for speedscope or flamegraph.pl) until the block ends."""
        spy = self._spy()
        if spy is None or pid is None:
            yield
            return
        self.out.mkdir(parents=True, exist_ok=True)
        proc = self.sup.start(f"py-spy-{label}", [
            spy, "record", "--pid", str(pid), "--rate", os.environ.get("HUB_BENCH_SPY_RATE", "97"), "--format", "raw", "--nonblocking",
            "--output", str(self.out / f"profile-{label}.txt"),
        ])
        try:
            yield
        finally:
            if proc.alive():
                proc.popen.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
                try:
                    proc.popen.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            self.sup.stop(proc)

    def profile_prefix(self, label: str) -> list[str]:
        """With `--profile`, the py-spy command that runs and records a short-lived process."""
        spy = self._spy()
        if spy is None:
            return []
        self.out.mkdir(parents=True, exist_ok=True)
        return [spy, "record", "--rate", "97", "--format", "raw", "--nonblocking",
                "--output", str(self.out / f"profile-{label}.txt"), "--"]

    # --- scenarios --------------------------------------------------------------------------

    def floor_python(self) -> None:
        proc, port = servers.start_floor_python(self.sup)
        try:
            size = self.sizes.fanout
            self._fanout("floor_python", fanout.floor_connections(size, f"http://127.0.0.1:{port}"), [proc])
        finally:
            self.sup.stop(proc)

    def floor_durable(self) -> None:
        self._durable_floor("floor_durable")

    def floor_stack(self) -> None:
        self._durable_floor("floor_stack")

    def _durable_floor(self, name: str) -> None:
        """`name` (floor_durable or floor_stack) on a fresh SQLite file, under the fan-out."""
        folder = self.tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        proc, port = servers.start_floor_durable(self.sup, folder / f"floor-{len(self.runs.get(name, []))}.sqlite3", name)
        try:
            self._fanout(name, fanout.floor_connections(self.sizes.fanout, f"http://127.0.0.1:{port}"), [proc])
        finally:
            self.sup.stop(proc)

    def hub_postgresql(self) -> None:
        if not self.postgres_url:
            self.results.setdefault("fanout", {})["hub_postgresql"] = {
                **dict.fromkeys(FANOUT_KEYS), "skipped": "no PostgreSQL server: --postgres-url or HUB_BENCH_POSTGRES_URL"}
            return
        size = self.sizes.fanout
        db = self.database("fanoutpg", self.postgres_url)
        try:
            world = database.build_fanout_world(db, size.shipments, size.per_shipment)
            proc, port = servers.start_hub(self.sup, db, "hub-postgresql")
            try:
                with self.profiling("hub-fanout-postgresql", servers.worker_pid(proc)):
                    self._fanout("hub_postgresql", fanout.hub_connections(world, [f"http://127.0.0.1:{port}"]), [proc],
                                 extra_cpu=lambda: database.backend_cpu(db))
            finally:
                self.sup.stop(proc)
        finally:
            db.dispose()

    def capacity(self) -> None:
        """Step the offered rate up for each server until p99 reaches 100 ms or a message is lost."""
        size = self.sizes.fanout
        result: dict[str, Any] = {}
        for name in CAPACITY_SERVERS:
            steps: list[dict[str, Any]] = []
            with self._server(name) as (connections, pids):
                for rate in self.sizes.capacity_steps:
                    step_size = replace(size, rate=rate / size.connections, duration=self.sizes.capacity_duration,
                                        drain_s=min(size.drain_s, 10))
                    merged = fanout.run_load(self.sup, f"capacity-{name}-{rate}", connections, step_size,
                                             self.tmp / "load", pids)
                    f, d = merged["figures"], merged["details"]
                    steps.append({"offered_sends_per_s": rate, "p99_ms": f["p99_ms"], "lost": f["lost"],
                                  "duplicated": f["duplicated"], "out_of_order": f["out_of_order"],
                                  "acked_per_s": round(d["acked"] / step_size.duration, 1),
                                  "server_cpu_ms_per_acked_send": d.get("server_cpu_ms_per_acked_send"),
                                  "client_busiest_core_share": d["client_busiest_core_share"],
                                  "client_bound": d["client_bound"], "send_errors": d["send_errors"]})
                    print(f"bench: capacity {name} {rate}/s: {steps[-1]}", file=sys.stderr, flush=True)
                    if not capacity_step_passes(steps[-1]):
                        break
            result[name] = capacity_of(steps)
            self.details.setdefault("capacity", {})[name] = steps
        self.results["capacity"] = result

    def idle(self) -> None:
        """Many connections held by one process: the fan-out's active sockets plus silent ones."""
        size = self.sizes.fanout
        idle_size = replace(size, shipments=size.shipments + self.sizes.idle_shipments)
        result: dict[str, Any] = {}
        for name in ("hub", "floor_python"):
            with self._server(name, idle_size) as (connections, pids):
                for conn in connections:
                    conn["idle"] = int(conn["shipment_id"]) not in self._active_shipments(connections, size.shipments)
                rss_before = servers.rss_bytes(pids)
                merged = fanout.run_load(
                    self.sup, f"idle-{name}", connections, replace(idle_size, clients=max(size.clients, 4)),
                    self.tmp / "load", pids, on_ready=lambda pids=pids: {"rss_bytes": servers.rss_bytes(pids)},
                )
            f, d = merged["figures"], merged["details"]
            rss_after = d["at_ready"]["rss_bytes"]
            result[name] = {
                "connections": f["connections"], "offered_connections": idle_size.connections,
                "active_connections": size.connections, "errors": d["connect_errors"] + d["disconnects"] + d["send_errors"],
                "kib_per_connection": round((rss_after - rss_before) / 1024 / max(1, idle_size.connections), 1),
                "rss_mib": round(rss_after / 2**20, 1), "active_p50_ms": f["p50_ms"], "active_p99_ms": f["p99_ms"],
                "lost": f["lost"], "duplicated": f["duplicated"], "out_of_order": f["out_of_order"],
                "server_cpu_ms_per_acked_send": d.get("server_cpu_ms_per_acked_send"),
            }
            self.details.setdefault("idle", {})[name] = d
        self.results["idle"] = result

    @staticmethod
    def _active_shipments(connections: list[dict[str, Any]], count: int) -> set[int]:
        return set(sorted({int(c["shipment_id"]) for c in connections})[:count])

    @contextmanager
    def _server(self, name: str, size: FanoutSize | None = None) -> Iterator[tuple[list[dict[str, Any]], list[int]]]:
        """Start `name` (hub, floor_durable, floor_stack or floor_python) for `size`'s connections; yield the
        connections and the serving pids; stop it (and drop its database) afterwards."""
        size = size or self.sizes.fanout
        db = None
        try:
            if name == "hub":
                db = self.database(f"{name}-{uuid.uuid4().hex[:6]}")
                world = database.build_fanout_world(db, size.shipments, size.per_shipment)
                proc, port = servers.start_hub(self.sup, db, f"{name}-server")
                connections = fanout.hub_connections(world, [f"http://127.0.0.1:{port}"])
            elif name in ("floor_durable", "floor_stack"):
                folder = self.tmp / f"{name}-{uuid.uuid4().hex[:6]}"
                folder.mkdir(parents=True)
                proc, port = servers.start_floor_durable(self.sup, folder / "floor.sqlite3", name)
                connections = fanout.floor_connections(size, f"http://127.0.0.1:{port}")
            else:
                proc, port = servers.start_floor_python(self.sup)
                connections = fanout.floor_connections(size, f"http://127.0.0.1:{port}")
            try:
                yield connections, servers.serving_pids([proc])
            finally:
                self.sup.stop(proc)
        finally:
            if db is not None:
                db.dispose()

    def peer_synapse(self) -> None:
        from bench import synapse

        measured = synapse.run_peer(self.sup, self.sizes.fanout, self.tmp / "synapse", self.postgres_url)
        for label, merged in measured.items():
            self.results.setdefault("fanout", {})[label] = merged["figures"]
            self.details.setdefault("fanout", {})[label] = merged["details"]

    def floor_node(self) -> None:
        node, reason = servers.node_setup(self.tmp / "logs")
        if node is None:
            self.results.setdefault("fanout", {})["floor_node"] = {**dict.fromkeys(FANOUT_KEYS), "skipped": reason}
            return
        proc, port = servers.start_floor_node(self.sup, node)
        try:
            self._fanout("floor_node", fanout.floor_connections(self.sizes.fanout, f"http://127.0.0.1:{port}"), [proc])
        finally:
            self.sup.stop(proc)

    def hub(self) -> None:
        size = self.sizes.fanout
        # A fresh database for every repeat (the same users would be inserted again).
        db = self.database(f"fanout{len(self.runs.get('hub', []))}")
        try:
            world = database.build_fanout_world(db, size.shipments, size.per_shipment)
            proc, port = servers.start_hub(self.sup, db, "hub")
            try:
                with self.profiling("hub-fanout", servers.worker_pid(proc)):
                    self._fanout("hub", fanout.hub_connections(world, [f"http://127.0.0.1:{port}"]), [proc])
            finally:
                self.sup.stop(proc)
        finally:
            db.dispose()

    def scaleout(self) -> None:
        redis = servers.redis_url()
        if not redis:
            self.results["scaleout"] = {"p99_ms": None, "msgs_per_s": None, "lost": None,
                                        "skipped": "HUB_BENCH_REDIS_URL is not set"}
            return
        size = self.sizes.fanout
        db = self.database("scaleout")
        try:
            world = database.build_fanout_world(db, size.shipments, size.per_shipment)
            env = {"SOCKETIO_MESSAGE_QUEUE": redis}
            first, port1 = servers.start_hub(self.sup, db, "hub-a", env)
            second, port2 = servers.start_hub(self.sup, db, "hub-b", env)
            try:
                urls = [f"http://127.0.0.1:{port1}", f"http://127.0.0.1:{port2}"]
                merged = fanout.run_load(
                    self.sup, "scaleout", fanout.hub_connections(world, urls), size, self.tmp / "load",
                    servers.serving_pids([first, second]),
                )
            finally:
                self.sup.stop(second)
                self.sup.stop(first)
        finally:
            db.dispose()
        f = merged["figures"]
        self.results["scaleout"] = {"p99_ms": f["p99_ms"], "msgs_per_s": f["msgs_per_s"], "lost": f["lost"]}
        self.details["scaleout"] = {**merged["details"], **{k: f[k] for k in FANOUT_KEYS if k not in ("p99_ms", "msgs_per_s", "lost")}}

    def history(self) -> None:
        s = self.sizes
        db = self.database("history")
        try:
            started = time.monotonic()
            world = database.build_history_world(db, s.history_total, s.history_thread, s.history_other_threads)
            load_s = time.monotonic() - started
            proc, port = servers.start_hub(self.sup, db, "hub-history")
            try:
                shipment_id = world.shipments[0]
                person = world.participants[shipment_id][0]
                with self.profiling("hub-history", servers.worker_pid(proc)):
                    measured = history.run_history(
                        f"http://127.0.0.1:{port}", person.token, shipment_id, s.history_thread, s.history_requests,
                    )
            finally:
                self.sup.stop(proc)
        finally:
            db.dispose()
        self.results["history"] = measured["figures"]
        self.details["history"] = {**measured["details"], "messages_in_database": world.extra["messages"],
                                   "thread_messages": s.history_thread, "bulk_load_s": round(load_s, 1)}

    def list(self) -> None:
        s = self.sizes
        db = self.database("list")
        try:
            world = database.build_list_world(db, s.list_shipments, s.list_small, s.list_messages_each)
            proc, port = servers.start_hub(self.sup, db, "hub-list")
            try:
                with self.profiling("hub-list", servers.worker_pid(proc)):
                    timing = listing.run_list_timing(f"http://127.0.0.1:{port}", world, s.list_requests)
            finally:
                self.sup.stop(proc)
            counting, port = servers.start_hub(
                self.sup, db, "hub-list-querycount", {"GUNICORN_CMD_ARGS": "--config python:bench.querycount"},
            )
            try:
                queries = listing.run_list_queries(f"http://127.0.0.1:{port}", world)
            finally:
                self.sup.stop(counting)
        finally:
            db.dispose()
        self.results["list"] = {"p99_ms": timing.pop("p99_ms"), "queries": queries.pop("queries")}
        self.details["list"] = {**timing, **queries}

    def outbox(self) -> None:
        db = self.database("outbox")
        try:
            measured = outbox.run_outbox(
                self.sup, db, self.sizes.outbox_emails, self.sizes.outbox_timeout_s, self.profile_prefix("outbox-worker"),
            )
        finally:
            db.dispose()
        self.results["outbox"] = measured["figures"]
        self.details["outbox"] = measured["details"]
        d = measured["details"]
        if d["rows_by_status"].get("sent", 0) != d["queued"] or d["duplicated_ids"] or d["distinct_outbox_ids"] != d["queued"]:
            raise BenchError(f"outbox: not every email sent exactly once: {d}")

    def _fanout(self, name: str, connections: list[dict[str, Any]], server: list[Any], **load: Any) -> None:
        runs = self.runs.setdefault(name, [])
        merged = fanout.run_load(
            self.sup, f"{name}-{len(runs)}", connections, self.sizes.fanout, self.tmp / "load",
            servers.serving_pids(server), **load,
        )
        runs.append(merged)
        self.results.setdefault("fanout", {})[name] = median_figures([r["figures"] for r in runs])
        details = dict(merged["details"]) if len(runs) == 1 else median_details([r["details"] for r in runs])
        if len(runs) > 1:
            details["repeats"] = [{**r["figures"], "server_cpu_ms_per_acked_send": r["details"].get("server_cpu_ms_per_acked_send"),
                                   "extra_cpu_ms_per_acked_send": r["details"].get("extra_cpu_ms_per_acked_send")}
                                  for r in runs]
        self.details.setdefault("fanout", {})[name] = details

    # --- the whole run ----------------------------------------------------------------------

    def run(self, only: list[str]) -> None:
        order = [name for name in SCENARIOS if name in only]
        repeated = [name for name in REPEATED if name in order]
        if self.sizes.repeat > 1 and len(repeated) > 0:
            # Interleaved: hub, durable floor, bare floor, hub, ... so a change in the machine's
            # load touches every server alike; the figures are the medians.
            first = order.index(repeated[0]) if repeated[0] in order else 0
            rest = [name for name in order if name not in repeated]
            order = rest[:first] + repeated * self.sizes.repeat + rest[first:]
        order += list(self.peers)
        for name in order:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                getattr(self, name)()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 (the other scenarios still run)
                self.errors[name] = f"{type(exc).__name__}: {exc}"[:4000]
                traceback.print_exc()
            finally:
                self.sup.stop_all()
            print(f"bench: {name} done in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)

    def report(self, only: list[str], command: str, elapsed: float) -> dict[str, Any]:
        fan = self.results.get("fanout", {})
        for name in ("hub", "floor_python", "floor_durable", "floor_stack", "floor_node", "hub_postgresql"):
            fan.setdefault(name, {**dict.fromkeys(FANOUT_KEYS), **self._missing(name, only)})
        for peer in self.peers:
            if peer in self.errors:
                fan.setdefault(peer, {**dict.fromkeys(FANOUT_KEYS), "error": self.errors[peer]})
        self.results.setdefault("capacity", self._missing("capacity", only))
        self.results.setdefault("idle", self._missing("idle", only))
        for name, keys in (("scaleout", ("p99_ms", "msgs_per_s", "lost")), ("history", ("p99_ms",)),
                           ("list", ("p99_ms", "queries")), ("outbox", ("emails_per_s",))):
            self.results.setdefault(name, {**dict.fromkeys(keys), **self._missing(name, only)})
        order = ("hub", "floor_durable", "floor_stack", "floor_python", "floor_node", "hub_postgresql")
        fan = {name: fan[name] for name in (*order, *sorted(set(fan) - set(order)))}
        report = {
            "fanout": fan,
            "scaleout": self.results["scaleout"],
            "history": self.results["history"],
            "list": self.results["list"],
            "outbox": self.results["outbox"],
            "capacity": self.results["capacity"],
            "idle": self.results["idle"],
            "cpu_ms_per_acked_send": self.cpu_per_send(),
            "machine": machine(database.database_kind()),
            "ratios": {
                "hub_vs_floor_python": _ratios(fan["hub"], fan["floor_python"]),
                "hub_vs_floor_durable": _ratios(fan["hub"], fan["floor_durable"]),
                "hub_vs_floor_stack": _ratios(fan["hub"], fan["floor_stack"]),
                "floor_stack_vs_floor_durable": _ratios(fan["floor_stack"], fan["floor_durable"]),
                "hub_vs_floor_node": _ratios(fan["hub"], fan["floor_node"]),
                "hub_postgresql_vs_hub": _ratios(fan["hub_postgresql"], fan["hub"]),
                **{f"hub_vs_{label}": _ratios(fan["hub"], fan[label]) for label in fan if label.startswith("peer_")},
                "cpu_per_send_hub_vs_floor_durable": _ratio(
                    self.cpu_per_send().get("hub"), self.cpu_per_send().get("floor_durable")),
                "cpu_per_send_floor_stack_vs_floor_durable": _ratio(
                    self.cpu_per_send().get("floor_stack"), self.cpu_per_send().get("floor_durable")),
                "capacity_hub_vs_floor_durable": self._capacity_ratio("hub", "floor_durable"),
                "capacity_floor_stack_vs_floor_durable": self._capacity_ratio("floor_stack", "floor_durable"),
            },
            "run": {
                "command": command, "mode": self.mode, "elapsed_s": round(elapsed, 1),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "offered_load": {
                    "connections": self.sizes.fanout.connections,
                    "sends_per_s_per_participant": self.sizes.fanout.rate,
                    "duration_s": self.sizes.fanout.duration,
                },
                "load_average_at_start": self.load_at_start,
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "repeats": self.sizes.repeat,
                "errors": self.errors,
            },
        }
        return report

    def _capacity_ratio(self, server: str, floor: str) -> float | None:
        capacity = self.results["capacity"]
        return _ratio((capacity.get(server) or {}).get("sends_per_s"), (capacity.get(floor) or {}).get("sends_per_s"))

    def cpu_per_send(self) -> dict[str, Any]:
        """Server CPU per acknowledged send of each fan-out target (median of its repeats);
        for PostgreSQL the backends' CPU too."""
        out: dict[str, Any] = {}
        for name, details in self.details.get("fanout", {}).items():
            out[name] = details.get("server_cpu_ms_per_acked_send")
            if details.get("extra_cpu_ms_per_acked_send") is not None:
                out[f"{name}_database_backends"] = details["extra_cpu_ms_per_acked_send"]
        return out

    def _missing(self, name: str, only: list[str]) -> dict[str, str]:
        key = "hub" if name == "fanout" else name
        if key in self.errors:
            return {"error": self.errors[key]}
        if key not in only:
            return {"skipped": "not selected with --only"}
        return {}

    def cleanup(self) -> None:
        """Stop everything; keep the processes' logs in `<out>/logs`, drop the databases."""
        self.sup.stop_all()
        logs = self.out / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        try:
            shutil.copytree(self.tmp / "logs", logs)
        except OSError:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def capacity_step_passes(step: dict[str, Any]) -> bool:
    """A step holds when p99 stays under 100 ms with nothing lost (nor duplicated, reordered or
    refused)."""
    return (step["p99_ms"] is not None and step["p99_ms"] < CAPACITY_P99_MS and step["lost"] == 0
            and step["duplicated"] == 0 and step["out_of_order"] == 0 and step["send_errors"] == 0)


#: The capacity's latency bound.
CAPACITY_P99_MS = 100.0


def capacity_of(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The highest offered rate that held, before the first that did not (None when even the
    first failed); `client_bound` when the load clients were near a full core at that rate or
    the next (the figure is then the clients' limit as much as the server's)."""
    held = None
    failed = None
    for step in steps:
        if not capacity_step_passes(step):
            failed = step
            break
        held = step
    last_tried = steps[-1]["offered_sends_per_s"] if steps else None
    return {
        "sends_per_s": held["offered_sends_per_s"] if held else None,
        "p99_ms_at_capacity": held["p99_ms"] if held else None,
        "server_cpu_ms_per_acked_send_at_capacity": held["server_cpu_ms_per_acked_send"] if held else None,
        "client_bound": bool((held and held["client_bound"]) or (failed and failed["client_bound"])),
        "reached_last_step": failed is None and held is not None,
        "last_tried_sends_per_s": last_tried,
    }


def median_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the repeats (counts of lost/duplicated/out of order: the worst)."""
    if len(runs) == 1:
        return dict(runs[0])
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r.get(key) for r in runs if isinstance(r.get(key), int | float)]
        if key in ("lost", "duplicated", "out_of_order"):
            out[key] = max(values) if values else None
        elif key == "connections":
            out[key] = min(values) if values else None
        else:
            out[key] = round(statistics.median(values), 2) if values else runs[-1].get(key)
    return out


def median_details(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The details of the repeats: numbers by their median, the rest from the last repeat."""
    out = dict(runs[-1])
    for key, value in runs[-1].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [r[key] for r in runs if isinstance(r.get(key), int | float)]
            out[key] = round(statistics.median(values), 2)
    return out


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def _ratios(hub: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    ratio = _ratio

    return {
        "p50": ratio(hub.get("p50_ms"), floor.get("p50_ms")),
        "p99": ratio(hub.get("p99_ms"), floor.get("p99_ms")),
        "msgs_per_s": ratio(hub.get("msgs_per_s"), floor.get("msgs_per_s")),
    }


def print_table(report: dict[str, Any], details: dict[str, Any]) -> None:
    """The figures as a table on stdout."""
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.1f}" if value >= 100 else f"{value:.2f}"
        return str(value)

    print()
    print(f"{'fanout':<14}" + "".join(f"{k:>13}" for k in FANOUT_KEYS))
    for name in report["fanout"]:
        row = report["fanout"][name]
        note = row.get("skipped") or row.get("error")
        print(f"{name:<14}" + "".join(f"{fmt(row.get(k)):>13}" for k in FANOUT_KEYS) + (f"  ({note[:80]})" if note else ""))
    for key, r in report["ratios"].items():
        if isinstance(r, dict):
            print(f"{key}: p50 x{fmt(r['p50'])}, p99 x{fmt(r['p99'])}, msgs/s x{fmt(r['msgs_per_s'])}")
        else:
            print(f"{key}: x{fmt(r)}")
    print("server CPU ms per acknowledged send: " + ", ".join(
        f"{k} {fmt(v)}" for k, v in report["cpu_ms_per_acked_send"].items()))
    cap = report.get("capacity") or {}
    for name, c in cap.items():
        if isinstance(c, dict):
            print(f"capacity {name}: {fmt(c.get('sends_per_s'))} sends/s (p99 {fmt(c.get('p99_ms_at_capacity'))} ms"
                  f"{', client-bound' if c.get('client_bound') else ''}"
                  f"{', every step held' if c.get('reached_last_step') else ''})")
    for name, i in (report.get("idle") or {}).items():
        if isinstance(i, dict):
            print(f"idle {name}: {i.get('connections')}/{i.get('offered_connections')} held, {fmt(i.get('kib_per_connection'))} KiB"
                  f" per connection, active p99 {fmt(i.get('active_p99_ms'))} ms, errors {i.get('errors')}, lost {i.get('lost')}")
    print()
    for name in ("scaleout", "history", "list", "outbox"):
        row = report[name]
        shown = ", ".join(f"{k}={fmt(v)}" for k, v in row.items() if k not in ("skipped", "error"))
        note = row.get("skipped") or row.get("error")
        extra = details.get(name, {})
        if name == "scaleout" and extra:
            shown += f" (duplicated {extra.get('duplicated')}, out_of_order {extra.get('out_of_order')}, connections {extra.get('connections')})"
        if name == "history" and extra:
            shown += f" (join p99 {fmt(extra.get('join_p99_ms'))}, page p99 {fmt(extra.get('page_p99_ms'))})"
        if name == "list" and extra:
            shown += f" (page p99 {fmt(extra.get('page_p99_ms'))}, api p99 {fmt(extra.get('api_p99_ms'))}, constant queries: {extra.get('queries_constant')})"
        print(f"{name:<10} {shown}" + (f"  ({note[:100]})" if note else ""))
    m = report["machine"]
    print(f"\nmachine: {m['cores']} cores, {m['memory']}, Python {m['python']}, {m['database']}, {m['cpu']}, "
          f"load average {m['load_average_1_5_15']}")


def main(argv: list[str] | None = None) -> int:
    """Run the selected scenarios; 0 when every one ran, 1 when one failed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="every scenario smaller, under two minutes")
    size.add_argument("--smoke", action="store_true", help="every scenario tiny (CI keeps the benchmark working)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--rate", type=float, help="fan-out: messages per second per participant")
    parser.add_argument("--duration", type=float, help="fan-out: seconds of sending")
    parser.add_argument("--shipments", type=int, help="fan-out: shipments (x participants = connections)")
    parser.add_argument("--profile", action="store_true", help="record the hub (fan-out, history, list) and the email worker with py-spy into bench/out/profile-*.txt")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "latest.json", help="where the JSON goes")
    parser.add_argument("--repeat", type=int, help="repeats of hub, floor_durable, floor_stack and floor_python, interleaved "
                        "(figures are medians; default 3 in the full run, 1 otherwise)")
    parser.add_argument("--peer", action="append", default=[], choices=PEERS,
                        help="also measure a real peer under the same fan-out (synapse: Matrix Synapse, set up in "
                             "its own virtual environment under bench/build/)")
    parser.add_argument("--postgres-url", default=os.environ.get("HUB_BENCH_POSTGRES_URL") or None,
                        help="admin URL of the PostgreSQL server for hub_postgresql and the peer's PostgreSQL run "
                             "(default HUB_BENCH_POSTGRES_URL)")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = SIZES[mode]
    overrides = {k: v for k, v in (("rate", args.rate), ("duration", args.duration), ("shipments", args.shipments)) if v}
    if overrides:
        sizes = replace(sizes, fanout=replace(sizes.fanout, **overrides))
    if args.repeat:
        sizes = replace(sizes, repeat=args.repeat)

    install_signal_handlers()
    # Thousands of sockets in one process (the floors' and the load clients', children of this
    # one, in the `idle` scenario): descriptors to fit, inherited.
    raise_open_files_limit(sizes.fanout.connections + sizes.idle_shipments * sizes.fanout.per_shipment + 1024,
                           "the benchmark's idle scenario")
    run = Run(mode, sizes, args.profile, args.out.parent, args.postgres_url, tuple(f"peer_{p}" for p in args.peer))
    started = time.monotonic()
    try:
        run.run(only)
        command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
        report = run.report(only, command, time.monotonic() - started)
    except KeyboardInterrupt:
        print("bench: interrupted; every process stopped", file=sys.stderr)
        return 130
    finally:
        run.cleanup()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    details_path = args.out.with_name(args.out.stem + "-details.json")
    details_path.write_text(json.dumps(run.details, indent=2) + "\n")
    print_table(report, run.details)
    print(f"\nwrote {args.out} and {details_path}")
    for name, error in run.errors.items():
        print(f"bench: {name} FAILED: {error.splitlines()[0]}", file=sys.stderr)
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
