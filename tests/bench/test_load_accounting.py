"""The load generator counts right: against a relay that drops, doubles and reorders messages
on purpose (`tests/bench/scripted_relay.py`), its lost, duplicated and out-of-order figures are
exactly what the relay did; and the capacity rule and the durable floor work at tiny scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench import fanout
from bench.__main__ import capacity_of, capacity_step_passes, median_figures
from bench.fanout import FanoutSize
from bench.procs import Supervisor, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def test_lost_duplicated_and_out_of_order_are_counted_as_the_relay_misbehaved(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path / "logs")
    port = free_port()
    relay = sup.start("scripted-relay", [sys.executable, "-m", "tests.bench.scripted_relay", str(port)])
    try:
        wait_for_port(port, relay, timeout=30)
        per_shipment = 3
        size = FanoutSize(shipments=4, per_shipment=per_shipment, rate=4, duration=2, drain_s=3, clients=2,
                          timeout_s=15)
        merged = fanout.run_load(sup, "scripted", fanout.floor_connections(size, f"http://127.0.0.1:{port}"),
                                 size, tmp_path / "load", [relay.pid])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as answer:  # noqa: S310
            did = json.loads(answer.read())
    finally:
        sup.stop_all()
    figures, details = merged["figures"], merged["details"]
    sends = size.connections * int(size.duration * size.rate)
    assert did["sends"] == sends == details["sent"] == details["acked"], (did, details)
    # The script really did each kind of harm (so the test checks something).
    assert did["dropped"] > 0 and did["doubled"] > 0 and did["reordered"] > 0, did
    # Every other participant misses a dropped or never-released message; every socket of the
    # room (the sender's too) sees a doubled one twice and a late one after a higher seq.
    assert figures["lost"] == (did["dropped"] + did["held"]) * (per_shipment - 1), (figures, did)
    assert figures["duplicated"] == did["doubled"] * per_shipment, (figures, did)
    assert figures["out_of_order"] == did["reordered"] * per_shipment, (figures, did)
    assert figures["connections"] == size.connections
    assert details["receipts"] == (sends - did["dropped"] - did["held"]) * (per_shipment - 1)
    assert details["client_busiest_core_share"] >= 0 and isinstance(details["client_bound"], bool)


def _step(rate: int, p99: float | None, lost: int = 0, client_bound: bool = False) -> dict[str, object]:
    return {"offered_sends_per_s": rate, "p99_ms": p99, "lost": lost, "duplicated": 0, "out_of_order": 0,
            "send_errors": 0, "server_cpu_ms_per_acked_send": 1.0, "client_bound": client_bound}


def test_capacity_is_the_last_step_under_100_ms_with_nothing_lost() -> None:
    assert capacity_step_passes(_step(100, 99.9)) and not capacity_step_passes(_step(100, 100.0))
    assert not capacity_step_passes(_step(100, 5.0, lost=1)) and not capacity_step_passes(_step(100, None))
    held = capacity_of([_step(100, 10), _step(200, 40), _step(400, 150), _step(800, 20)])
    assert held["sends_per_s"] == 200 and held["p99_ms_at_capacity"] == 40 and not held["reached_last_step"]
    assert capacity_of([_step(100, 10), _step(200, 5, lost=3)])["sends_per_s"] == 100
    assert capacity_of([_step(100, 500)])["sends_per_s"] is None
    everything = capacity_of([_step(100, 10), _step(200, 20)])
    assert everything["reached_last_step"] and everything["sends_per_s"] == 200
    # A failing step where the clients were near a full core: the figure is marked client-bound.
    assert capacity_of([_step(100, 10), _step(200, 300, client_bound=True)])["client_bound"]


def test_repeats_report_medians_and_the_worst_counts() -> None:
    runs = [{"p99_ms": 10.0, "lost": 0, "connections": 12}, {"p99_ms": 30.0, "lost": 2, "connections": 12},
            {"p99_ms": 20.0, "lost": 0, "connections": 11}]
    assert median_figures(runs) == {"p99_ms": 20.0, "lost": 2, "connections": 11}


def test_the_durable_floors_and_capacity_stepping_run_at_tiny_scale(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = dict(os.environ, HUB_BENCH_POSTGRES_URL="", HUB_BENCH_REDIS_URL="")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench", "--smoke", "--only", "floor_durable,floor_stack,capacity", "--out", str(out)],
        cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(out.read_text())
    for floor in ("floor_durable", "floor_stack"):
        durable = report["fanout"][floor]
        assert durable["lost"] == 0 and durable["duplicated"] == 0 and durable["out_of_order"] == 0, durable
        assert durable["connections"] == 12 and durable["p99_ms"] is not None
        assert report["cpu_ms_per_acked_send"][floor] is not None
    assert set(report["ratios"]["hub_vs_floor_durable"]) == {"p50", "p99", "msgs_per_s"}
    assert report["ratios"]["cpu_per_send_floor_stack_vs_floor_durable"] is not None
    assert report["ratios"]["capacity_floor_stack_vs_floor_durable"] is not None
    details = json.loads(out.with_name("latest-details.json").read_text())
    for server in ("hub", "floor_durable", "floor_stack", "floor_python"):
        capacity = report["capacity"][server]
        assert capacity["sends_per_s"] in (6, 12), (server, capacity)
        steps = details["capacity"][server]
        assert [s["offered_sends_per_s"] for s in steps][:1] == [6]
        assert all(isinstance(s["client_bound"], bool) and s["server_cpu_ms_per_acked_send"] for s in steps), steps
