"""Checks of codes from public standards: countries, currencies, HS codes, time zones."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pycountry

from hub.errors import N_, Text

_HS_CODE = re.compile(r"^\d{4}(?:\.?\d{2}){0,3}$")
_CONTAINER = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")
_DOCUMENT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")
# ISO 6346 letter values: 10 upwards, skipping 11, 22 and 33 (multiples of 11).
_LETTER_VALUES = {letter: value for letter, value in zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", [v for v in range(10, 39) if v % 11], strict=True)}
_TIME_ZONES = frozenset(available_timezones())


def _listed_code(value: Any, length: int, lookup: Callable[[str], object], shape: str, unlisted: str) -> str:
    """`value` upper-cased when it is a code of `length` letters that `lookup` finds; else
    ValueError: `shape` ("must be ..."), or `unlisted` ("%(value)s is not ...") (marked templates)."""
    if not isinstance(value, str) or len(value.strip()) != length:
        raise ValueError(Text(shape))
    code = value.strip().upper()
    if lookup(code) is None:
        raise ValueError(Text(unlisted, value=repr(value)))
    return code


def country_code(value: Any) -> str:
    """An ISO 3166-1 alpha-2 country code (upper-cased)."""
    return _listed_code(
        value, 2, lambda code: pycountry.countries.get(alpha_2=code),
        shape=N_("must be an ISO 3166-1 alpha-2 country code such as DE"),
        unlisted=N_("%(value)s is not an ISO 3166-1 country code"),
    )


def country_name(code: str) -> str:
    """The country's common name, for pages and emails."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def currency_code(value: Any) -> str:
    """An ISO 4217 currency code (upper-cased)."""
    return _listed_code(
        value, 3, lambda code: pycountry.currencies.get(alpha_3=code),
        shape=N_("must be an ISO 4217 currency code such as EUR"),
        unlisted=N_("%(value)s is not an ISO 4217 currency code"),
    )


def hs_code(value: Any) -> str:
    """An HS code: 4 digits then up to three pairs, each optionally after a dot."""
    if not isinstance(value, str) or not _HS_CODE.match(value.strip()):
        raise ValueError(N_("HS codes are 4 digits followed by up to three pairs of digits (8413.70.10)"))
    return value.strip()


def hs_codes(value: Any) -> list[str]:
    """A list of HS codes."""
    if not isinstance(value, list):
        raise ValueError(N_("must be a list of HS code strings"))
    if len(value) > 50:
        raise ValueError(N_("at most 50 HS codes"))
    return [hs_code(item) for item in value]


def container_check_digit(first_ten: str) -> int:
    """The ISO 6346 check digit of an owner code, category letter and serial number
    (`CSQU305438` -> 3): each character's value times 2 to the power of its position, summed,
    modulo 11, with 10 written as 0."""
    total = sum(
        (_LETTER_VALUES[char] if char.isalpha() else int(char)) * 2**position
        for position, char in enumerate(first_ten)
    )
    return total % 11 % 10


def container_number(value: Any) -> str:
    """An ISO 6346 container number with a correct check digit, upper-cased, spaces and
    dashes removed (`CSQU 305438 3` -> `CSQU3054383`)."""
    if not isinstance(value, str):
        raise ValueError(N_("must be a container number string such as CSQU3054383"))
    number = re.sub(r"[\s-]", "", value).upper()
    if not _CONTAINER.match(number):
        raise ValueError(
            Text(N_("%(value)s is not an ISO 6346 container number: owner code (3 letters), U, J or Z, 6 digits, "
                    "check digit"), value=repr(value))
        )
    expected = container_check_digit(number[:10])
    if int(number[10]) != expected:
        raise ValueError(Text(N_("%(value)s has check digit %(digit)s, ISO 6346 gives %(expected)s: a typing error?"),
                              value=repr(value), digit=number[10], expected=expected))
    return number


def container_numbers(value: Any) -> list[str]:
    """A list of ISO 6346 container numbers, each once."""
    if not isinstance(value, list):
        raise ValueError(N_("must be a list of container numbers"))
    if len(value) > 200:
        raise ValueError(N_("at most 200 container numbers"))
    numbers: list[str] = []
    for item in value:
        number = container_number(item)
        if number not in numbers:
            numbers.append(number)
    return numbers


def document_number(value: Any) -> str:
    """A B/L, air waybill, CMR, purchase order or customs entry number: letters, digits,
    spaces, dots, slashes and dashes, at most 64 characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(N_("must be a non-empty string"))
    number = value.strip()
    if len(number) > 64:
        raise ValueError(N_("must be at most 64 characters"))
    if not _DOCUMENT_NUMBER.match(number):
        raise ValueError(N_("only letters, digits, spaces, '.', '/' and '-'"))
    return number


def money(value: Any) -> Decimal:
    """A non-negative amount with at most two decimals, given as a string or a number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(N_("must be a decimal string such as \"125000.00\""))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(N_("must be a decimal string such as \"125000.00\"")) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(N_("must be a non-negative amount"))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(N_("at most two decimal places"))
    if amount >= Decimal("1e14"):
        raise ValueError(N_("is too large"))
    return amount.quantize(Decimal("0.01"))


def time_zone(value: Any) -> str:
    """An IANA time zone name such as Asia/Shanghai."""
    if not isinstance(value, str) or value not in _TIME_ZONES:
        raise ValueError(N_("must be an IANA time zone such as Europe/Berlin"))
    ZoneInfo(value)
    return value


def invite_time_zones() -> list[str]:
    """The IANA zones people live in (Area/City, no legacy aliases), sorted: for form suggestions."""
    return _CITY_ZONES


_CITY_ZONES = sorted(z for z in _TIME_ZONES if "/" in z and z.split("/")[0] in {
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"})


def all_countries() -> list[tuple[str, str]]:
    """(alpha-2 code, common name) of every ISO 3166-1 country, by name: for form selects."""
    return sorted(((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries), key=lambda pair: pair[1])


def all_currencies() -> list[tuple[str, str]]:
    """(ISO 4217 code, name) of every currency, by code: for form suggestions."""
    return sorted((c.alpha_3, c.name) for c in pycountry.currencies)



def all_time_zones() -> list[str]:
    """Every IANA zone name people choose from (no legacy aliases such as "US/Central"), sorted."""
    return sorted(z for z in _TIME_ZONES if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))) + ["UTC"]
