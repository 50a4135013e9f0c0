"""Business-day arithmetic around real public holidays (the pinned `holidays` package's dates).
Every expected date is worked out by hand in the comment above it."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from hub.business_days import BusinessCalendar, default_working_days

MON_FRI = ["mon", "tue", "wed", "thu", "fri"]


def test_chinese_new_year_2026_skips_the_festival_and_counts_the_make_up_saturday():
    cn = BusinessCalendar.of("CN", MON_FRI)
    # Arrived Thu 12 Feb. Fri 13 (1), Sat 14 is a declared make-up working day (2), Sun 15 off,
    # Mon 16 to Fri 20 the Spring Festival, Sat 21 and Sun 22 the weekend, Mon 23 a day off
    # moved from Sat 28 Feb, Tue 24 (3).
    assert cn.add_business_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert cn.is_business_day(date(2026, 2, 14)) and cn.is_business_day(date(2026, 2, 28))
    assert not cn.is_business_day(date(2026, 2, 23)) and not cn.is_business_day(date(2026, 2, 21))
    # Business days in (Wed 11 Feb, Tue 24 Feb]: 12, 13, 14, 24.
    assert cn.business_days_between(date(2026, 2, 11), date(2026, 2, 24)) == 4
    assert cn.business_days_between(date(2026, 2, 24), date(2026, 2, 11)) == -4


def test_golden_week_2026_and_its_make_up_weekend_days():
    cn = BusinessCalendar.of("CN", MON_FRI)
    # Arrived Wed 30 Sep. Thu 1 to Wed 7 Oct National Day holidays (Sun 4 the weekend anyway),
    # Thu 8 (1), Fri 9 (2), Sat 10 Oct a make-up working day (3).
    assert cn.add_business_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    # Arrived Fri 18 Sep: Sat 19 off, Sun 20 Sep is a make-up working day (1).
    assert cn.add_business_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    names = dict(cn.holidays_between(date(2026, 10, 1), date(2026, 10, 7)))
    assert names[date(2026, 10, 1)] == "National Day" and len(names) == 6  # the 4th is a plain Sunday


def test_thanksgiving_in_the_us():
    us = BusinessCalendar.of("US", MON_FRI)
    # Arrived Wed 25 Nov 2026. Thu 26 Thanksgiving, Fri 27 (1; not a federal holiday),
    # Sat 28 and Sun 29 the weekend, Mon 30 (2).
    assert us.add_business_days(date(2026, 11, 25), 2) == date(2026, 11, 30)
    assert us.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"


def test_christmas_and_boxing_day_in_great_britain_and_germany():
    gb = BusinessCalendar.of("GB", MON_FRI)
    de = BusinessCalendar.of("DE", MON_FRI)
    # Arrived Thu 24 Dec 2026. Fri 25 Christmas; Sat 26 Boxing Day falls on the weekend, so in
    # GB Mon 28 is its substitute bank holiday: Tue 29 (1). Germany has no substitute day: Mon 28 (1).
    assert gb.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert de.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert gb.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert de.holiday_name(date(2026, 12, 26)) == "Second Day of Christmas"


def test_eid_al_fitr_in_saudi_arabia_whose_weekend_is_friday_and_saturday():
    assert default_working_days("SA") == ["mon", "tue", "wed", "thu", "sun"]
    sa = BusinessCalendar.of("SA", default_working_days("SA"))
    # Arrived Wed 18 Mar 2026. Eid al-Fitr holidays Thu 19 to Tue 24 (the package's Umm al-Qura
    # dates), Wed 25 (1), Thu 26 (2), Fri 27 and Sat 28 the weekend, Sun 29 (3).
    assert sa.add_business_days(date(2026, 3, 18), 3) == date(2026, 3, 29)
    assert sa.is_business_day(date(2026, 3, 29)) and not sa.is_business_day(date(2026, 3, 27))


def test_a_clock_crossing_the_year_end_and_a_regional_holiday():
    gb = BusinessCalendar.of("GB", MON_FRI)
    # Arrived Wed 30 Dec 2026. Thu 31 (1), Fri 1 Jan New Year's Day, weekend, Mon 4 (2), Tue 5 (3).
    assert gb.add_business_days(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert gb.business_days_between(date(2026, 12, 30), date(2027, 1, 5)) == 3
    # Munich (Bavaria) keeps Epiphany, Wed 6 Jan; Hamburg does not. Arrived Mon 4 Jan 2027, 2 days:
    # Bavaria Tue 5 (1), Thu 7 (2); Hamburg Tue 5 (1), Wed 6 (2).
    assert BusinessCalendar.of("DE", MON_FRI, "BY").add_business_days(date(2027, 1, 4), 2) == date(2027, 1, 7)
    assert BusinessCalendar.of("DE", MON_FRI, "HH").add_business_days(date(2027, 1, 4), 2) == date(2027, 1, 6)
    # A subdivision the package does not know counts the national holidays only.
    assert BusinessCalendar.of("DE", MON_FRI, "XX").subdivision is None


def test_zero_days_is_the_basis_day_itself():
    us = BusinessCalendar.of("US", MON_FRI)
    assert us.add_business_days(date(2026, 11, 28), 0) == date(2026, 11, 28)


@pytest.mark.parametrize(("country", "working_days", "subdivision"), [
    ("CN", MON_FRI, None),  # make-up working weekends
    ("CN", [*MON_FRI, "sat"], None),  # a make-up Saturday that works anyway
    ("GB", MON_FRI, "SCT"),  # a subdivision's own holidays
    ("SA", ["sun", "mon", "tue", "wed", "thu"], None),  # a Sunday-to-Thursday week
    ("ZZ", ["mon", "wed"], None),  # no holiday table at all
])
def test_counts_and_holidays_over_long_ranges_agree_with_the_day_by_day_definition(country, working_days, subdivision):
    """The counts are worked out from whole weeks and the holiday table; every range, either
    way round and across years, must give what checking each day would."""
    calendar = BusinessCalendar.of(country, working_days, subdivision)
    draw = random.Random(f"{country}{working_days}")
    for _ in range(150):
        start = date(2025, 1, 1) + timedelta(days=draw.randrange(900))
        end = start + timedelta(days=draw.randrange(-400, 400))
        low, high = min(start, end), max(start, end)
        days = [low + timedelta(days=n) for n in range(1, (high - low).days + 1)]
        by_day = sum(1 for day in days if calendar.is_business_day(day))
        assert calendar.business_days_between(start, end) == (by_day if end >= start else -by_day)
        every_day = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        assert calendar.holidays_between(start, end) == [
            (day, name) for day in every_day if (name := calendar.holiday_name(day))
        ]
