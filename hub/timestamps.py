"""UTC timestamps: the column type, parsing of inputs and the ISO 8601 `Z` form of outputs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from hub.errors import N_

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})$"
)


def utcnow() -> datetime:
    """The current time, aware, in UTC, to the microsecond."""
    return datetime.now(UTC)


def to_iso(value: datetime | None) -> str | None:
    """`2026-11-20T08:00:00Z` (microseconds only when there are any)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_timestamp(value: Any) -> datetime:
    """Parse an ISO 8601 date-time with an offset, or a plain date (midnight UTC).

    Raises ValueError with a readable reason for anything else.
    """
    if not isinstance(value, str):
        raise ValueError(N_("must be an ISO 8601 date-time string"))
    text = value.strip()
    if _DATE_ONLY.match(text):
        try:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        except ValueError:
            raise ValueError(N_("is not a valid date")) from None
    if not _DATE_TIME.match(text):
        raise ValueError(N_("must be an ISO 8601 date-time with an offset (e.g. 2026-11-20T08:00:00Z) or a date"))
    # Python parses at most microseconds; cut longer fractions instead of refusing them.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(N_("is not a valid date-time")) from None
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> date:
    """Parse a plain ISO 8601 date (`2026-12-20`)."""
    if not isinstance(value, str) or not _DATE_ONLY.match(value.strip()):
        raise ValueError(N_("must be a date such as 2026-12-20"))
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(N_("is not a valid date")) from None


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC on every database (naive on SQLite) and always returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
