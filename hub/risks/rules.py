"""The automatic risk rules, one named function each, and their registry.

A rule is a function `(shipment, now) -> Cause | None`: the cause standing on the shipment at
`now`, or None. `Cause.key` names that instance of the cause (the hold's milestone, the set of
suppressed addresses, the expected release date, ...): a flag resolved by hand stays resolved
until the rule answers another key ("the cause comes back anew"). Add a rule by writing its
function and an entry in `RULES`; `time_based` rules are also re-checked by the worker's
schedule (`RISK_CHECK_INTERVAL_S`), which alone raises them; events resolve them when their
cause goes (a release, the last document accepted). The other rules are checked on each
relevant event and by the schedule too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from hub.extensions import db
from hub.milestones.models import Milestone
from hub.milestones_catalogue import BY_CODE
from hub.notifications.models import SuppressedAddress
from hub.shipments.models import Shipment
from hub.timestamps import to_iso

#: Statuses after which nothing about clearance is at risk any more.
CLOSED_STATUSES = frozenset({"released", "delivered"})
#: Flags raised by hand (no rule function): a policy or tariff change, a thread message.
MANUAL_RULES = {"policy_change": "Policy or tariff change", "message": "Reported in the thread"}


@dataclass(frozen=True)
class Cause:
    """Why a rule stands: a short text for people, the key of this instance of the cause, and
    the text's facts (`what` and its values), which each reader's thread says in their language
    (`hub.i18n.facts_text`)."""

    detail: str
    key: str
    facts: dict[str, Any] | None = None


RuleCheck = Callable[[Shipment, datetime], "Cause | None"]


@dataclass(frozen=True)
class Rule:
    """A named automatic rule."""

    name: str
    label: str
    severity: str
    check: RuleCheck
    time_based: bool = False


def _milestones(shipment: Shipment) -> list[Milestone]:
    return list(db.session.scalars(
        select(Milestone).where(Milestone.shipment_id == shipment.id).order_by(Milestone.occurred_at, Milestone.id)
    ))


def _standing_exception(shipment: Shipment, code: str) -> Cause | None:
    """The latest `code` exception with no regular milestone after it."""
    milestones = _milestones(shipment)
    latest_regular = max((m.occurred_at for m in milestones if not BY_CODE[m.code].exception), default=None)
    standing = [m for m in milestones if m.code == code and (latest_regular is None or m.occurred_at > latest_regular)]
    if not standing:
        return None
    last = standing[-1]
    where = f" at {last.location}" if last.location else ""
    note = f": {last.note}" if last.note else ""
    return Cause(f"{BY_CODE[code].label} since {last.occurred_at:%Y-%m-%d %H:%M} UTC{where}{note}"[:500],
                 f"milestone:{last.id}",
                 {"what": "standing", "code": code, "time": to_iso(last.occurred_at), "location": last.location,
                  "note": last.note})


def on_hold(shipment: Shipment, now: datetime) -> Cause | None:
    """Customs (or another agency) holds the shipment: `on_hold` not followed by a regular milestone."""
    return _standing_exception(shipment, "on_hold")


def under_inspection(shipment: Shipment, now: datetime) -> Cause | None:
    """Customs examines the shipment: `under_inspection` not followed by a regular milestone."""
    return _standing_exception(shipment, "under_inspection")


def missing_documents(shipment: Shipment, now: datetime) -> Cause | None:
    """Required documents still missing (or only requested) or rejected RISK_DOCS_DAYS_BEFORE_ETA
    days before the ETA, until release."""
    from hub.documents.services import checklist

    if shipment.status in CLOSED_STATUSES or shipment.eta is None:
        return None
    days = current_app.config["RISK_DOCS_DAYS_BEFORE_ETA"]
    if now < shipment.eta - timedelta(days=days):
        return None
    lacking = [item for item in checklist(shipment)["items"] if item["state"] in ("missing", "requested", "rejected")]
    if not lacking:
        return None
    detail = ", ".join(f"{item['label']} ({'rejected' if item['state'] == 'rejected' else 'missing'})"
                       for item in lacking)
    key = ",".join(sorted(f"{item['doc_type']}:{item['state']}:{item['document_id'] or ''}" for item in lacking))
    return Cause(f"Due {shipment.eta:%Y-%m-%d}: {detail}"[:500], f"docs:{key}"[:200],
                 {"what": "documents", "date": f"{shipment.eta:%Y-%m-%d}",
                  "documents": [[item["doc_type"], "rejected" if item["state"] == "rejected" else "missing"]
                                for item in lacking]})


def clearance_overdue(shipment: Shipment, now: datetime) -> Cause | None:
    """A business day has passed beyond the clearance clock's expected release without `released`."""
    from hub.countries.clock import compute_facts, local_date
    from hub.countries.profiles import calendar_of, profile_for

    if shipment.status in CLOSED_STATUSES:
        return None
    profile = profile_for(shipment.destination_country)
    if profile is None:
        return None
    facts = compute_facts(shipment, profile)
    if facts.expected_release_on is None or facts.released_on is not None:
        return None
    calendar = calendar_of(profile, shipment.port_of_entry_subdivision)
    left = calendar.business_days_between(local_date(now, profile), facts.expected_release_on)
    if left >= 0:
        return None
    days = -left
    return Cause(f"Expected release {facts.expected_release_on.isoformat()}: {days} business day"
                 f"{'s' if days != 1 else ''} overdue", f"expected:{facts.expected_release_on.isoformat()}",
                 {"what": "overdue", "date": facts.expected_release_on.isoformat(), "days": days})


def partner_email_bounced(shipment: Shipment, now: datetime) -> Cause | None:
    """Every agent (or every broker) on the shipment has an address that bounced or reported
    spam: nobody of that side can be reached by email."""
    if shipment.status in CLOSED_STATUSES:
        return None
    by_role: dict[str, list[str]] = {"agent": [], "broker": []}
    for participant in shipment.participants:
        if participant.role in by_role:
            by_role[participant.role].append(participant.user.email)
    emails = [email for people in by_role.values() for email in people]
    if not emails:
        return None
    suppressed = dict(db.session.execute(
        select(SuppressedAddress.email, SuppressedAddress.id).where(SuppressedAddress.email.in_(emails))
    ).all())
    unreachable = [email for people in by_role.values() if people and all(e in suppressed for e in people)
                   for email in people]
    if not unreachable:
        return None
    return Cause("No email reaches " + ", ".join(unreachable) + " (bounced or reported as spam)",
                 "suppressed:" + ",".join(str(suppressed[e]) for e in sorted(unreachable)),
                 {"what": "bounced", "emails": ", ".join(unreachable)})


def no_agent_or_broker(shipment: Shipment, now: datetime) -> Cause | None:
    """The shipment has arrived and nobody on it is its agent or broker."""
    if shipment.status in CLOSED_STATUSES:
        return None
    if any(p.role in ("agent", "broker") for p in shipment.participants):
        return None
    arrived = db.session.scalar(
        select(Milestone.id).where(Milestone.shipment_id == shipment.id, Milestone.code == "arrived")
        .order_by(Milestone.id).limit(1)
    )
    if arrived is None:
        return None
    return Cause("Arrived, and no customs agent or broker is on the shipment", f"arrived:{arrived}",
                 {"what": "no_agent"})


#: Every automatic rule by name. Keep the names stable: they are the API's `rule` values.
RULES: dict[str, Rule] = {
    rule.name: rule for rule in (
        Rule("on_hold", "On hold", "high", on_hold),
        Rule("under_inspection", "Under inspection", "medium", under_inspection),
        Rule("missing_documents", "Documents missing before arrival", "medium", missing_documents, time_based=True),
        Rule("clearance_overdue", "Clearance overdue", "high", clearance_overdue, time_based=True),
        Rule("partner_email_bounced", "Partner's email bounced", "medium", partner_email_bounced),
        Rule("no_agent_or_broker", "No agent or broker", "medium", no_agent_or_broker),
    )
}


def label_of(rule: str) -> str:
    """The readable name of a rule (automatic or manual)."""
    if rule in RULES:
        return RULES[rule].label
    return MANUAL_RULES.get(rule, rule.replace("_", " ").capitalize())
