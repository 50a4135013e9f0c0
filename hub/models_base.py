"""What the areas' models have in common: their recurring columns, declared once as `Annotated`
types for `Mapped[...]` (SQLAlchemy 2 copies the `mapped_column` into each table that uses one;
an attribute may still add its own, e.g. `mapped_column(index=True)`), and the API's form of a
row's fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from sqlalchemy import ForeignKey
from sqlalchemy.orm import mapped_column

from hub.timestamps import UTCDateTime, to_iso, utcnow

#: The integer primary key `id` of every table.
IntPK = Annotated[int, mapped_column(primary_key=True)]

#: A UTC time, the current one when the row is inserted (`created_at`, `uploaded_at`, ...).
Timestamp = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]
#: When the row last changed (UTC): set when it is inserted and again on each update.
UpdatedAt = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)]
#: A UTC time that may be unset (a moment that has not happened yet, or a deadline).
OptionalTimestamp = Annotated[datetime | None, mapped_column(UTCDateTime())]

#: The shipment a row belongs to: the row is deleted with it.
OfShipment = Annotated[int, mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))]
#: The user a row belongs to: the row is deleted with them.
OfUser = Annotated[int, mapped_column(ForeignKey("users.id", ondelete="CASCADE"))]
#: The user who did something to a row (created, uploaded, reviewed, ...): the row outlives
#: them, the reference becomes NULL.
ByUser = Annotated[int | None, mapped_column(ForeignKey("users.id", ondelete="SET NULL"))]


def api_value(value: object) -> object:
    """A column's value as the API shows it: times in ISO 8601 UTC with `Z`, dates as
    `YYYY-MM-DD`, anything else as it is."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def api_fields(row: object, *names: str) -> dict[str, object]:
    """`{name: value}` of the row's attributes `names`, in that order, each in its API form."""
    return {name: api_value(getattr(row, name)) for name in names}
