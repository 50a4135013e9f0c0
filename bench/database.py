"""A fresh, migrated database per scenario, filled by bulk inserts (SQLAlchemy core).

SQLite by default (a file in the run's temporary folder); a fresh PostgreSQL database on the
server of `HUB_BENCH_POSTGRES_URL` when that is set and not empty, dropped afterwards.
The schema always comes from the migrations (`flask --app wsgi db upgrade`); the rows are
inserted with core `INSERT`s through the hub's own table definitions, so column types and
defaults are the application's.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, event, func, select, update
from sqlalchemy.engine import Connection, Engine, make_url

from bench.procs import PYTHON, run_command

BENCH_PASSWORD = "bench-password-2026"


def postgres_admin_url() -> str | None:
    """`HUB_BENCH_POSTGRES_URL` when set and not empty."""
    return os.environ.get("HUB_BENCH_POSTGRES_URL") or None


def database_kind() -> str:
    """`postgresql` or `sqlite`, as this run uses."""
    return "postgresql" if postgres_admin_url() else "sqlite"


def _plain_pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")


@dataclass
class BenchDatabase:
    """One scenario's database: its URL, the hub's environment for it, and its cleanup."""

    url: str
    tmp: Path
    pg_name: str | None = None
    admin_url: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "postgresql" if self.pg_name else "sqlite"

    def hub_env(self, port: int | None = None) -> dict[str, str]:
        """Environment for `hub serve`, migrations and the worker: production settings on
        127.0.0.1, rate limits off, nothing sent anywhere but 127.0.0.1."""
        base = f"http://127.0.0.1:{port}" if port else "http://127.0.0.1"
        return {
            "HUB_ENV": "production",
            "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "DATABASE_URL": self.url,
            "PUBLIC_BASE_URL": base,
            "HUB_INSTANCE_PATH": str(self.tmp / "instance"),
            "UPLOAD_DIR": str(self.tmp / "uploads"),
            "RATELIMIT_ENABLED": "0",
            "HUB_INLINE_WORKER": "0",
            "SOCKETIO_MESSAGE_QUEUE": "",
            # No email leaves the machine even if something tries to send.
            "SENDGRID_API_KEY": "",
            "SENDGRID_API_HOST": "http://127.0.0.1:9",
        }

    def engine(self) -> Engine:
        """An engine for bulk loading (fast, unsafe SQLite pragmas only during the load)."""
        if self._engine is None:
            from config import normalize_database_url

            engine = create_engine(normalize_database_url(self.url))
            if engine.dialect.name == "sqlite":

                @event.listens_for(engine, "connect")
                def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=OFF")
                    cursor.execute("PRAGMA foreign_keys=OFF")
                    cursor.close()

            self._engine = engine
        return self._engine

    def migrate(self) -> None:
        """Build the schema with the hub's migrations."""
        run_command(
            [PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            self.hub_env(), timeout=180, what="flask db upgrade",
        )

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load, as a DBA would."""
        engine = self.engine()
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()

    def dispose(self) -> None:
        """Close the loader's connections and drop a PostgreSQL database."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.pg_name:
            import psycopg

            admin = self.admin_url or postgres_admin_url() or ""
            with psycopg.connect(_plain_pg(admin), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_name = None


def fresh_database(tmp: Path, label: str, postgres: str | None = None) -> BenchDatabase:
    """Create an empty database for one scenario (not yet migrated): on the PostgreSQL server
    `postgres` (an admin URL) when given, else as `HUB_BENCH_POSTGRES_URL` says."""
    tmp.mkdir(parents=True, exist_ok=True)
    admin = postgres or postgres_admin_url()
    if not admin:
        return BenchDatabase(url=f"sqlite:///{tmp / (label + '.sqlite3')}", tmp=tmp)
    import psycopg

    name = f"hub_bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_plain_pg(admin), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(_plain_pg(admin)).set(database=name).render_as_string(hide_password=False)
    return BenchDatabase(url=url, tmp=tmp, pg_name=name, admin_url=admin)


def backend_cpu(db: BenchDatabase) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving `db` (the server runs on this
    machine: its processes' /proc counters), by pid."""
    if not db.pg_name:
        return {}
    import psycopg

    from bench.fanout import cpu_seconds

    with psycopg.connect(_plain_pg(db.admin_url or ""), autocommit=True, connect_timeout=5) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (db.pg_name,))]
    return {pid: cpu_seconds([pid]) for pid in pids}


def tables() -> dict[str, Table]:
    """The hub's tables (every model module imported), for core inserts."""
    import hub.models  # noqa: F401
    from hub.extensions import db

    return dict(db.metadata.tables)


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]], batch: int = 5000) -> int:
    """Insert `rows` in batches of executemany; answers how many."""
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        conn.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def new_token() -> tuple[str, str]:
    """An API token secret and its stored digest (as `hub.accounts.security.issue_token` makes them)."""
    from hub.accounts.models import ApiToken

    secret = "hub_" + secrets.token_urlsafe(32)
    return secret, ApiToken.digest_of(secret)


# --- the world the scenarios share -----------------------------------------------------------

PARTNER_KINDS = ("customs_agent", "broker", "forwarder")
# Five participants who all may post: the coordinator and four partners.
PARTICIPANT_ROLES = ("coordinator", "agent", "broker", "forwarder", "agent")
BODIES = (
    "Container **MSKU{n:07d}** is at the gate, _customs_ asked for the packing list.",
    "Invoice `INV-{n}` attached yesterday; see https://example.com/docs/{n} for the scan.",
    "- duties paid\n- broker notified\n- truck booked for {n}",
    "Quick update on {n}: inspection done, release expected tomorrow morning.",
)


@dataclass
class Person:
    """A user the benchmark acts as."""

    user_id: int
    email: str
    token: str


@dataclass
class World:
    """What a scenario's clients need: shipments and who takes part in each."""

    shipments: list[int]
    participants: dict[int, list[Person]]
    staff: Person | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _organizations(conn: Connection, t: dict[str, Table]) -> tuple[int, list[int]]:
    now = _now()
    rows = [{"name": "Bench Shipper GmbH", "kind": "shipper", "country": "DE", "time_zone": "Europe/Berlin", "created_at": now}]
    rows += [
        {"name": f"Bench {kind.replace('_', ' ').title()}", "kind": kind, "country": "CN", "time_zone": "Asia/Shanghai", "created_at": now}
        for kind in PARTNER_KINDS
    ]
    insert_rows(conn, t["organizations"], rows)
    ids = list(conn.execute(select(t["organizations"].c.id).order_by(t["organizations"].c.id)).scalars())
    return ids[0], ids[1:]


def _users(
    conn: Connection, t: dict[str, Table], specs: list[tuple[str, str, int, str]], password_hash: str | None = None,
) -> list[Person]:
    """Insert users (email, name, org, role) with one API token each."""
    now = _now()
    insert_rows(conn, t["users"], (
        {"email": email, "name": name, "organization_id": org, "role": role, "password_hash": password_hash,
         "locale": "en", "time_zone": "UTC", "active": True, "created_at": now}
        for email, name, org, role in specs
    ))
    users = t["users"]
    ids = dict(conn.execute(select(users.c.email, users.c.id).where(users.c.email.in_([s[0] for s in specs]))).all())
    people = []
    token_rows = []
    for email, _name, _org, _role in specs:
        secret, digest = new_token()
        people.append(Person(ids[email], email, secret))
        token_rows.append({"user_id": ids[email], "digest": digest, "name": "bench", "created_at": now})
    insert_rows(conn, t["api_tokens"], token_rows)
    return people


def _shipments(conn: Connection, t: dict[str, Table], owner: int, count: int, creator: int | None, prefix: str) -> list[int]:
    now = _now()
    modes = ("sea", "air", "road", "rail", "courier")
    insert_rows(conn, t["shipments"], (
        {
            "reference": f"{prefix}-{i:06d}", "owner_org_id": owner, "origin_country": "CN",
            "destination_country": "DE", "port_of_entry": "Hamburg", "transport_mode": modes[i % 5],
            "incoterm": "FOB", "goods_description": "Centrifugal pumps", "hs_codes": ["8413.70"],
            "declared_value": 1000 + i, "currency": "EUR", "etd": now, "eta": now + timedelta(days=20),
            "status": "new", "last_seq": 0, "created_by_id": creator,
            "created_at": now - timedelta(minutes=i), "updated_at": now - timedelta(minutes=i),
        }
        for i in range(count)
    ))
    sh = t["shipments"]
    return list(conn.execute(select(sh.c.id).where(sh.c.reference.like(f"{prefix}-%")).order_by(sh.c.id)).scalars())


def _participants(conn: Connection, t: dict[str, Table], rows: Iterable[tuple[int, int, str, int]]) -> None:
    now = _now()
    insert_rows(conn, t["shipment_participants"], (
        {"shipment_id": s, "user_id": u, "role": role, "last_read_seq": read, "added_by_id": None, "added_at": now}
        for s, u, role, read in rows
    ))


def _messages(
    conn: Connection, t: dict[str, Table], per_shipment: Iterable[tuple[int, int, list[int]]], batch: int = 10000,
) -> int:
    """Insert `count` text messages (seq 1..count) per shipment, authored in turn by `authors`;
    sets each shipment's `last_seq`."""
    from hub.threads.markup import render_markdown

    html = [(body, render_markdown(body.format(n=0))) for body in BODIES]
    start = _now() - timedelta(days=30)
    counts: dict[int, int] = {}

    def rows() -> Iterator[dict[str, Any]]:
        for shipment_id, count, authors in per_shipment:
            counts[shipment_id] = count
            for seq in range(1, count + 1):
                body, body_html = html[seq % len(html)]
                yield {
                    "shipment_id": shipment_id, "seq": seq, "author_id": authors[seq % len(authors)],
                    "kind": "text", "body": body.format(n=seq), "body_html": body_html,
                    "client_id": str(uuid.uuid4()), "via": "web",
                    "created_at": start + timedelta(seconds=seq), "edited_at": None, "deleted_at": None,
                }

    total = insert_rows(conn, t["messages"], rows(), batch=batch)
    sh = t["shipments"]
    for shipment_id, count in counts.items():
        conn.execute(update(sh).where(sh.c.id == shipment_id).values(last_seq=count))
    return total


def build_fanout_world(db: BenchDatabase, shipments: int, per_shipment: int) -> World:
    """S shipments with P participants each (a coordinator and partners), one token each."""
    t = tables()
    with db.engine().begin() as conn:
        shipper, partners = _organizations(conn, t)
        specs = []
        for s in range(shipments):
            for p in range(per_shipment):
                role = PARTICIPANT_ROLES[p % len(PARTICIPANT_ROLES)]
                org = shipper if role == "coordinator" else partners[p % len(partners)]
                specs.append((f"s{s}.p{p}@bench.test", f"Bench User {s}-{p}", org, "coordinator" if org == shipper else "partner"))
        people = _users(conn, t, specs)
        ids = _shipments(conn, t, shipper, shipments, people[0].user_id, "FAN")
        participants: dict[int, list[Person]] = {}
        rows = []
        for s, shipment_id in enumerate(ids):
            group = people[s * per_shipment:(s + 1) * per_shipment]
            participants[shipment_id] = group
            for p, person in enumerate(group):
                rows.append((shipment_id, person.user_id, PARTICIPANT_ROLES[p % len(PARTICIPANT_ROLES)], 0))
        _participants(conn, t, rows)
    db.analyze()
    return World(shipments=ids, participants=participants)


def build_history_world(db: BenchDatabase, total_messages: int, thread_messages: int, other_threads: int) -> World:
    """One thread of `thread_messages` in a database of `total_messages` messages."""
    t = tables()
    with db.engine().begin() as conn:
        shipper, partners = _organizations(conn, t)
        people = _users(conn, t, [
            ("history.coordinator@bench.test", "History Coordinator", shipper, "coordinator"),
            ("history.agent@bench.test", "History Agent", partners[0], "partner"),
        ])
        ids = _shipments(conn, t, shipper, other_threads + 1, people[0].user_id, "HIS")
        _participants(conn, t, [(s, p.user_id, role, 0) for s in ids for p, role in zip(people, ("coordinator", "agent"), strict=True)])
        rest = total_messages - thread_messages
        per_other = max(1, rest // max(1, other_threads))
        authors = [p.user_id for p in people]
        plan = [(ids[0], thread_messages, authors)] + [(s, per_other, authors) for s in ids[1:]]
        total = _messages(conn, t, plan)
    db.analyze()
    return World(shipments=ids[:1], participants={ids[0]: people}, extra={"messages": total, "thread": thread_messages})


def build_list_world(db: BenchDatabase, shipments: int, small: int, messages_each: int) -> World:
    """A coordinator on `shipments` shipments with unread messages on most; a second
    coordinator on `small` shipments, to show the query count does not grow with the list."""
    from werkzeug.security import generate_password_hash

    t = tables()
    password_hash = generate_password_hash(BENCH_PASSWORD)
    with db.engine().begin() as conn:
        shipper, partners = _organizations(conn, t)
        # Coordinators of another shipper org each, so each sees only their own shipments.
        orgs = t["organizations"]
        now = _now()
        insert_rows(conn, orgs, [
            {"name": f"Bench Shipper {i}", "kind": "shipper", "country": "DE", "time_zone": "UTC", "created_at": now}
            for i in (2, 3)
        ])
        org_big, org_small = list(conn.execute(select(orgs.c.id).order_by(orgs.c.id.desc()).limit(2)).scalars())[::-1]
        big, little, agent = _users(conn, t, [
            ("list.big@bench.test", "List Coordinator", org_big, "coordinator"),
            ("list.small@bench.test", "Small Coordinator", org_small, "coordinator"),
            ("list.agent@bench.test", "List Agent", partners[0], "partner"),
        ], password_hash=password_hash)
        big_ids = _shipments(conn, t, org_big, shipments, big.user_id, "LST")
        small_ids = _shipments(conn, t, org_small, small, little.user_id, "SML")
        rows = []
        for i, s in enumerate(big_ids):
            rows.append((s, big.user_id, "coordinator", i % (messages_each + 1)))
            rows.append((s, agent.user_id, "agent", messages_each))
        for s in small_ids:
            rows.append((s, little.user_id, "coordinator", 0))
            rows.append((s, agent.user_id, "agent", messages_each))
        _participants(conn, t, rows)
        authors = [agent.user_id]
        _messages(conn, t, [(s, messages_each, authors) for s in big_ids + small_ids])
    db.analyze()
    return World(shipments=big_ids, participants={}, staff=big, extra={"small": little, "small_ids": small_ids})


def queue_outbox(db: BenchDatabase, count: int) -> list[int]:
    """Queue `count` due emails (as a milestone email would be) for distinct participants."""
    t = tables()
    with db.engine().begin() as conn:
        shipper, partners = _organizations(conn, t)
        people = _users(conn, t, [(f"mail{i}@bench.test", f"Mail Recipient {i}", partners[i % 3], "partner") for i in range(min(count, 50))])
        ids = _shipments(conn, t, shipper, 1, None, "OUT")
        _participants(conn, t, [(ids[0], p.user_id, "agent", 0) for p in people])
        now = _now() - timedelta(seconds=5)
        text = "Released at 2026-11-25 08:00 UTC, Hamburg.\n\nOpen the shipment: http://127.0.0.1/shipments/1\n"
        html = "<p>Released at 2026-11-25 08:00 UTC, Hamburg.</p><p><a href=\"http://127.0.0.1/shipments/1\">Open the shipment</a></p>"
        insert_rows(conn, t["outbox_emails"], (
            {
                "kind": "milestone", "to_email": people[i % len(people)].email, "to_name": f"Mail Recipient {i}",
                "user_id": people[i % len(people)].user_id, "shipment_id": ids[0],
                "subject": f"[OUT-000000] Released (#{i})", "text_body": text, "html_body": html,
                "headers": {}, "status": "pending", "attempts": 0, "next_attempt_at": now,
                "created_at": now,
            }
            for i in range(count)
        ))
        ob = t["outbox_emails"]
        queued = list(conn.execute(select(ob.c.id).where(ob.c.status == "pending")).scalars())
    return queued


def outbox_counts(db: BenchDatabase) -> dict[str, int]:
    """Outbox rows by status."""
    ob = tables()["outbox_emails"]
    with db.engine().connect() as conn:
        return dict(conn.execute(select(ob.c.status, func.count()).group_by(ob.c.status)).all())
