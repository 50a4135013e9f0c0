"""The clearance clock: when customs should release a shipment, counted in the destination's
business days from its arrival (or its ETA while it has not arrived), and how it stands today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext, ngettext
from sqlalchemy import Select, and_, exists, false, or_, select

from hub.accounts.models import User
from hub.business_days import BusinessCalendar
from hub.countries.models import ClearanceClock, CountryProfile
from hub.countries.profiles import calendar_of, preload_profiles, profile_for
from hub.extensions import db
from hub.milestones.models import Milestone
from hub.shipments.models import Shipment
from hub.timestamps import utcnow

# How far back a late business day is looked for (the longest closure, Golden Week, is 8 days).
_LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class ClockFacts:
    """What the clock's stored row says."""

    basis: str | None
    basis_on: date | None
    expected_release_on: date | None
    released_on: date | None
    business_days_taken: int | None


def local_date(moment: datetime, profile: CountryProfile) -> date:
    """The calendar day `moment` falls on at the destination."""
    return moment.astimezone(ZoneInfo(profile.time_zone)).date()


def today_at(profile: CountryProfile) -> date:
    """Today's date at the destination."""
    return local_date(utcnow(), profile)


def latest_reports(shipment_ids: Sequence[int], codes: tuple[str, ...]) -> dict[int, dict[str, datetime]]:
    """{shipment id: {code: occurred_at}} of the given milestone codes, in one query. The most
    recently recorded report of a code wins: a second report corrects the first."""
    latest: dict[int, dict[str, datetime]] = {shipment_id: {} for shipment_id in shipment_ids}
    if not shipment_ids:
        return latest
    rows = db.session.execute(
        select(Milestone.shipment_id, Milestone.code, Milestone.occurred_at)
        .where(Milestone.shipment_id.in_(shipment_ids), Milestone.code.in_(codes))
        .order_by(Milestone.id)
    )
    for shipment_id, code, occurred_at in rows:
        latest[shipment_id][code] = occurred_at
    return latest


_CLOCK_CODES = ("arrived", "released")


def compute_facts(shipment: Shipment, profile: CountryProfile | None,
                  reports: dict[str, datetime] | None = None) -> ClockFacts:
    """The clock of a shipment from its timeline (or its latest `arrived` and `released`
    reports, when the caller has read them), ETA and the destination's profile."""
    if profile is None:
        return ClockFacts(None, None, None, None, None)
    calendar = calendar_of(profile, shipment.port_of_entry_subdivision)
    if reports is None:
        reports = latest_reports([shipment.id], _CLOCK_CODES)[shipment.id]
    arrived_at, released_at = reports.get("arrived"), reports.get("released")
    basis, moment = ("arrived", arrived_at) if arrived_at is not None else ("eta", shipment.eta)
    if moment is None:
        basis_on = expected = None
        basis = None
    else:
        basis_on = local_date(moment, profile)
        expected = calendar.add_business_days(basis_on, profile.clearance_days.get(shipment.transport_mode, 0))
    released_on = local_date(released_at, profile) if released_at is not None else None
    taken = None
    if released_on is not None and arrived_at is not None:
        # Cleared before arrival (express, pre-arrival processing): no business day taken.
        taken = max(0, calendar.business_days_between(local_date(arrived_at, profile), released_on))
    return ClockFacts(basis, basis_on, expected, released_on, taken)


def refresh_clock(shipment: Shipment) -> ClearanceClock:
    """Recompute and store the shipment's clock (in the caller's transaction, not committed)."""
    facts = compute_facts(shipment, profile_for(shipment.destination_country))
    clock = db.session.get(ClearanceClock, shipment.id)
    if clock is None:
        clock = ClearanceClock(shipment_id=shipment.id)
        db.session.add(clock)
    for name, value in facts.__dict__.items():
        setattr(clock, name, value)
    return clock


def refresh_open_clocks(country: str) -> int:
    """Recompute the clocks of the country's shipments not yet released; answers how many.

    Released ones keep the expectation and the time taken they had when released.
    """
    released = select(ClearanceClock.shipment_id).where(ClearanceClock.released_on.is_not(None))
    shipments = db.session.scalars(
        select(Shipment).where(Shipment.destination_country == country, Shipment.id.not_in(released))
    ).all()
    for shipment in shipments:
        refresh_clock(shipment)
    return len(shipments)


def _facts_of(shipment: Shipment, clock: ClearanceClock | None, profile: CountryProfile | None,
              reports: dict[str, datetime] | None = None) -> ClockFacts:
    if clock is None:
        # Not stored yet (a shipment written before the clocks, or without the services):
        # worked out, not saved.
        return compute_facts(shipment, profile, reports)
    return ClockFacts(clock.basis, clock.basis_on, clock.expected_release_on, clock.released_on, clock.business_days_taken)


def clearance_view(shipment: Shipment, clock: ClearanceClock | None = None, *, load: bool = True,
                   reports: dict[str, datetime] | None = None) -> dict[str, Any]:
    """The `clearance` object of the shipment API:
    `{expected_release_on, business_days_left, overdue, basis, holidays}`.

    Days left are business days after today up to the expected release (0 on that day);
    negative, the business days gone past it. Overdue once a business day after the expected
    release has begun without `released`. Holidays are the destination's public holidays from
    today to the expected release. Once released, nothing is left to count: no days left, no
    holidays, never overdue.
    """
    profile = profile_for(shipment.destination_country)
    if clock is None and load:
        clock = db.session.get(ClearanceClock, shipment.id)
    facts = _facts_of(shipment, clock, profile, reports)
    view: dict[str, Any] = {
        "expected_release_on": facts.expected_release_on.isoformat() if facts.expected_release_on else None,
        "business_days_left": None,
        "overdue": False,
        "basis": facts.basis,
        "holidays": [],
    }
    if profile is None or facts.expected_release_on is None or facts.released_on is not None:
        return view
    calendar = calendar_of(profile, shipment.port_of_entry_subdivision)
    today = today_at(profile)
    left = calendar.business_days_between(today, facts.expected_release_on)
    view["business_days_left"] = left
    view["overdue"] = left < 0
    view["holidays"] = [
        {"date": day.isoformat(), "name": name}
        for day, name in calendar.holidays_between(today, facts.expected_release_on)
    ]
    return view


def clearance_taken(shipment: Shipment) -> int | None:
    """Business days from `arrived` to `released`, as stored on release (None before)."""
    clock = db.session.get(ClearanceClock, shipment.id)
    return None if clock is None else clock.business_days_taken


def countdown_text(view: dict[str, Any], today: date) -> str:
    """"3 business days left", "due today", "2 business days overdue" (empty without a count)."""
    left = view.get("business_days_left")
    if left is None:
        return ""
    # Shown on pages only: in the viewer's language.
    if left > 0:
        return ngettext("%(num)d business day left", "%(num)d business days left", left)
    if left == 0:
        # Past the date on a weekend or holiday: no business day has gone by since.
        return gettext("due today") if view["expected_release_on"] == today.isoformat() \
            else gettext("due, no business day since")
    return ngettext("%(num)d business day overdue", "%(num)d business days overdue", -left)


def countdown_for(shipment: Shipment, view: dict[str, Any]) -> str:
    """The countdown of a shipment's `clearance` object, for pages."""
    profile = profile_for(shipment.destination_country)
    return "" if profile is None else countdown_text(view, today_at(profile))


def list_clearance(user: User, shipments: Sequence[Shipment]) -> dict[int, dict[str, Any]]:
    """`clearance` of each shipment of a list page, from one query of their clocks, one of
    their destinations' profiles and, for shipments with no stored clock yet, one of their
    arrival and release reports: a constant number of queries whatever the page's size."""
    preload_profiles({s.destination_country for s in shipments})
    clocks = {
        clock.shipment_id: clock
        for clock in db.session.scalars(
            select(ClearanceClock).where(ClearanceClock.shipment_id.in_([s.id for s in shipments]))
        )
    }
    reports = latest_reports([s.id for s in shipments if s.id not in clocks], _CLOCK_CODES)
    return {s.id: {"clearance": clearance_view(s, clocks.get(s.id), load=False, reports=reports.get(s.id))}
            for s in shipments}


def _last_business_day_until(calendar: BusinessCalendar, today: date) -> date | None:
    for back in range(_LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        if calendar.is_business_day(day):
            return day
    return None


def overdue_filter(user: User, query: Select[Any]) -> Select[Any]:
    """Shipments whose expected release is before the destination's latest business day up to
    today and that have no `released`: a business day has passed beyond the expected release."""
    pairs = db.session.execute(
        select(Shipment.destination_country, Shipment.port_of_entry_subdivision)
        .join(ClearanceClock, ClearanceClock.shipment_id == Shipment.id)
        .where(ClearanceClock.expected_release_on.is_not(None), ClearanceClock.released_on.is_(None))
        .distinct()
    ).all()
    conditions = []
    for country, subdivision in pairs:
        profile = profile_for(country)
        if profile is None:
            continue
        cutoff = _last_business_day_until(calendar_of(profile, subdivision), today_at(profile))
        if cutoff is None:
            continue
        conditions.append(and_(
            Shipment.destination_country == country,
            Shipment.port_of_entry_subdivision.is_(None) if subdivision is None
            else Shipment.port_of_entry_subdivision == subdivision,
            ClearanceClock.expected_release_on < cutoff,
        ))
    late = (
        select(ClearanceClock.shipment_id)
        .join(Shipment, Shipment.id == ClearanceClock.shipment_id)
        .where(ClearanceClock.released_on.is_(None), or_(*conditions) if conditions else false())
    )
    return query.where(Shipment.id.in_(late))


def arriving_this_week_filter(user: User, query: Select[Any]) -> Select[Any]:
    """Shipments not yet arrived whose ETA falls in the viewer's current week (Monday to Sunday,
    in their time zone)."""
    zone = ZoneInfo(user.time_zone or "UTC")
    today = utcnow().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, datetime.min.time(), zone)
    end = start + timedelta(days=7)
    arrived = exists().where(ClearanceClock.shipment_id == Shipment.id, ClearanceClock.basis == "arrived")
    return query.where(Shipment.eta >= start, Shipment.eta < end, ~arrived)
