"""A socket client flooding events is slowed, then disconnected, while another client's
acknowledgements stay fast (a real server with the limits on)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from tests.live import LiveServer
from tests.threads.conftest import ThreadClient, detach_world


@pytest.fixture
def limited_server(app, database_url, world) -> Iterator[LiveServer]:
    detach_world(world)
    server = LiveServer(database_url, env={"RATELIMIT_ENABLED": "1", "SOCKET_EVENTS_PER_S": "20",
                                           "SOCKET_FLOOD_DISCONNECT_AFTER": "20"})
    try:
        yield server.start()
    finally:
        server.stop()
        print(server.log_tail(40))


def _typing_latency(client: ThreadClient, shipment_id: int, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        answer = client.call("typing", {"shipment_id": shipment_id})
        assert answer["ok"], answer
        latencies.append(time.perf_counter() - start)
        time.sleep(0.1)  # 10 events a second, well within the limit of 20
    return latencies


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_flooding_socket_is_slowed_then_disconnected_and_others_are_unaffected(limited_server, world):
    sid = world.shipment.id
    flooder = ThreadClient(limited_server.url, world.tokens["agent"]).connect()
    other = ThreadClient(limited_server.url, world.tokens["staff"]).connect()
    try:
        assert flooder.join(sid)["ok"] and other.join(sid)["ok"]
        baseline = statistics.median(_typing_latency(other, sid, 10))
        answers: list[dict] = []

        def flood() -> None:
            # As found: one client sent 4,000 events in 12 s unhindered. Each event is sent as
            # soon as the previous one is answered, as fast as the server lets it.
            for _ in range(2000):
                try:
                    answers.append(flooder.call("typing", {"shipment_id": sid}, timeout=5))
                except Exception:  # noqa: BLE001  (the server closed the socket)
                    return

        flooding = threading.Thread(target=flood)
        flooding.start()
        during = _typing_latency(other, sid, 10)
        flooding.join(60)
        flooder.wait_for(lambda: not flooder.sio.connected, timeout=20)
        refused = [a for a in answers if not a.get("ok")]
        assert refused and all(a["error"]["code"] == "rate_limited" for a in refused)
        # About the first second's allowance was answered, then the flood was slowed: the
        # refused answers came ever later, and after 20 of them the socket was closed.
        assert sum(1 for a in answers if a.get("ok")) <= 60
        assert len(refused) <= 21
        assert statistics.median(during) < max(10 * baseline, 0.05), (baseline, during)
        assert other.sio.connected
    finally:
        flooder.disconnect()
        other.disconnect()
