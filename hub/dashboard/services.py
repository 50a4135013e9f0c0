"""The dashboard's figures, for one staff member's shipments over a chosen period: counts by
status, at risk, overdue and arriving this week; clearance time in business days (median and
90th percentile from `arrived` to `released`) per destination, per agent's organisation and per
transport mode; the on-time rate against the country profiles; partners' response time in
their own working hours, from the hand-overs.

Every figure is read with a constant number of queries whatever the number of shipments: the
rows are fetched once per figure and grouped here.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select

from hub.accounts.models import Organization, User
from hub.accounts.working_hours import working_hours_of
from hub.countries.clock import arriving_this_week_filter, overdue_filter
from hub.countries.models import ClearanceClock
from hub.errors import N_, Text, ValidationFailed, one_of_reason
from hub.extensions import db
from hub.handovers.models import Handover
from hub.handovers.services import working_seconds
from hub.permissions import visible_shipments
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.timestamps import utcnow

#: The period shown when none is chosen: the last 90 days.
DEFAULT_DAYS = 90
#: The longest period one may choose (a guard on the work of a page).
MAX_DAYS = 3 * 366
NO_AGENT = "(no agent or broker)"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at or
    below it (p90 of 10 values is the 9th smallest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


@dataclass(frozen=True)
class Spread:
    """A group's median and 90th percentile, and how many values it has."""

    label: str
    count: int
    median: float
    p90: float


def spreads(groups: dict[str, list[float]]) -> list[Spread]:
    """One `Spread` per group, by label."""
    return [Spread(label, len(values), float(statistics.median(values)), float(percentile(values, 0.9)))
            for label, values in sorted(groups.items()) if values]


@dataclass(frozen=True)
class Period:
    """Released (or answered) from `start` to `end`, both days included, in UTC."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 UTC, the day after end 00:00 UTC)."""
        return (datetime.combine(self.start, time(), UTC), datetime.combine(self.end + timedelta(days=1), time(), UTC))


def check_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """`from`/`to` as plain dates (default: the last DEFAULT_DAYS days up to today); 422 with
    `fields` for a bad date, a reversed or an over-long period."""
    today = today or utcnow().date()
    fields: dict[str, str] = {}
    parsed: dict[str, date | None] = {}
    for name, value in (("from", start), ("to", end)):
        parsed[name] = None
        if value:
            try:
                parsed[name] = date.fromisoformat(value)
            except ValueError:
                fields[name] = N_("must be a date such as 2026-11-30")
    if fields:
        raise ValidationFailed(N_("The period is not valid."), fields=fields)
    last = parsed["to"] or today
    first = parsed["from"] or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed(N_("The period ends before it starts."), fields={"from": N_("must not be after to")})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(N_("The period is too long."), fields={"from": Text(N_("at most %(days)s days before to"), days=MAX_DAYS)})
    return Period(first, last)


@dataclass
class Dashboard:
    """Every figure of the page."""

    period: Period
    by_status: dict[str, int]
    total: int
    at_risk: int | None
    overdue: int
    arriving_this_week: int
    clearance_by_country: list[Spread]
    clearance_by_agent: list[Spread]
    clearance_by_mode: list[Spread]
    on_time: list[tuple[str, int, int]]  # (country, released on time, released)
    response_by_organization: list[Spread]
    released: int = 0
    notes: list[str] = field(default_factory=list)


#: Where the "at risk" count comes from: a function answering the ids query narrowed to the
#: shipments with an open risk flag (None: no risk flags in this installation).
AtRiskFilter = Callable[[Select[Any]], Select[Any]]
_at_risk_source: list[AtRiskFilter] = []


def register_at_risk(condition: AtRiskFilter) -> None:
    """Count "at risk" with this condition (the risk flags area registers it)."""
    _at_risk_source[:] = [condition]


def _ids(user: User) -> Select[Any]:
    return visible_shipments(user).with_only_columns(Shipment.id)


def _count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _clearance_rows(user: User, period: Period) -> list[Any]:
    """Released shipments of the period with their clock and their customs agent's (else
    broker's) organisation (one query)."""
    start, end = period.bounds
    agent_org = (
        select(Organization.name)
        .select_from(ShipmentParticipant)
        .join(User, User.id == ShipmentParticipant.user_id)
        .join(Organization, Organization.id == User.organization_id)
        .where(ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.role.in_(("agent", "broker")))
        # The customs agent; where the shipment has none, its broker (who then clears it).
        .order_by(case((ShipmentParticipant.role == "agent", 0), else_=1), ShipmentParticipant.id)
        .limit(1)
        .correlate(Shipment)
        .scalar_subquery()
    )
    return db.session.execute(
        select(Shipment.destination_country, Shipment.transport_mode, ClearanceClock.business_days_taken,
               ClearanceClock.released_on, ClearanceClock.expected_release_on, agent_org.label("agent_org"))
        .join(ClearanceClock, ClearanceClock.shipment_id == Shipment.id)
        .where(Shipment.id.in_(_ids(user)), ClearanceClock.business_days_taken.is_not(None),
               ClearanceClock.released_on >= start.date(), ClearanceClock.released_on < end.date())
    ).all()


def _response_rows(user: User, period: Period) -> list[Handover]:
    """Partners' answered hand-overs of the period (answered in it), their people loaded (one query)."""
    start, end = period.bounds
    return list(db.session.scalars(
        select(Handover)
        .where(Handover.shipment_id.in_(_ids(user)), Handover.party == "partner", Handover.until.is_not(None),
               Handover.until >= start, Handover.until < end, Handover.user_id.is_not(None))
        .order_by(Handover.id)
    ))


def group(rows: Iterable[Any], key: Callable[[Any], str], value: Callable[[Any], float]) -> dict[str, list[float]]:
    """{key: [values]} of the rows."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(value(row))
    return dict(grouped)


def dashboard(user: User, period: Period) -> Dashboard:
    """Every figure of the page for `user`'s shipments (a constant number of queries)."""
    ids = _ids(user)
    by_status = dict(db.session.execute(
        select(Shipment.status, func.count()).where(Shipment.id.in_(ids)).group_by(Shipment.status)
    ).all())
    visible = select(Shipment).where(Shipment.id.in_(ids))
    at_risk = _count(_at_risk_source[0](ids)) if _at_risk_source else None
    overdue = _count(overdue_filter(user, visible))
    arriving = _count(arriving_this_week_filter(user, visible))
    rows = _clearance_rows(user, period)
    days = lambda row: float(row.business_days_taken)  # noqa: E731
    on_time: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = on_time[row.destination_country]
        counts[1] += 1
        if row.expected_release_on is not None and row.released_on <= row.expected_release_on:
            counts[0] += 1
    responses = []
    for handover in _response_rows(user, period):
        hours = working_hours_of(handover.user)
        name = handover.organization.name if handover.organization is not None else handover.user.organization.name
        responses.append((name, working_seconds(hours, handover.since, handover.until) / 3600))
    return Dashboard(
        period=period,
        by_status=by_status,
        total=sum(by_status.values()),
        at_risk=at_risk,
        overdue=overdue,
        arriving_this_week=arriving,
        clearance_by_country=spreads(group(rows, lambda r: r.destination_country, days)),
        clearance_by_agent=spreads(group(rows, lambda r: r.agent_org or NO_AGENT, days)),
        clearance_by_mode=spreads(group(rows, lambda r: r.transport_mode, days)),
        on_time=[(country, counts[0], counts[1]) for country, counts in sorted(on_time.items())],
        response_by_organization=spreads(group(responses, lambda r: r[0], lambda r: round(r[1], 2))),
        released=len(rows),
    )


# --- CSV ------------------------------------------------------------------------------------

#: A cell a spreadsheet would read as a formula (or that hides one behind a tab or CR).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Numbers as they are; text starting like a formula gets a leading apostrophe."""
    if isinstance(value, int | float):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


FIGURES = ("status", "clearance_by_country", "clearance_by_agent", "clearance_by_mode", "on_time", "response")


def figure_rows(board: Dashboard, figure: str) -> list[list[object]]:
    """The header and rows of one figure, as the CSV export writes them."""
    if figure == "status":
        return [["status", "shipments"], *([status, count] for status, count in sorted(board.by_status.items()))]
    if figure in ("clearance_by_country", "clearance_by_agent", "clearance_by_mode"):
        first = {"clearance_by_country": "destination", "clearance_by_agent": "agent_organization",
                 "clearance_by_mode": "transport_mode"}[figure]
        spread: list[Spread] = getattr(board, figure)
        return [[first, "released", "median_business_days", "p90_business_days"],
                *([s.label, s.count, s.median, s.p90] for s in spread)]
    if figure == "on_time":
        return [["destination", "released", "on_time", "on_time_rate"],
                *([country, released, on_time, round(on_time / released, 4)] for country, on_time, released in board.on_time)]
    if figure == "response":
        return [["partner_organization", "answers", "median_working_hours", "p90_working_hours"],
                *([s.label, s.count, s.median, s.p90] for s in board.response_by_organization)]
    raise ValidationFailed(N_("Unknown figure."), fields={"figure": one_of_reason(FIGURES)})
