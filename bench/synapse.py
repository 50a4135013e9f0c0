"""A real peer: Matrix Synapse (`matrix-synapse` from PyPI, pinned) under the same fan-out load.

`python -m bench --peer synapse` sets it up by itself: a virtual environment of its own under
`bench/build/synapse-venv` (never the hub's; made once, rebuilt when the pin changes), a
homeserver configuration written here (client API on 127.0.0.1 only, no federation listener,
presence off, every rate limit out of reach, cheap password hashing for the bench users),
on SQLite and, with a PostgreSQL server, on a database of its own there (C collation, as
Synapse requires; dropped afterwards). Shipments become rooms, participants users (registered
through the shared-secret admin API); each participant sends with
`PUT /_matrix/client/v3/rooms/<room>/send/m.room.message/<txn>` and receives through `/sync`
long-polls (`bench.load_client`'s matrix connections), measured like the hub's sockets.
Synapse numbers no messages per room, so `out_of_order` is not judged there (always 0).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import fanout
from bench.database import _plain_pg
from bench.fanout import FanoutSize
from bench.procs import BenchError, Proc, Supervisor, free_port, wait_for_port

SYNAPSE_VERSION = "1.163.2"
PSYCOPG2_VERSION = "2.9.13"
BENCH_DIR = Path(__file__).resolve().parent
VENV = BENCH_DIR / "build" / "synapse-venv"
SERVER_NAME = "bench.local"
OUT_OF_REACH = {"per_second": 1_000_000, "burst_count": 1_000_000}


def venv_python() -> Path:
    """Synapse's own interpreter, installed (pinned) on first use."""
    python = VENV / "bin" / "python"
    if python.exists():
        done = subprocess.run([str(python), "-c", "import synapse, psycopg2; print(synapse.__version__)"],  # noqa: S603
                              capture_output=True, text=True, timeout=60)
        if done.returncode == 0 and done.stdout.split()[:1] == [SYNAPSE_VERSION]:
            return python
    VENV.parent.mkdir(parents=True, exist_ok=True)
    # The hub's interpreter builds it; `venv` makes it from the base Python, not the hub's venv.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=120)  # noqa: S603
    done = subprocess.run(  # noqa: S603
        [str(python), "-m", "pip", "install", "-q", f"matrix-synapse=={SYNAPSE_VERSION}",
         f"psycopg2-binary=={PSYCOPG2_VERSION}"], capture_output=True, text=True, timeout=900,
    )
    if done.returncode != 0:
        raise BenchError(f"installing matrix-synapse=={SYNAPSE_VERSION} failed:\n{done.stderr[-3000:]}")
    return python


def write_config(folder: Path, port: int, database: dict[str, Any]) -> Path:
    """homeserver.yaml (JSON is YAML) and its logging configuration."""
    folder.mkdir(parents=True, exist_ok=True)
    log_config = folder / "log.yaml"
    log_config.write_text(json.dumps({
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(folder / "homeserver.log"),
                              "formatter": "plain"}},
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }))
    limits = {
        "rc_message": OUT_OF_REACH,
        "rc_registration": OUT_OF_REACH,
        "rc_login": {"address": OUT_OF_REACH, "account": OUT_OF_REACH, "failed_attempts": OUT_OF_REACH},
        "rc_joins": {"local": OUT_OF_REACH, "remote": OUT_OF_REACH},
        "rc_joins_per_room": OUT_OF_REACH,
        "rc_invites": {"per_room": OUT_OF_REACH, "per_user": OUT_OF_REACH, "per_issuer": OUT_OF_REACH},
        "rc_room_creation": OUT_OF_REACH,
        "rc_admin_redaction": OUT_OF_REACH,
        "rc_presence": {"per_user": OUT_OF_REACH},
    }
    config = {
        "server_name": SERVER_NAME,
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": database,
        "log_config": str(log_config),
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "registration_shared_secret": secrets.token_hex(16),
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        "enable_metrics": False,
        "url_preview_enabled": False,
        "federation_domain_whitelist": [],
        "bcrypt_rounds": 4,
        **limits,
    }
    path = folder / "homeserver.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


def start(sup: Supervisor, python: Path, folder: Path, label: str, database: dict[str, Any]) -> tuple[Proc, int, str]:
    """Generate keys, start the homeserver, wait for its client API; answers (proc, port, shared secret)."""
    port = free_port()
    config = write_config(folder, port, database)
    subprocess.run([str(python), "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],  # noqa: S603
                   check=True, capture_output=True, timeout=120, cwd=str(folder))
    proc = sup.start(f"synapse-{label}", [str(python), "-m", "synapse.app.homeserver", "-c", str(config)])
    wait_for_port(port, proc, timeout=180)
    secret = json.loads(config.read_text())["registration_shared_secret"]
    return proc, port, secret


async def _register_and_join(base: str, secret: str, shipments: int, per_shipment: int,
                             concurrency: int = 16) -> list[dict[str, Any]]:
    """Users by the shared-secret admin API; one room per shipment (its first participant
    creates it, the others join). Answers the connections for the load clients."""
    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def call(method: str, path: str, token: str | None = None, body: Any = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with gate:
                for attempt in range(5):
                    async with http.request(method, base + path, json=body, headers=headers) as answer:
                        data = await answer.json(content_type=None)
                        if answer.status == 200:
                            return data
                        if answer.status != 429 and answer.status < 500:
                            raise BenchError(f"synapse {method} {path}: {answer.status} {data}")
                    await asyncio.sleep(0.2 * (attempt + 1))
                raise BenchError(f"synapse {method} {path}: gave up")

        async def register(name: str) -> str:
            nonce = (await call("GET", "/_synapse/admin/v1/register"))["nonce"]
            password = "bench-" + name
            mac = hmac.new(secret.encode(), b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]),
                           hashlib.sha1).hexdigest()
            answer = await call("POST", "/_synapse/admin/v1/register",
                                body={"nonce": nonce, "username": name, "password": password, "admin": False, "mac": mac})
            return answer["access_token"]

        tokens = await asyncio.gather(*(register(f"s{s}p{p}") for s in range(shipments) for p in range(per_shipment)))

        async def room(s: int) -> list[dict[str, Any]]:
            group = tokens[s * per_shipment:(s + 1) * per_shipment]
            room_id = (await call("POST", "/_matrix/client/v3/createRoom", group[0],
                                  {"preset": "public_chat", "name": f"Shipment {s + 1}"}))["room_id"]
            for token in group[1:]:
                await call("POST", f"/_matrix/client/v3/join/{room_id}", token, {})
            return [{"url": base, "shipment_id": s + 1, "token": token, "room_id": room_id, "protocol": "matrix"}
                    for token in group]

        rooms = await asyncio.gather(*(room(s) for s in range(shipments)))
    return [conn for group in rooms for conn in group]


def run_one(sup: Supervisor, size: FanoutSize, folder: Path, label: str, database: dict[str, Any]) -> dict[str, Any]:
    """Start Synapse on `database`, set up rooms and users, drive the load; stop it."""
    python = venv_python()
    proc, port, secret = start(sup, python, folder, label, database)
    try:
        started = time.monotonic()
        connections = asyncio.run(_register_and_join(f"http://127.0.0.1:{port}", secret, size.shipments,
                                                     size.per_shipment))
        setup_s = time.monotonic() - started
        merged = fanout.run_load(sup, f"peer-synapse-{label}", connections, size, folder / "load", [proc.pid])
    finally:
        sup.stop(proc)
    merged["details"]["setup_s"] = round(setup_s, 1)
    merged["details"]["synapse"] = {"version": SYNAPSE_VERSION, "database": label}
    return merged


def run_peer(sup: Supervisor, size: FanoutSize, folder: Path, postgres_url: str | None) -> dict[str, dict[str, Any]]:
    """`peer_synapse` (SQLite) and, with a PostgreSQL server, `peer_synapse_postgresql`."""
    results = {"peer_synapse": run_one(sup, size, folder / "sqlite", "sqlite", {
        "name": "sqlite3", "args": {"database": str(folder / "sqlite" / "homeserver.db")}})}
    if postgres_url:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(_plain_pg(postgres_url))
        name = f"synapse_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_plain_pg(postgres_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE \"{name}\" LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        try:
            args = {"user": url.username or "postgres", "host": url.host or "127.0.0.1", "port": url.port or 5432,
                    "database": name, "cp_min": 5, "cp_max": 10}
            if url.password:
                args["password"] = url.password
            results["peer_synapse_postgresql"] = run_one(sup, size, folder / "postgresql", "postgresql",
                                                         {"name": "psycopg2", "args": args})
        finally:
            with psycopg.connect(_plain_pg(postgres_url), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results
