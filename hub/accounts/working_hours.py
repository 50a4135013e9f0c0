"""People's local time and working hours: "Li Wei, 03:10 in Shanghai, outside working hours".

Zones are named by their city, never by an abbreviation ("CST" is both Chicago and China).
Hours are the user's own (default 09:00-18:00) on the working weekdays of their country,
skipping its public holidays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask_babel import gettext

from hub.business_days import WEEKDAYS, BusinessCalendar, check_working_days, default_working_days
from hub.errors import N_, Text
from hub.i18n import format_date, format_time
from hub.timestamps import utcnow

if TYPE_CHECKING:
    from hub.accounts.models import User

_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def zone_city(zone: str) -> str:
    """The city an IANA zone is named after (`America/Argentina/Buenos_Aires` -> `Buenos Aires`)."""
    return zone.rsplit("/", 1)[-1].replace("_", " ") if "/" in zone else zone


def check_working_hours(value: Any, user: User) -> dict[str, Any]:
    """`{"start": "09:00", "end": "18:00", "days": ["mon", ...] | null}`, any of them; the
    hours that result for `user` start before they end."""
    if not isinstance(value, dict) or set(value) - {"start", "end", "days"}:
        raise ValueError(N_('must be an object with start, end and days, e.g. {"start": "09:00", "end": "18:00"}'))
    checked: dict[str, Any] = {}
    for name in ("start", "end"):
        if name in value:
            if not isinstance(value[name], str) or not _HH_MM.match(value[name]):
                raise ValueError(Text(N_("%(name)s must be a time such as 09:00"), name=name))
            checked[name] = value[name]
    if "days" in value:
        checked["days"] = None if value["days"] is None else check_working_days(value["days"])
    if checked.get("start", user.work_start) >= checked.get("end", user.work_end):
        raise ValueError(N_("start must be before end"))
    return checked


@dataclass(frozen=True)
class WorkingHours:
    """When a person works, in their own time zone."""

    start: time
    end: time
    days: tuple[str, ...]
    zone: ZoneInfo
    calendar: BusinessCalendar

    def working_at(self, moment: datetime) -> bool:
        """Whether `moment` falls in these hours on one of their business days."""
        local = moment.astimezone(self.zone)
        return self.calendar.is_business_day(local.date()) and self.start <= local.time() < self.end

    def next_start(self, moment: datetime) -> datetime | None:
        """When they next start work after `moment` (None if they never do)."""
        local = moment.astimezone(self.zone)
        for offset in range(0, 60):
            day = local.date() + timedelta(days=offset)
            start = datetime.combine(day, self.start, self.zone)
            if start > local and self.calendar.is_business_day(day):
                return start
        return None


def working_hours_of(user: User) -> WorkingHours:
    """The user's hours: their own days, else their country's working weekdays."""
    country = user.organization.country
    days = tuple(user.work_days or _country_days(country))
    return WorkingHours(
        start=time.fromisoformat(user.work_start or "09:00"),
        end=time.fromisoformat(user.work_end or "18:00"),
        days=days,
        zone=ZoneInfo(user.time_zone or "UTC"),
        calendar=BusinessCalendar.of(country, days),
    )


def _country_days(country: str) -> list[str]:
    # The weekdays that are not the country's weekend (Friday-Saturday in Saudi Arabia).
    return default_working_days(country)


def working_hours_dict(user: User) -> dict[str, Any]:
    """`{"start", "end", "days", "days_from_country"}` as `GET /api/v1/me` shows them."""
    hours = working_hours_of(user)
    return {"start": user.work_start, "end": user.work_end, "days": list(hours.days),
            "days_from_country": user.work_days is None}


def local_time_line(user: User, now: datetime | None = None) -> str:
    """`03:10 in Shanghai, outside working hours`."""
    now = now or utcnow()
    hours = working_hours_of(user)
    local = now.astimezone(hours.zone)
    line = gettext("%(time)s in %(city)s", time=f"{local:%H:%M}", city=zone_city(user.time_zone or "UTC"))
    # The same words as hub/static/local-time.js, which keeps the line current.
    if hours.working_at(now):
        return gettext("%(text)s, working hours", text=line)
    return gettext("%(text)s, outside working hours", text=line)


def days_off_ahead(user: User, days: int = 8) -> str:
    """Their public holidays on working weekdays over the next `days` days (`"2026-12-25,..."`),
    so the page's script can tell them from working days."""
    hours = working_hours_of(user)
    today = utcnow().astimezone(hours.zone).date()
    return ",".join(
        day.isoformat() for day, _name in hours.calendar.holidays_between(today, today + timedelta(days=days))
    )


def day_numbers(days: Iterable[str]) -> str:
    """`"0,1,2,3,4"` (Monday = 0), for the page's script."""
    return ",".join(str(WEEKDAYS.index(day)) for day in days)


def all_away(users: list[User], now: datetime | None = None) -> tuple[User, datetime] | None:
    """When every one of `users` is outside working hours: who starts first again, and when;
    None if anyone is working now (or the list is empty)."""
    now = now or utcnow()
    if not users:
        return None
    starts = []
    for user in users:
        hours = working_hours_of(user)
        if hours.working_at(now):
            return None
        start = hours.next_start(now)
        if start is not None:
            starts.append((start, user.id, user))
    if not starts:
        return None
    start, _id, user = min(starts, key=lambda item: (item[0], item[1]))
    return user, start


def agents_away_note(shipment: Any, viewer: User, now: datetime | None = None) -> str:
    """For a coordinator about to write: when every agent on the shipment is outside working
    hours, who starts first again and when, in their time and the viewer's ("" otherwise)."""
    participant = shipment.participant(viewer)
    if not (viewer.is_staff or (participant is not None and participant.role == "coordinator")):
        return ""
    agents = [p.user for p in shipment.participants if p.role == "agent" and p.user.active]
    away = all_away(agents, now)
    if away is None:
        return ""
    user, start = away
    theirs = start.astimezone(ZoneInfo(user.time_zone or "UTC"))
    values = {"name": user.name, "time": f"{theirs:%H:%M}", "city": zone_city(user.time_zone or "UTC"),
              "day": format_date(theirs.date()), "yours": format_time(start, viewer.time_zone or "UTC")}
    if len(agents) == 1:
        return gettext("The agent is outside working hours. %(name)s starts again at %(time)s in %(city)s on "
                       "%(day)s (%(yours)s, your time).", **values)
    return gettext("Every agent is outside working hours. %(name)s starts again at %(time)s in %(city)s on "
                   "%(day)s (%(yours)s, your time).", **values)
