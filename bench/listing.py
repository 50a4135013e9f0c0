"""Scenario 5: the shipment list of a coordinator with many shipments, with unread counts.

Timing: the `/shipments` page (signed in with the login form, session cookie, as a browser)
and `GET /api/v1/shipments` (bearer token), one request at a time, against the plain server.
Queries: a second server started with `bench.querycount` as gunicorn configuration answers
each request's SQL statement count in `X-Bench-Queries`; the count for the coordinator with
many shipments is compared with one for a coordinator with a handful, and with a page of 200.
"""

from __future__ import annotations

import re
import time
from typing import Any

import requests

from bench.database import BENCH_PASSWORD
from bench.procs import BenchError
from bench.stats import percentile

WARMUP = 5
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in_session(url: str, email: str) -> requests.Session:
    """A session signed in through the login form (with its CSRF token)."""
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=30)
    match = _CSRF.search(page.text)
    if match is None:
        raise BenchError(f"no csrf_token on the login page ({page.status_code})")
    done = session.post(
        f"{url}/login", data={"email": email, "password": BENCH_PASSWORD, "csrf_token": match.group(1)},
        allow_redirects=False, timeout=30,
    )
    if done.status_code not in (302, 303):
        raise BenchError(f"login as {email} answered {done.status_code}")
    return session


def _timed(session: requests.Session, url: str, count: int, check: Any, **kwargs: Any) -> list[float]:
    timings = []
    for i in range(count + WARMUP):
        started = time.perf_counter()
        response = session.get(url, timeout=30, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        check(response)
        if i >= WARMUP:
            timings.append(elapsed)
    return sorted(timings)


def _page_ok(response: requests.Response) -> None:
    if response.status_code != 200 or "LST-" not in response.text:
        raise BenchError(f"/shipments answered {response.status_code} without the coordinator's shipments")


def _api_ok(expected_total: int) -> Any:
    def check(response: requests.Response) -> None:
        body = response.json() if response.status_code == 200 else {}
        items = body.get("items") or []
        if body.get("total") != expected_total or not items or "unread_count" not in items[0]:
            raise BenchError(f"GET /api/v1/shipments answered {response.status_code} {str(body)[:300]}")
    return check


def run_list_timing(url: str, world: Any, count: int) -> dict[str, Any]:
    """p99 of the page and of the API for the coordinator with many shipments."""
    staff = world.staff
    total = len(world.shipments)
    page = _timed(signed_in_session(url, staff.email), f"{url}/shipments", count, _page_ok)
    api_session = requests.Session()
    api_session.headers["Authorization"] = f"Bearer {staff.token}"
    api = _timed(api_session, f"{url}/api/v1/shipments", count, _api_ok(total))
    return {
        "p99_ms": max(percentile(page, 99) or 0, percentile(api, 99) or 0),
        "page_p50_ms": percentile(page, 50), "page_p99_ms": percentile(page, 99),
        "api_p50_ms": percentile(api, 50), "api_p99_ms": percentile(api, 99),
        "requests_each": count, "shipments": total,
    }


def _queries(session: requests.Session, url: str, **kwargs: Any) -> int:
    session.get(url, timeout=30, **kwargs)  # a first request may open pooled connections
    response = session.get(url, timeout=30, **kwargs)
    if response.status_code != 200 or "X-Bench-Queries" not in response.headers:
        raise BenchError(f"{url} answered {response.status_code} without X-Bench-Queries")
    return int(response.headers["X-Bench-Queries"])


def run_list_queries(url: str, world: Any) -> dict[str, Any]:
    """Statements per request for many vs few shipments; must be the same."""
    counts: dict[str, int] = {}
    for who, person in (("many", world.staff), ("few", world.extra["small"])):
        counts[f"page_{who}"] = _queries(signed_in_session(url, person.email), f"{url}/shipments")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {person.token}"
        counts[f"api_{who}"] = _queries(api, f"{url}/api/v1/shipments")
        counts[f"api_{who}_per_page_200"] = _queries(api, f"{url}/api/v1/shipments", params={"per_page": 200})
    constant = (
        counts["page_many"] == counts["page_few"]
        and counts["api_many"] == counts["api_few"] == counts["api_many_per_page_200"] == counts["api_few_per_page_200"]
    )
    return {
        "queries": max(counts["page_many"], counts["api_many"], counts["api_many_per_page_200"]),
        "queries_constant": constant,
        "query_counts": counts,
        "few_shipments": len(world.extra["small_ids"]),
    }
