"""The ordering layer: after-commit steps run in their declared order, only after a commit,
and the shipment's locks are released whether the transaction commits or fails."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.errors import NotFound
from hub.extensions import db
from hub.shipment_tx import Step, after_commit, hub_state, shipment_transaction


def test_steps_run_by_step_then_in_the_order_queued(app, world):
    ran: list[str] = []
    with shipment_transaction(world.shipment.id):
        after_commit(Step.UNLOCK, lambda: ran.append("unlock"))
        after_commit(Step.MEMBERSHIP, lambda: ran.append("evict"))
        after_commit(Step.EMIT, lambda: ran.append("message 1"))
        after_commit(Step.EMIT, lambda: ran.append("message 2"))
        assert ran == []  # nothing before the commit
    assert ran == ["message 1", "message 2", "evict", "unlock"]


def test_a_failing_step_does_not_stop_the_others_or_undo_the_commit(app, world):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the socket server is gone")

    with shipment_transaction(world.shipment.id) as shipment:
        shipment.goods_description = "Committed anyway"
        after_commit(Step.EMIT, broken)
        after_commit(Step.UNLOCK, lambda: ran.append("unlock"))
    assert ran == ["unlock"]
    db.session.expire_all()
    assert db.session.execute(text("SELECT goods_description FROM shipments")).scalar() == "Committed anyway"


def test_a_rollback_drops_the_steps_and_the_next_writer_gets_in(app, world):
    ran: list[str] = []
    with pytest.raises(RuntimeError), shipment_transaction(world.shipment.id) as shipment:
        shipment.goods_description = "never"
        after_commit(Step.EMIT, lambda: ran.append("emitted"))
        raise RuntimeError("validation failed half-way")
    assert ran == []
    # The locks were released: the next transaction of the same shipment runs at once.
    with shipment_transaction(world.shipment.id) as shipment:
        assert shipment.goods_description != "never"
        after_commit(Step.EMIT, lambda: ran.append("emitted"))
    assert ran == ["emitted"]


def test_an_unknown_shipment_is_not_found_and_leaves_nothing_queued(app, world):
    with pytest.raises(NotFound), shipment_transaction(987654):
        pass
    with shipment_transaction(world.shipment.id):
        pass  # a commit with nothing queued


def test_each_app_has_its_own_state(app, tmp_path):
    from tests.conftest import make_app

    other = make_app(str(db.engine.url.render_as_string(hide_password=False)), tmp_path)
    assert other.extensions["hub"] is not app.extensions["hub"]
    assert hub_state() is app.extensions["hub"]
    assert other.extensions["hub"].rooms is not app.extensions["hub"].rooms


def test_a_savepoint_rolled_back_drops_only_what_was_queued_inside_it(app, world):
    ran: list[str] = []
    with shipment_transaction(world.shipment.id):
        after_commit(Step.EMIT, lambda: ran.append("outer"))
        with pytest.raises(RuntimeError), db.session.begin_nested():
            after_commit(Step.EMIT, lambda: ran.append("inside the savepoint"))
            raise RuntimeError("a duplicate webhook event")
        after_commit(Step.EMIT, lambda: ran.append("after the savepoint"))
    assert ran == ["outer", "after the savepoint"]
