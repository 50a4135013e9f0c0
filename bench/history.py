"""Scenario 4: catching up on a long thread in a big database.

One client (a python-socketio AsyncClient and an aiohttp session) asks, one request at a
time: `join` with `after_seq` a few messages before the end, and `GET
/api/v1/shipments/<id>/messages?before_seq=K` paging back from the end and at random depths.
Every answer is checked (the right seqs, in order), so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
import socketio

from bench.procs import BenchError
from bench.stats import percentile

WARMUP = 10


async def _joins(url: str, token: str, shipment_id: int, last_seq: int, count: int) -> list[float]:
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, request_timeout=30)
    await sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
    timings = []
    try:
        for i in range(count + WARMUP):
            behind = random.randint(1, 50)
            after = last_seq - behind
            started = time.perf_counter()
            ack = await sio.call("join", {"shipment_id": shipment_id, "after_seq": after}, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            seqs = [m["seq"] for m in (ack or {}).get("messages", [])] if isinstance(ack, dict) else []
            if not isinstance(ack, dict) or not ack.get("ok") or seqs != list(range(after + 1, last_seq + 1)):
                raise BenchError(f"join after_seq={after} answered {str(ack)[:300]}")
            if i >= WARMUP:
                timings.append(elapsed)
    finally:
        await sio.disconnect()
    return timings


async def _pages(url: str, token: str, shipment_id: int, last_seq: int, count: int, limit: int) -> list[float]:
    timings = []
    headers = {"Authorization": f"Bearer {token}"}
    before = last_seq + 1
    async with aiohttp.ClientSession(headers=headers) as session:
        for i in range(count + WARMUP):
            if i % 2 == 0:  # paging back from the end, as a reader scrolling up
                before = before - limit if before - limit > limit else last_seq + 1
                ask = before
            else:  # a jump deep into the thread (a link to an old message)
                ask = random.randint(limit + 1, last_seq)
            started = time.perf_counter()
            async with session.get(
                f"{url}/api/v1/shipments/{shipment_id}/messages", params={"before_seq": ask, "limit": limit},
            ) as response:
                body = await response.json()
            elapsed = (time.perf_counter() - started) * 1000
            seqs = [m["seq"] for m in body.get("messages", [])] if response.status == 200 else None
            if seqs != list(range(ask - limit, ask)):
                raise BenchError(f"GET messages?before_seq={ask} answered {response.status} {str(body)[:300]}")
            if i >= WARMUP:
                timings.append(elapsed)
    return timings


def run_history(url: str, token: str, shipment_id: int, last_seq: int, requests: int, limit: int = 50) -> dict[str, Any]:
    """Time `requests` joins and `requests` pages; p99 of each and the worse of the two."""
    joins = sorted(asyncio.run(_joins(url, token, shipment_id, last_seq, requests)))
    pages = sorted(asyncio.run(_pages(url, token, shipment_id, last_seq, requests, limit)))
    join_p99 = percentile(joins, 99)
    page_p99 = percentile(pages, 99)
    return {
        "figures": {"p99_ms": max(join_p99 or 0, page_p99 or 0)},
        "details": {
            "join_p50_ms": percentile(joins, 50), "join_p99_ms": join_p99,
            "page_p50_ms": percentile(pages, 50), "page_p99_ms": page_p99,
            "requests_each": requests, "page_limit": limit,
        },
    }
