"""Recording clearance milestones and deriving a shipment's status from its timeline.

Every channel (API, shipment page, demo seeding) records through `record_milestone`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import User
from hub.audit import record_audit
from hub.errors import N_, ValidationFailed
from hub.extensions import db
from hub.milestones.models import LOCATION_MAX_CHARS, NOTE_MAX_CHARS, Milestone
from hub.milestones_catalogue import BY_CODE, CATALOGUE, ORDER
from hub.payload import check_fields, one_of, optional, text
from hub.permissions import Access, Action, authorize_on
from hub.realtime import emit_after_commit, shipment_room
from hub.shipment_tx import shipment_transaction
from hub.shipments.models import Shipment
from hub.signals import milestone_recorded
from hub.threads.services import add_message
from hub.timestamps import parse_timestamp, to_iso, utcnow

#: How far in the future `occurred_at` may be: clocks of partners' systems drift a little.
FUTURE_TOLERANCE = timedelta(minutes=10)

_PARSERS = {
    "code": one_of(tuple(m.code for m in CATALOGUE)),
    "occurred_at": parse_timestamp,
    "location": optional(text(LOCATION_MAX_CHARS)),
    "note": optional(text(NOTE_MAX_CHARS, multiline=True)),
}
_REQUIRED = frozenset({"code", "occurred_at"})


def check_milestone(values: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Validate a milestone report: known code, ISO `occurred_at` at most 10 minutes ahead,
    optional bounded `location` and `note`; unknown or missing fields are 422.

    Answers the cleaned values: `occurred_at` in UTC truncated to the second (the precision
    that decides whether two reports are the same milestone), empty texts as None.
    """
    cleaned = check_fields(values, _PARSERS, _REQUIRED)
    occurred_at: datetime = cleaned["occurred_at"].replace(microsecond=0)
    if occurred_at > (now or utcnow()) + FUTURE_TOLERANCE:
        raise ValidationFailed(
            N_("A milestone cannot be more than 10 minutes in the future."),
            fields={"occurred_at": N_("must not be more than 10 minutes in the future")},
        )
    return {
        "code": cleaned["code"],
        "occurred_at": occurred_at,
        "location": cleaned.get("location") or None,
        "note": cleaned.get("note") or None,
    }


def status_from(milestones: Iterable[tuple[str, datetime]]) -> str:
    """The shipment status that a set of (code, occurred_at) milestones gives.

    The regular milestone furthest in the catalogue's order (its latest occurrence) is the
    status, unless an exception (`on_hold`, `under_inspection`) happened after it and no
    regular milestone of any code happened after that exception: then the latest such
    exception is. Only exceptions: the latest of them. None at all: `new`. Only `occurred_at`
    matters, never the order in which the reports arrived.
    """
    regular = [(code, at) for code, at in milestones if not BY_CODE[code].exception]
    exceptions = [(code, at) for code, at in milestones if BY_CODE[code].exception]
    if not regular and not exceptions:
        return "new"
    if not regular:
        return _latest(exceptions)
    furthest_code = max(regular, key=lambda m: ORDER[m[0]])[0]
    furthest_at = max(at for code, at in regular if code == furthest_code)
    latest_regular_at = max(at for _code, at in regular)
    # An exception counts when it is after the furthest milestone and nothing regular followed it.
    standing = [(code, at) for code, at in exceptions if at > furthest_at and at >= latest_regular_at]
    return _latest(standing) if standing else furthest_code


def _latest(milestones: list[tuple[str, datetime]]) -> str:
    # Two exceptions at the same instant: the later one in the catalogue wins, deterministically.
    return max(milestones, key=lambda m: (m[1], ORDER[m[0]]))[0]


def timeline(shipment: Shipment) -> list[Milestone]:
    """The shipment's milestones ordered by `occurred_at` (then by id, i.e. recording order)."""
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.shipment_id == shipment.id)
            .order_by(Milestone.occurred_at, Milestone.id)
        )
    )


def message_body(milestone: Milestone) -> str:
    """The thread message of a milestone: `<label> at <occurred_at>[, <location>][: <note>]`."""
    body = f"{milestone.label} at {to_iso(milestone.occurred_at)}"
    if milestone.location:
        body += f", {milestone.location}"
    if milestone.note:
        body += f": {milestone.note}"
    return body


def message_facts(milestone: Milestone) -> dict[str, Any]:
    """What the milestone's thread message says, as data each reader's page renders in their
    own language and zone (`hub.i18n.facts_text`)."""
    return {"kind": "milestone", "milestone_id": milestone.id, "code": milestone.code,
            "time": to_iso(milestone.occurred_at), "location": milestone.location, "note": milestone.note}


@dataclass(frozen=True)
class MilestoneReport:
    """A milestone report checked for recording: who reports it, on which shipment, what."""

    user: User
    shipment_id: int
    values: dict[str, Any]
    via: str


def check_record_milestone(access: Access, values: Mapping[str, Any], via: str = "api") -> MilestoneReport:
    """Check a report for a shipment `access` may record milestones on (see `check_milestone`)."""
    if access.action is not Action.RECORD_MILESTONE:
        raise ValueError("check_record_milestone needs RECORD_MILESTONE access")
    return MilestoneReport(access.user, access.shipment_id, check_milestone(values), via)  # type: ignore[arg-type]


def do_record_milestone(report: MilestoneReport) -> tuple[Milestone, bool]:
    """Record a checked report; answers (milestone, created).

    A repeat (same code, same instant to the second) answers the original and changes
    nothing. Otherwise, in one transaction under the shipment's lock: the milestone, the
    recomputed status, the `milestone` thread message, the audit row and the
    `milestone_recorded` signal (so email outbox rows commit with it); the `milestone` socket
    event is emitted after the commit.
    """
    existing = _same_milestone(report.shipment_id, report.values)
    if existing is not None:
        return existing, False
    try:
        with shipment_transaction(report.shipment_id) as shipment:
            # Checked again under the lock: a concurrent request may have recorded it meanwhile.
            existing = _same_milestone(report.shipment_id, report.values)
            if existing is not None:
                return existing, False
            milestone = _add(shipment, report.user, report.values, report.via)
    except IntegrityError:
        # Another process stored the same milestone first (the unique constraint): answer it.
        existing = _same_milestone(report.shipment_id, report.values)
        if existing is None:
            raise
        return existing, False
    return milestone, True


def record_milestone(
    user: User, shipment_id: int, values: Mapping[str, Any], via: str = "api"
) -> tuple[Milestone, bool]:
    """Check (404 for who cannot see the shipment, 403 for observers, then 422) and record a
    milestone as `user`; answers (milestone, created)."""
    access = authorize_on(user, shipment_id, Action.RECORD_MILESTONE)
    return do_record_milestone(check_record_milestone(access, values, via))


def _add(shipment: Shipment, user: User, cleaned: dict[str, Any], via: str) -> Milestone:
    milestone = Milestone(shipment_id=shipment.id, recorded_by=user, **cleaned)
    db.session.add(milestone)
    db.session.flush()
    status_before = shipment.status
    shipment.status = status_from(
        db.session.execute(
            select(Milestone.code, Milestone.occurred_at).where(Milestone.shipment_id == shipment.id)
        ).all()
    )
    message = add_message(shipment, user, message_body(milestone), kind="milestone", via=via,
                          facts=message_facts(milestone))
    record_audit(
        user,
        "milestone.record",
        "milestone",
        milestone.id,
        {
            "code": milestone.code,
            "occurred_at": to_iso(milestone.occurred_at),
            "status_before": status_before,
            "status_after": shipment.status,
            "message_seq": message.seq,
        },
        shipment.id,
    )
    milestone_recorded.send(milestone, actor=user)
    emit_after_commit(
        "milestone",
        {"shipment_id": shipment.id, "milestone": milestone.to_dict(), "status": shipment.status},
        shipment_room(shipment.id),
    )
    return milestone


def _same_milestone(shipment_id: int, cleaned: Mapping[str, Any]) -> Milestone | None:
    return db.session.scalar(
        select(Milestone).where(
            Milestone.shipment_id == shipment_id,
            Milestone.code == cleaned["code"],
            Milestone.occurred_at == cleaned["occurred_at"],
        )
    )
