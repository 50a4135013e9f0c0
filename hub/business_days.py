"""Business days of a country: its working weekdays, minus its public holidays (from the pinned
`holidays` package, per subdivision where known), plus the make-up working days some countries
(China) declare on a weekend around a long holiday."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

from hub.errors import N_, Text

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: A clock never looks further than this for the next business day (a year has at most ~130
#: non-working days, so this only stops a profile with no working weekday at all).
_MAX_SCAN_DAYS = 800


def check_working_days(value: Any) -> list[str]:
    """Weekday names (`mon` ... `sun`), at least one, each once; answered in week order."""
    if not isinstance(value, list) or not value or not all(isinstance(day, str) for day in value):
        raise ValueError(N_("must be a non-empty list of weekdays such as [\"mon\", \"tue\"]"))
    unknown = [day for day in value if day not in WEEKDAYS]
    if unknown:
        raise ValueError(Text(N_("unknown weekdays %(days)s; use %(choices)s"), days=str(unknown), choices=", ".join(WEEKDAYS)))
    if len(set(value)) != len(value):
        raise ValueError(N_("each weekday at most once"))
    return [day for day in WEEKDAYS if day in value]


def weekday_numbers(names: list[str] | tuple[str, ...]) -> frozenset[int]:
    """`["mon", "tue"]` -> `{0, 1}`."""
    return frozenset(WEEKDAYS.index(name) for name in names)


def default_working_days(country: str) -> list[str]:
    """The weekdays that are not the country's weekend in the `holidays` package (Monday to
    Friday where the package does not know the country)."""
    try:
        weekend = holidays.country_holidays(country).weekend
    except NotImplementedError:
        weekend = {5, 6}
    return [name for number, name in enumerate(WEEKDAYS) if number not in weekend]


def supported_subdivisions(country: str) -> tuple[str, ...]:
    """The subdivision codes the `holidays` package knows for the country (`()` if none)."""
    return tuple(holidays.list_supported_countries().get(country, ()))


#: The `holidays` package's language of each hub locale, best first.
_HOLIDAY_LANGUAGES = {"en": ("en_US", "en_GB", "en"), "es": ("es",), "zh_Hans": ("zh_CN", "zh_Hans", "zh")}


@lru_cache(maxsize=256)
def _holiday_languages(country: str) -> tuple[str, ...]:
    try:
        return tuple(holidays.country_holidays(country).supported_languages)
    except NotImplementedError:
        return ()


@lru_cache(maxsize=256)
def _holidays_in(country: str, subdivision: str | None, language: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country, subdiv=subdivision, language=language)
    except (NotImplementedError, ValueError):
        return None


def holiday_name_in(country: str, subdivision: str | None, day: date, locale: str) -> str | None:
    """The public holiday on `day` named in `locale` ("en", "es", "zh_Hans") when the `holidays`
    package has the country in that language; None when it does not (the caller keeps the
    country's own name)."""
    supported = _holiday_languages(country)
    language = next((name for name in _HOLIDAY_LANGUAGES.get(locale, ()) if name in supported), None)
    if language is None:
        return None
    if subdivision not in supported_subdivisions(country):
        subdivision = None
    table = _holidays_in(country, subdivision, language)
    return None if table is None else table.get(day)


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase | None:
    # One object per (country, subdivision); years are computed on first use and kept.
    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class BusinessCalendar:
    """The business days of one country (or one of its subdivisions)."""

    country: str
    working_days: frozenset[int]
    subdivision: str | None = None

    @classmethod
    def of(cls, country: str, working_days: list[str] | tuple[str, ...], subdivision: str | None = None) -> BusinessCalendar:
        """The calendar of `country` with these working weekdays; an unknown subdivision counts
        the national holidays only."""
        if subdivision not in supported_subdivisions(country):
            subdivision = None
        return cls(country, weekday_numbers(working_days), subdivision)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on `day`, if any."""
        table = _public_holidays(self.country, self.subdivision)
        return None if table is None else table.get(day)

    def is_business_day(self, day: date) -> bool:
        """A working weekday that is no public holiday, or a declared make-up working day."""
        table = _public_holidays(self.country, self.subdivision)
        # The membership test loads the day's year, make-up working days included.
        if table is not None and day in table:
            return False
        if day.weekday() in self.working_days:
            return True
        return table is not None and day in table.weekend_workdays

    def add_business_days(self, start: date, count: int) -> date:
        """The day on which the `count`-th business day after `start` falls (`start` itself
        for 0): the day `start` is not counted, whatever it is."""
        day, left = start, count
        for _ in range(_MAX_SCAN_DAYS * max(1, count)):
            if left <= 0:
                return day
            day += timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        raise ValueError(f"no business day found after {start} in {self.country}")

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]; negative, counted the other way, when end < start."""
        if end < start:
            return -self.business_days_between(end, start)
        first = start + timedelta(days=1)
        # Counted from the working weekdays and the year's holidays, not day by day: a list
        # page works this out for each of its shipments, some with months to go.
        count = _weekdays_in(first, end, self.working_days)
        table = _public_holidays(self.country, self.subdivision)
        if table is None or end < first:
            return count
        off = set(_holiday_dates(table, first, end))
        count -= sum(1 for day in off if day.weekday() in self.working_days)
        count += sum(1 for day in table.weekend_workdays
                     if first <= day <= end and day.weekday() not in self.working_days and day not in off)
        return count

    def holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """The public holidays from `start` to `end`, both included, by date."""
        table = _public_holidays(self.country, self.subdivision)
        if table is None or end < start:
            return []
        return [(day, table[day]) for day in _holiday_dates(table, start, end)]


def _weekdays_in(first: date, last: date, weekdays: frozenset[int]) -> int:
    """How many days from `first` to `last`, both included, fall on one of `weekdays`."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    return weeks * len(weekdays) + sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 in weekdays)


def _holiday_dates(table: holidays.HolidayBase, first: date, last: date) -> list[date]:
    """The table's holidays from `first` to `last`, both included, by date."""
    for year in range(first.year, last.year + 1):
        table.get(date(year, 1, 1))  # any look-up loads the year, make-up working days included
    # A copy taken at once (one C call): another thread may be loading a year meanwhile.
    return sorted(day for day in list(table) if first <= day <= last)
