"""The servers a scenario drives: the hub (the documented command), the two floor relays,
the fake SendGrid; and the Node.js set-up for the node floor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from bench.database import BenchDatabase
from bench.procs import PYTHON, ROOT, Proc, Supervisor, free_port, wait_for_http, wait_for_port
from config import Config
from hub.cli import SERVE_ENVIRONMENT

BENCH_DIR = Path(__file__).resolve().parent

# The hub's own serving options (`hub serve`): one gevent worker, as many connections as its
# default SERVE_WORKER_CONNECTIONS.
GUNICORN_GEVENT = ["--worker-class", "gevent", "--workers", "1",
                   "--worker-connections", str(Config().SERVE_WORKER_CONNECTIONS)]


def start_hub(
    sup: Supervisor, db: BenchDatabase, name: str, extra_env: dict[str, str] | None = None,
) -> tuple[Proc, int]:
    """`python -m flask --app wsgi hub serve --host 127.0.0.1 --port P` on `db`."""
    port = free_port()
    env = db.hub_env(port) | (extra_env or {})
    proc = sup.start(
        name, [PYTHON, "-m", "flask", "--app", "wsgi", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)], env,
    )
    wait_for_http(port, proc, timeout=60)
    return proc, port


def start_floor_python(sup: Supervisor) -> tuple[Proc, int]:
    """The bare python-socketio relay, served by gunicorn's gevent worker like the hub."""
    port = free_port()
    proc = sup.start("floor_python", [
        PYTHON, "-m", "gunicorn", *GUNICORN_GEVENT, "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--access-logfile", "/dev/null", "--error-logfile", "-", "bench.floor_relay:app",
    ], dict(SERVE_ENVIRONMENT))
    wait_for_http(port, proc, timeout=30)
    return proc, port


def start_floor_durable(sup: Supervisor, database_path: Path, name: str = "floor_durable") -> tuple[Proc, int]:
    """A durable relay, served the same way: `floor_durable` (`bench.floor_durable`, the python
    floor that commits every message to SQLite before acknowledging it) or `floor_stack`
    (`bench.floor_stack`, the same work through Flask, Flask-SocketIO and Flask-SQLAlchemy)."""
    port = free_port()
    proc = sup.start(name, [
        PYTHON, "-m", "gunicorn", *GUNICORN_GEVENT, "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--access-logfile", "/dev/null", "--error-logfile", "-", f"bench.{name}:app",
    ], dict(SERVE_ENVIRONMENT) | {"BENCH_DURABLE_DB": str(database_path)})
    wait_for_http(port, proc, timeout=30)
    return proc, port


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of the processes now (Linux /proc), in bytes."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def node_setup(log_dir: Path) -> tuple[str | None, str | None]:
    """Install socket.io from the npm registry into bench/node_modules (once, `npm ci`).

    Answers (node executable, None) or (None, the reason the node floor is skipped)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        return None, "Node.js or npm is not installed (apt-get install nodejs npm)"
    wanted = json.loads((BENCH_DIR / "package.json").read_text())["dependencies"]["socket.io"]
    installed = BENCH_DIR / "node_modules" / "socket.io" / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == wanted:
        return node, None
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(  # noqa: S603
            # `npm ci`: exactly the versions of the committed package-lock.json.
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=str(BENCH_DIR), capture_output=True, text=True, timeout=180,
        )
    except subprocess.TimeoutExpired:
        return None, "npm install of socket.io timed out (npm registry unreachable?)"
    (log_dir / "npm-install.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0 or not installed.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"npm install of socket.io failed (registry unreachable?): {last}"[:300]
    return node, None


def start_floor_node(sup: Supervisor, node: str) -> tuple[Proc, int]:
    """The bare Node.js socket.io relay."""
    port = free_port()
    proc = sup.start("floor_node", [node, str(BENCH_DIR / "floor_relay.js"), str(port)])
    wait_for_http(port, proc, timeout=30)
    return proc, port


def start_fake_sendgrid(sup: Supervisor) -> tuple[Proc, int]:
    """The local SendGrid stand-in answering 202."""
    port = free_port()
    proc = sup.start("fake_sendgrid", [PYTHON, "-m", "bench.fake_sendgrid", str(port)])
    wait_for_port(port, proc, timeout=15)
    return proc, port


def fake_sendgrid_stats(port: int) -> dict[str, Any]:
    """What the fake SendGrid received."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def worker_pid(proc: Proc) -> int | None:
    """The gunicorn worker (the process serving requests) under a `hub serve` master."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def serving_pids(procs: list[Proc]) -> list[int]:
    """The processes doing the serving: each gunicorn master and its worker, or the node process."""
    pids = []
    for proc in procs:
        pids.append(proc.pid)
        worker = worker_pid(proc)
        if worker is not None:
            pids.append(worker)
    return pids


def redis_url() -> str | None:
    """`HUB_BENCH_REDIS_URL` when set and not empty."""
    return os.environ.get("HUB_BENCH_REDIS_URL") or None
