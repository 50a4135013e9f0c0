"""Fixtures of the operations tests: a small world (a shipment, its people and their tokens)
on a database of the test's own, such as a throwaway PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import make_app, migrate_to_head
from tests.operations.throwaway import ThrowawayPostgres, ThrowawayRedis


@dataclass
class SmallWorld:
    """Ids and tokens of one shipment's people (plain values: no session needed)."""

    shipment_id: int
    tokens: dict[str, str]
    user_ids: dict[str, int]


def build_small_world(database_url: str, tmp: Path) -> SmallWorld:
    """Migrate `database_url` and add a shipment with a coordinator, an agent and an observer."""
    app = make_app(database_url, tmp)
    migrate_to_head(app)
    from hub.extensions import db

    with app.app_context():
        shipper, agency = factories.org("shipper", "US", "Acme Imports"), factories.org("customs_agent", "CN")
        people = {"staff": factories.user(shipper, "coordinator"), "agent": factories.user(agency, "partner"),
                  "observer": factories.user(agency, "partner")}
        shipment = factories.shipment(people["staff"], "ACME-OPS")
        factories.participant(shipment, people["agent"], "agent")
        factories.participant(shipment, people["observer"], "observer")
        world = SmallWorld(shipment.id, {who: factories.token(u) for who, u in people.items()},
                           {who: u.id for who, u in people.items()})
        db.session.remove()
        db.engine.dispose()
    return world


def _running(server: ThrowawayPostgres | ThrowawayRedis) -> Iterator[ThrowawayPostgres | ThrowawayRedis]:
    try:
        yield server.start()
    finally:
        if isinstance(server, ThrowawayPostgres):
            print(f"--- throwaway PostgreSQL log ---\n{server.log_tail()}")  # shown when a test fails
        server.remove()


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres | ThrowawayRedis]:
    """A PostgreSQL cluster of this test alone, on its own port."""
    yield from _running(ThrowawayPostgres())


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayPostgres | ThrowawayRedis]:
    """A redis-server of this test alone, on its own port."""
    yield from _running(ThrowawayRedis())
