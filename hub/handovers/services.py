"""Whose move it is, as the pages and the API show it: the open hand-over of each shipment and
how long it has lasted in the holding party's working hours and business days (their time
zone, working weekdays and their country's public holidays; `us` counts in the shipment's
coordinator's hours, else the shipper's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext, ngettext
from sqlalchemy import Select, and_, exists, select

from hub.accounts.models import Organization, User
from hub.accounts.working_hours import WorkingHours, working_hours_of
from hub.business_days import BusinessCalendar, default_working_days
from hub.extensions import db
from hub.handovers.models import Handover
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.timestamps import to_iso, utcnow

# A period longer than this is counted only over its last part (a forgotten shipment must not
# make a page loop over years of days).
_MAX_DAYS = 400


def working_seconds(hours: WorkingHours, start: datetime, end: datetime) -> int:
    """Seconds of `hours` (their working time on their business days) between start and end."""
    if end <= start:
        return 0
    start = max(start, end - timedelta(days=_MAX_DAYS))
    local_start, local_end = start.astimezone(hours.zone), end.astimezone(hours.zone)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        if hours.calendar.is_business_day(day):
            # Compared and subtracted in UTC: wall-clock arithmetic is wrong across a DST change.
            opens = datetime.combine(day, hours.start, hours.zone).astimezone(UTC)
            closes = datetime.combine(day, hours.end, hours.zone).astimezone(UTC)
            low, high = max(opens, start.astimezone(UTC)), min(closes, end.astimezone(UTC))
            if high > low:
                total += (high - low).total_seconds()
        day += timedelta(days=1)
    return int(total)


def day_seconds(hours: WorkingHours) -> int:
    """The length of one of their working days, in seconds."""
    return (datetime.combine(datetime.min, hours.end) - datetime.combine(datetime.min, hours.start)).seconds


def organization_hours(organization: Organization) -> WorkingHours:
    """The usual hours of an organisation (09:00-18:00 on its country's working days, in its zone)."""
    days = tuple(default_working_days(organization.country))
    return WorkingHours(start=time(9), end=time(18), days=days, zone=ZoneInfo(organization.time_zone or "UTC"),
                        calendar=BusinessCalendar.of(organization.country, days))


@dataclass(frozen=True)
class WaitingOn:
    """A shipment's open hand-over with the hours it is counted in."""

    party: str
    user: User | None
    organization: Organization | None
    since: datetime
    hours: WorkingHours

    def seconds(self, now: datetime | None = None) -> int:
        """Working seconds of the holder since the hand-over."""
        return working_seconds(self.hours, self.since, now or utcnow())

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """`{"party", "user_id", "organization_id", "since", "working_hours"}` of the API."""
        return {
            "party": self.party,
            "user_id": self.user.id if self.user is not None else None,
            "organization_id": self.organization.id if self.organization is not None else None,
            "since": to_iso(self.since),
            "working_hours": round(self.seconds(now) / 3600, 2),
        }


def duration_text(seconds: int, per_day: int) -> str:
    """"1 business day 3 h", "5 h", "20 min" (translated)."""
    days, rest = divmod(seconds, max(per_day, 1))
    hours, minutes = rest // 3600, (rest % 3600) // 60
    parts = []
    if days:
        parts.append(ngettext("%(num)d business day", "%(num)d business days", days))
    if hours:
        parts.append(gettext("%(num)d h", num=hours))
    if not parts:
        parts.append(gettext("%(num)d min", num=minutes))
    return " ".join(parts)


def waiting_text(waiting: WaitingOn, now: datetime | None = None) -> str:
    """"Waiting on Li Wei (Shenzhen Harbour Customs) for 1 business day 3 h" / "Waiting on us for 2 h"."""
    duration = duration_text(waiting.seconds(now), day_seconds(waiting.hours))
    if waiting.party == "us":
        return gettext("Waiting on us for %(duration)s", duration=duration)
    name = waiting.user.name if waiting.user is not None else gettext("a partner")
    organization = waiting.organization.name if waiting.organization is not None else ""
    return gettext("Waiting on %(name)s (%(organization)s) for %(duration)s", name=name,
                   organization=organization, duration=duration)


def _coordinators(shipment_ids: Sequence[int]) -> dict[int, User]:
    """The first active coordinator of each shipment, in one query."""
    found: dict[int, User] = {}
    if not shipment_ids:
        return found
    rows = db.session.scalars(
        select(ShipmentParticipant)
        .where(ShipmentParticipant.shipment_id.in_(shipment_ids), ShipmentParticipant.role == "coordinator")
        .order_by(ShipmentParticipant.id)
    )
    for participant in rows:
        if participant.user.active:
            found.setdefault(participant.shipment_id, participant.user)
    return found


def waiting_on_of(shipments: Sequence[Shipment]) -> dict[int, WaitingOn]:
    """The open hand-over of each shipment that has one: two queries whatever their number."""
    ids = [s.id for s in shipments]
    if not ids:
        return {}
    periods = {
        row.shipment_id: row
        for row in db.session.scalars(
            select(Handover).where(Handover.shipment_id.in_(ids), Handover.until.is_(None)).order_by(Handover.id)
        )
    }
    if not periods:
        return {}
    us = [shipment_id for shipment_id, row in periods.items() if row.party == "us"]
    coordinators = _coordinators(us)
    found = {}
    for shipment in shipments:
        row = periods.get(shipment.id)
        if row is None:
            continue
        if row.party == "partner" and row.user is not None:
            found[shipment.id] = WaitingOn("partner", row.user, row.organization, row.since, working_hours_of(row.user))
        elif row.party == "partner":
            # The partner's account is gone: count in their organisation's usual hours.
            hours = organization_hours(row.organization) if row.organization else organization_hours(shipment.owner)
            found[shipment.id] = WaitingOn("partner", None, row.organization, row.since, hours)
        else:
            coordinator = coordinators.get(shipment.id)
            hours = working_hours_of(coordinator) if coordinator else organization_hours(shipment.owner)
            found[shipment.id] = WaitingOn("us", None, shipment.owner, row.since, hours)
    return found


def shipment_waiting_on(user: User, shipment: Shipment) -> dict[str, Any]:
    """The shipment API's `waiting_on` (null while nobody has been asked anything)."""
    waiting = waiting_on_of([shipment]).get(shipment.id)
    return {"waiting_on": waiting.to_dict() if waiting else None}


def list_waiting_on(user: User, shipments: Sequence[Shipment]) -> dict[int, dict[str, Any]]:
    """`waiting_on` of each shipment of a list page (a constant number of queries)."""
    found = waiting_on_of(shipments)
    return {s.id: {"waiting_on": found[s.id].to_dict() if s.id in found else None} for s in shipments}


def waiting_line(shipment: Shipment) -> str:
    """The page's line for a shipment ("" when nobody is waited on)."""
    waiting = waiting_on_of([shipment]).get(shipment.id)
    return waiting_text(waiting) if waiting else ""


def waiting_line_of(shipment: Shipment, view: dict[str, Any] | None) -> str:
    """The list's line from a `waiting_on` object (its users and organisations were loaded with
    the page: no query)."""
    if not view:
        return ""
    user = db.session.get(User, view["user_id"]) if view["user_id"] else None
    organization = db.session.get(Organization, view["organization_id"]) if view["organization_id"] else None
    hours = working_hours_of(user) if user else organization_hours(organization or shipment.owner)
    seconds = int(view["working_hours"] * 3600)
    duration = duration_text(seconds, day_seconds(hours))
    if view["party"] == "us":
        return gettext("Waiting on us for %(duration)s", duration=duration)
    return gettext("Waiting on %(name)s (%(organization)s) for %(duration)s",
                   name=user.name if user else gettext("a partner"),
                   organization=organization.name if organization else "", duration=duration)


def _open_periods(*conditions: Any) -> Select[Any]:
    return select(Handover.shipment_id).where(Handover.until.is_(None), *conditions)


def waiting_on_me_filter(user: User, query: Select[Any]) -> Select[Any]:
    """Shipments waiting on the viewer: a partner holding the ball; staff, the ball with us on
    the shipments they coordinate."""
    if not user.is_staff:
        return query.where(Shipment.id.in_(_open_periods(Handover.party == "partner", Handover.user_id == user.id)))
    mine = exists().where(and_(ShipmentParticipant.shipment_id == Shipment.id, ShipmentParticipant.user_id == user.id,
                               ShipmentParticipant.role == "coordinator"))
    return query.where(Shipment.id.in_(_open_periods(Handover.party == "us")), mine)


def waiting_on_partners_filter(user: User, query: Select[Any]) -> Select[Any]:
    """Shipments whose ball is with a partner."""
    return query.where(Shipment.id.in_(_open_periods(Handover.party == "partner")))
