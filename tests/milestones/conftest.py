"""Fixtures of the milestone tests: posting reports as one of the world's people, and
catching the `milestone_recorded` signal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.extensions import db
from hub.milestones.models import Milestone
from hub.signals import milestone_recorded


def milestone_count() -> int:
    """How many milestones are stored, on every shipment."""
    return db.session.scalar(select(func.count()).select_from(Milestone)) or 0


@pytest.fixture
def post_milestone(client, world):
    """POST a milestone report to world.shipment (or `shipment_id`) as `who`."""

    def post(who: str, body: Any, shipment_id: int | None = None) -> Any:
        sid = shipment_id or world.shipment.id
        return client.post(f"/api/v1/shipments/{sid}/milestones", json=body, headers=world.headers(who))

    return post


@pytest.fixture
def recorded_signals() -> Iterator[list[tuple[Milestone, dict[str, Any]]]]:
    """Every `milestone_recorded` sent during the test: (sender, kwargs)."""
    caught: list[tuple[Milestone, dict[str, Any]]] = []

    def receiver(sender: Milestone, **kwargs: Any) -> None:
        caught.append((sender, kwargs))

    with milestone_recorded.connected_to(receiver):
        yield caught
