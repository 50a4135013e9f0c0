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


def _statements_of(block) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        block()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_advisory_lock_is_taken_only_when_processes_share_a_message_queue(app, world):
    """Without a message queue no other process's events reach this one's sockets: the process's
    own lock orders them, and the two round trips of the advisory lock are saved."""

    def write() -> None:
        with shipment_transaction(world.shipment.id) as shipment:
            shipment.goods_description = "Pumps"

    app.config["SOCKETIO_MESSAGE_QUEUE"] = None
    assert not any("pg_advisory_lock" in s for s in _statements_of(write))
    # With a queue (several servers) it is taken, and released after the commit's events.
    app.config["SOCKETIO_MESSAGE_QUEUE"] = "redis://127.0.0.1:9/0"  # never reached: no event queued
    try:
        assert any("pg_advisory_lock" in s for s in _statements_of(write))
    finally:
        app.config["SOCKETIO_MESSAGE_QUEUE"] = None
    held = db.session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar()
    assert held == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout_without_a_ping_per_checkout(app, world):
    """The checkout check pings only a suspect connection (closed by the server, or long idle)."""
    pings: list[str] = []
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    original = db.engine.dialect.do_ping

    def counting_ping(dbapi_connection) -> bool:
        pings.append("ping")
        return original(dbapi_connection)

    db.engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        for _ in range(3):  # a connection back from the pool at once, alive: no ping
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend
        assert pings == []
        import time

        import psycopg

        from tests.services import postgres_admin_url

        with psycopg.connect(postgres_admin_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
            # A backend says goodbye to its client before it leaves pg_stat_activity: once it has
            # left, the goodbye is on the idle connection's socket (a fixed sleep may be too short
            # on a loaded machine, and the connection would then be handed out unchecked).
            deadline = time.monotonic() + 30
            while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()[0]:
                assert time.monotonic() < deadline, "the terminated backend did not exit"
                time.sleep(0.02)
        with db.engine.connect() as conn:  # the dead one is pinged, found closed, replaced
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
        assert pings == ["ping"]
    finally:
        db.engine.dialect.do_ping = original  # type: ignore[method-assign]
