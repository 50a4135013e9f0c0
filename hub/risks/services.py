"""Risk flags: raising and resolving them (by the rules or by hand), reassigning, listing, and
turning a thread message into a fact (a flag or a milestone) with the message as evidence.

Every change to a shipment's flags runs inside that shipment's `shipment_transaction`: the
`system` thread message takes the next `seq`, the `risk` event leaves after the commit (to the
shipment's room and its coordinators' user rooms) and `risk_flag_changed` lets the
notifications area queue the escalation emails in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from hub import reference_data as ref
from hub.accounts.models import Principal, User
from hub.audit import record_audit
from hub.errors import N_, Conflict, NotFound, Text, ValidationFailed, one_of_reason
from hub.extensions import db
from hub.milestones import services as milestones
from hub.payload import check_fields, integer_id, one_of, text
from hub.permissions import Action, authorize_on, owner_and_role, visible_shipments
from hub.permissions.rules import allows, decide
from hub.realtime import emit_after_commit, shipment_room, user_room
from hub.risks.models import DETAIL_MAX_CHARS, NOTE_MAX_CHARS, SEVERITIES, MessageFact, RiskFlag
from hub.risks.rules import CLOSED_STATUSES, MANUAL_RULES, RULES, Cause, label_of
from hub.shipment_tx import Step, after_commit, shipment_transaction
from hub.shipments.models import Shipment, ShipmentParticipant
from hub.signals import risk_flag_changed
from hub.threads.models import Message
from hub.threads.services import add_message
from hub.timestamps import to_iso, utcnow

# --- who owns a flag --------------------------------------------------------------------------


def coordinators(shipment: Shipment) -> list[User]:
    """The shipment's active coordinators, in the order they joined."""
    return [p.user for p in shipment.participants if p.role == "coordinator" and p.user.active]


def default_owner(shipment: Shipment) -> User | None:
    """Who owns a new flag: the shipment's first coordinator."""
    people = coordinators(shipment)
    return people[0] if people else None


# --- opening and resolving (inside the shipment's transaction) --------------------------------


def _announce(flag: RiskFlag, shipment: Shipment, change: str, actor: User | None,
              detail_facts: dict[str, Any] | None = None) -> None:
    """The thread message, the live event and the escalation signal of an opened or resolved flag."""
    label = label_of(flag.rule)
    # The facts let each reader's page and email say the message in their language
    # (`hub.i18n.facts_text`); the body is the English fallback.
    facts: dict[str, Any] = {"kind": "risk", "action": change, "rule": flag.rule, "label": label,
                             "actor": actor.name if actor is not None else None}
    if change == "opened":
        body = f"Risk opened ({flag.severity}): {label}"
        facts.update(severity=flag.severity, detail=flag.detail or None, detail_facts=detail_facts,
                     owner=flag.owner.name if flag.owner is not None else None)
        if flag.detail:
            body += f": {flag.detail}"
        if flag.owner is not None:
            body += f". Owner: {flag.owner.name}"
        if actor is not None:
            body += f". Raised by {actor.name}"
    else:
        how = f"by {actor.name}" if actor is not None else "automatically, its cause has gone"
        body = f"Risk resolved: {label} ({how})"
        facts["note"] = flag.resolution_note or None
        if flag.resolution_note:
            body += f": {flag.resolution_note}"
    add_message(shipment, None, body[:4000], kind="system", via="web", facts=facts)
    _emit(flag, shipment, change)
    risk_flag_changed.send(flag, change=change, label=label, actor=actor)


def _emit(flag: RiskFlag, shipment: Shipment, change: str) -> None:
    payload = {"shipment_id": shipment.id, "change": change, "risk": flag.to_dict()}
    emit_after_commit("risk", payload, shipment_room(shipment.id))
    for user in coordinators(shipment):
        emit_after_commit("risk", payload, user_room(user.id))


def open_flag(shipment: Shipment, rule: str, severity: str, *, detail: str = "", note: str | None = None,
              actor: User | None = None, cause_key: str | None = None, automatic: bool = False,
              hs_codes: Iterable[str] = (), evidence_message_id: int | None = None,
              owner: User | None = None, detail_facts: dict[str, Any] | None = None) -> RiskFlag:
    """Add an open flag to a shipment locked by the caller's `shipment_transaction`
    (`detail_facts`: what an automatic rule's detail says, as data for the thread message)."""
    flag = RiskFlag(
        shipment_id=shipment.id, rule=rule, severity=severity, detail=detail[:DETAIL_MAX_CHARS], note=note,
        hs_codes=list(hs_codes), open_key=rule if automatic else None, cause_key=cause_key,
        owner=owner or default_owner(shipment), opened_by=actor, opened_at=utcnow(),
        evidence_message_id=evidence_message_id,
    )
    db.session.add(flag)
    # A concurrent check of the same rule that won the race makes this flush fail (unique open_key).
    db.session.flush()
    record_audit(actor, "risk.open", "risk_flag", flag.id, {"rule": rule, "severity": severity}, shipment.id)
    _announce(flag, shipment, "opened", actor, detail_facts)
    return flag


def resolve_flag(flag: RiskFlag, shipment: Shipment, *, actor: User | None, note: str | None) -> RiskFlag:
    """Resolve an open flag (by `actor` with a note, or automatically when `actor` is None)."""
    flag.resolved_at = utcnow()
    flag.resolved_by = actor
    flag.resolution = "manual" if actor is not None else "auto"
    flag.resolution_note = note
    flag.open_key = None
    db.session.flush()
    record_audit(actor, "risk.resolve", "risk_flag", flag.id, {"rule": flag.rule, "resolution": flag.resolution,
                                                               "note": note}, shipment.id)
    _announce(flag, shipment, "resolved", actor)
    return flag


def evaluate(shipment: Shipment, now: datetime | None = None, rules: Iterable[str] | None = None,
             *, raise_time_based: bool = True) -> list[RiskFlag]:
    """Apply the automatic rules to a shipment locked by the caller's transaction: raise a flag
    for each cause standing without one, resolve each flag whose cause went away. A flag
    resolved by hand is raised again only for a new instance of its cause (another key).
    With `raise_time_based` False (an event's re-check) the time-based rules only resolve:
    raising them is the schedule's job, at the moment their time comes.
    Answers the flags opened or resolved."""
    now = now or utcnow()
    names = list(rules) if rules is not None else list(RULES)
    flags = list(db.session.scalars(
        select(RiskFlag).where(RiskFlag.shipment_id == shipment.id, RiskFlag.rule.in_(names))
        .order_by(RiskFlag.id.desc())
    ))
    changed = []
    for name in names:
        rule = RULES[name]
        cause: Cause | None = rule.check(shipment, now)
        mine = [f for f in flags if f.rule == name]
        open_one = next((f for f in mine if f.is_open), None)
        if cause is None and open_one is not None:
            changed.append(resolve_flag(open_one, shipment, actor=None, note=None))
        elif cause is not None and open_one is not None:
            # The cause goes on (a repeated hold, one more missing document): the open flag
            # stands for its latest instance, so resolving it by hand covers that one too.
            open_one.cause_key = cause.key
        elif cause is not None and open_one is None:
            if rule.time_based and not raise_time_based:
                continue
            last = mine[0] if mine else None
            if last is not None and last.resolution == "manual" and last.cause_key == cause.key:
                continue  # resolved by hand: stays resolved until the cause comes back anew
            changed.append(open_flag(shipment, name, rule.severity, detail=cause.detail, cause_key=cause.key,
                                     automatic=True, detail_facts=cause.facts))
    return changed


def recheck(shipment_id: int, now: datetime | None = None, *, raise_time_based: bool = True) -> list[RiskFlag]:
    """Re-check a shipment's rules in its own transaction (committed here)."""
    try:
        with shipment_transaction(shipment_id) as shipment:
            return evaluate(shipment, now, raise_time_based=raise_time_based)
    except NotFound:
        return []
    except IntegrityError:
        # Another process raised the same flag meanwhile (the unique open_key): nothing to do.
        return []


def shipments_to_check() -> list[int]:
    """Shipments whose rules may change with time: not yet released, or with an open flag."""
    open_flags = select(RiskFlag.shipment_id).where(RiskFlag.resolved_at.is_(None))
    return list(db.session.scalars(
        select(Shipment.id).where(or_(Shipment.status.not_in(CLOSED_STATUSES), Shipment.id.in_(open_flags)))
        .order_by(Shipment.id)
    ))


def check_all(now: datetime | None = None) -> int:
    """The worker's scheduled run: re-check every shipment that may change; answers the number
    of flags opened or resolved."""
    ids = shipments_to_check()
    db.session.rollback()
    return sum(len(recheck(shipment_id, now)) for shipment_id in ids)


# --- re-checks asked by events outside a shipment's transaction ---------------------------------

_PENDING = "hub_risk_rechecks"


def recheck_later(shipment_ids: Iterable[int]) -> None:
    """Re-check these shipments once the current transaction commits (events sent outside a
    shipment's ordered transaction: participant changes, shipment edits, bounces): the flags'
    thread messages need the shipment's lock, which a transaction cannot take halfway."""
    ids = set(shipment_ids)
    if not ids or not has_request_context():
        return

    def remember() -> None:
        g.setdefault(_PENDING, set()).update(ids)

    after_commit(Step.COUNT, remember)


def run_pending_rechecks() -> None:
    """Run the re-checks `recheck_later` queued during this request (after its commit)."""
    pending = g.pop(_PENDING, None) if has_request_context() else None
    for shipment_id in sorted(pending or ()):
        recheck(shipment_id, raise_time_based=False)


# --- reading -----------------------------------------------------------------------------------


def shipment_flags(user: Principal, shipment_id: int) -> list[RiskFlag]:
    """Every flag of a shipment the user may see, open ones first, newest first."""
    authorize_on(user, shipment_id, Action.VIEW)
    return list(db.session.scalars(
        select(RiskFlag).where(RiskFlag.shipment_id == shipment_id)
        .order_by(RiskFlag.resolved_at.is_not(None), RiskFlag.opened_at.desc(), RiskFlag.id.desc())
    ))


def check_list_filters(args: Mapping[str, str]) -> dict[str, Any]:
    """`open` (1/0), `severity`, `owner` (`me`) of `GET /api/v1/risks`; 422 otherwise."""
    errors: dict[str, str] = {}
    filters: dict[str, Any] = {}
    raw_open = args.get("open", "")
    if raw_open not in ("", "0", "1", "true", "false"):
        errors["open"] = N_("must be 1 or 0")
    elif raw_open:
        filters["open"] = raw_open in ("1", "true")
    severity = args.get("severity", "")
    if severity and severity not in SEVERITIES:
        errors["severity"] = one_of_reason(SEVERITIES)
    elif severity:
        filters["severity"] = severity
    owner = args.get("owner", "")
    if owner and owner != "me":
        errors["owner"] = N_("must be me")
    elif owner:
        filters["owner_me"] = True
    if errors:
        raise ValidationFailed(N_("Bad filters."), fields=errors)
    return filters


def list_flags(user: User, filters: Mapping[str, Any], page: int, per_page: int) -> tuple[list[RiskFlag], int]:
    """Flags of every shipment the user may see, most severe and newest first, paged."""
    visible = visible_shipments(user).with_only_columns(Shipment.id)
    query: Select[Any] = select(RiskFlag).where(RiskFlag.shipment_id.in_(visible))
    if "open" in filters:
        query = query.where(RiskFlag.resolved_at.is_(None) if filters["open"] else RiskFlag.resolved_at.is_not(None))
    if "severity" in filters:
        query = query.where(RiskFlag.severity == filters["severity"])
    if filters.get("owner_me"):
        query = query.where(RiskFlag.owner_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(
        query.order_by(RiskFlag.resolved_at.is_not(None), _severity_order(), RiskFlag.opened_at.desc(), RiskFlag.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    return rows, total


def _severity_order() -> Any:
    return case({"high": 0, "medium": 1, "low": 2}, value=RiskFlag.severity, else_=3)


def open_flags_of(shipment_ids: list[int]) -> dict[int, list[RiskFlag]]:
    """{shipment id: its open flags, most severe first} in one query (the list's icons)."""
    found: dict[int, list[RiskFlag]] = {shipment_id: [] for shipment_id in shipment_ids}
    if not shipment_ids:
        return found
    for flag in db.session.scalars(
        select(RiskFlag).where(RiskFlag.shipment_id.in_(shipment_ids), RiskFlag.resolved_at.is_(None))
        .order_by(_severity_order(), RiskFlag.opened_at)
    ):
        found[flag.shipment_id].append(flag)
    return found


# --- raising by hand ---------------------------------------------------------------------------

_SEVERITY = one_of(SEVERITIES)
_NOTE = text(NOTE_MAX_CHARS, 1, multiline=True)


def _hs_code_list(value: Any) -> list[str]:
    codes = ref.hs_codes(value)
    return list(codes)


_MANUAL_FIELDS = {
    "rule": one_of(("policy_change",)),
    "note": _NOTE,
    "hs_codes": _hs_code_list,
    "severity": _SEVERITY,
    "owner_id": integer_id,
}


@dataclass(frozen=True)
class ManualFlag:
    """A checked flag raised by hand on one shipment."""

    actor: User
    shipment_id: int
    values: dict[str, Any]


def _check_owner(shipment: Shipment, owner_id: int) -> User:
    participant = next((p for p in shipment.participants if p.user_id == owner_id and p.role == "coordinator"
                        and p.user.active), None)
    if participant is None:
        raise ValidationFailed(N_("The owner must be a coordinator of the shipment."),
                               fields={"owner_id": N_("must be an active coordinator of the shipment")})
    return participant.user


Body = Callable[[], Mapping[str, Any]]


def check_raise_flag(user: User, shipment_id: int, body: Body) -> ManualFlag:
    """Staff of the owner raise a policy or tariff change on one shipment (404 hidden, 403
    partners, then the body, read only once allowed: 400/422)."""
    authorize_on(user, shipment_id, Action.MANAGE_RISKS)
    values = check_fields(body(), _MANUAL_FIELDS, required={"note"})
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is not None and "owner_id" in values:
        _check_owner(shipment, values["owner_id"])
    return ManualFlag(user, shipment_id, values)


def do_raise_flag(checked: ManualFlag) -> RiskFlag:
    """Raise the checked flag."""
    values = checked.values
    with shipment_transaction(checked.shipment_id) as shipment:
        owner = _check_owner(shipment, values["owner_id"]) if "owner_id" in values else None
        detail = values["note"].splitlines()[0][:DETAIL_MAX_CHARS]
        if values.get("hs_codes"):
            detail = f"HS {', '.join(values['hs_codes'])}: {detail}"[:DETAIL_MAX_CHARS]
        flag = open_flag(shipment, values.get("rule", "policy_change"), values.get("severity", "medium"),
                         detail=detail, note=values["note"], actor=checked.actor, hs_codes=values.get("hs_codes", ()),
                         owner=owner)
    return flag


_BULK_FIELDS = {"note": _NOTE, "hs_codes": _hs_code_list, "severity": _SEVERITY}


def check_raise_for_hs_codes(user: User, body: Body) -> tuple[User, dict[str, Any], list[int]]:
    """Staff raise a policy or tariff change on every open shipment of their organisation whose
    HS codes start with one of `hs_codes`; answers what `do_raise_for_hs_codes` needs."""
    from hub.permissions import require_staff

    require_staff(user)
    values = check_fields(body(), _BULK_FIELDS, required={"note", "hs_codes"})
    if not values["hs_codes"]:
        raise ValidationFailed(N_("Name at least one HS code."), fields={"hs_codes": N_("must not be empty")})
    candidates = db.session.execute(
        select(Shipment.id, Shipment.hs_codes).where(
            Shipment.owner_org_id == user.organization_id, Shipment.status.not_in(CLOSED_STATUSES))
        .order_by(Shipment.id)
    ).all()
    prefixes = tuple(values["hs_codes"])
    ids = [sid for sid, codes in candidates if any(str(code).startswith(prefixes) for code in (codes or []))]
    return user, values, ids


def do_raise_for_hs_codes(user: User, values: dict[str, Any], shipment_ids: list[int]) -> list[RiskFlag]:
    """One flag per shipment, each in that shipment's transaction."""
    flags = []
    for shipment_id in shipment_ids:
        body = {"rule": "policy_change", **values}
        flags.append(do_raise_flag(ManualFlag(user, shipment_id, body)))
    return flags


# --- changing a flag ---------------------------------------------------------------------------

_PATCH_FIELDS = {
    "owner_id": integer_id,
    "resolved": lambda v: _true(v),
    "resolution_note": text(NOTE_MAX_CHARS, 1, multiline=True),
}


def _true(value: Any) -> bool:
    if value is not True:
        raise ValueError(N_("must be true (a resolved flag cannot be reopened)"))
    return True


@dataclass(frozen=True)
class FlagChange:
    """A checked change of one flag."""

    actor: User
    flag_id: int
    shipment_id: int
    values: dict[str, Any]


def check_change_flag(user: User, flag_id: int, body: Body) -> FlagChange:
    """May `user` change the flag (404 when its shipment is hidden, 403 for partners), then
    the body: `owner_id` (a coordinator of the shipment) and/or `resolved: true` with a
    `resolution_note`."""
    flag = db.session.get(RiskFlag, flag_id)
    facts = owner_and_role(user, flag.shipment_id) if flag is not None else None
    if flag is None or facts is None:
        raise NotFound(N_("Risk flag not found."))
    try:
        decide(user, facts[0], facts[1], Action.MANAGE_RISKS)
    except NotFound:
        raise NotFound(N_("Risk flag not found.")) from None
    values = check_fields(body(), _PATCH_FIELDS)
    if not values:
        raise ValidationFailed(N_("Nothing to change."), fields={"owner_id": N_("give owner_id or resolved")})
    if values.get("resolved") and "resolution_note" not in values:
        raise ValidationFailed(N_("Say how it was resolved."), fields={"resolution_note": N_("is required to resolve")})
    if "resolution_note" in values and not values.get("resolved"):
        raise ValidationFailed(N_("A note goes with resolving."), fields={"resolved": N_("must be true with resolution_note")})
    if values.get("resolved") and not flag.is_open:
        raise ValidationFailed(N_("The flag is already resolved."), fields={"resolved": N_("already resolved")})
    shipment = db.session.get(Shipment, flag.shipment_id)
    if "owner_id" in values and shipment is not None:
        _check_owner(shipment, values["owner_id"])
    return FlagChange(user, flag.id, flag.shipment_id, values)


def do_change_flag(change: FlagChange) -> RiskFlag:
    """Reassign and/or resolve the flag in its shipment's transaction."""
    with shipment_transaction(change.shipment_id) as shipment:
        flag = db.session.get(RiskFlag, change.flag_id, populate_existing=True)
        if flag is None:
            raise NotFound(N_("Risk flag not found."))
        if "owner_id" in change.values:
            owner = _check_owner(shipment, change.values["owner_id"])
            if flag.owner_id != owner.id:
                before = flag.owner_id
                flag.owner = owner
                db.session.flush()
                record_audit(change.actor, "risk.reassign", "risk_flag", flag.id,
                             {"from": before, "to": owner.id}, shipment.id)
                _emit(flag, shipment, "updated")
        if change.values.get("resolved") and flag.is_open:
            resolve_flag(flag, shipment, actor=change.actor, note=change.values["resolution_note"])
    return flag


# --- a message becomes a fact ------------------------------------------------------------------


@dataclass(frozen=True)
class MessageToFact:
    """A thread message staff may turn into a fact."""

    actor: User
    message_id: int
    shipment_id: int
    values: dict[str, Any]


#: What a message turns into, as the "already turned into a ..." refusal names it.
_FACT_KINDS = {"risk": N_("risk"), "milestone": N_("milestone")}


def _check_message(user: User, message_id: int, kind: str) -> Message:
    message = db.session.get(Message, message_id)
    facts = owner_and_role(user, message.shipment_id) if message is not None else None
    if message is None or facts is None or not allows(user, facts[0], facts[1], Action.VIEW):
        raise NotFound(N_("Message not found."))
    decide(user, facts[0], facts[1], Action.MANAGE_RISKS)
    if message.deleted_at is not None or message.kind != "text":
        raise ValidationFailed(N_("Only a written message can become a fact."),
                               fields={"message_id": N_("must be a text message that was not deleted")})
    done = db.session.scalar(select(MessageFact.id).where(MessageFact.message_id == message.id,
                                                          MessageFact.kind == kind))
    if done is not None:
        raise Conflict(N_("This message was already turned into a %(kind)s."), params={"kind": Text(_FACT_KINDS.get(kind, kind))})
    return message


_MESSAGE_RISK_FIELDS = {"severity": _SEVERITY, "owner_id": integer_id}


def check_message_to_risk(user: User, message_id: int, body: Body) -> MessageToFact:
    """Staff of the owner turn a text message into a risk flag (its text as the note)."""
    message = _check_message(user, message_id, "risk")
    values = check_fields(body(), _MESSAGE_RISK_FIELDS)
    shipment = db.session.get(Shipment, message.shipment_id)
    if shipment is not None and "owner_id" in values:
        _check_owner(shipment, values["owner_id"])
    return MessageToFact(user, message.id, message.shipment_id, values)


def _fact_note(actor: User, message: Message, what: str) -> str:
    return f"{actor.name} turned message #{message.seq} into {what}"


def _fact_note_facts(actor: User, message: Message, into: str, code: str | None = None) -> dict[str, Any]:
    """The facts of a "turned message #N into ..." note, said in each reader's language."""
    return {"kind": "risk", "action": "turned", "into": into, "actor": actor.name, "seq": message.seq, "code": code}


def do_message_to_risk(checked: MessageToFact) -> RiskFlag:
    """Raise the flag with the message as evidence, and say so in the thread."""
    with shipment_transaction(checked.shipment_id) as shipment:
        message = db.session.get(Message, checked.message_id)
        if message is None:
            raise NotFound(N_("Message not found."))
        owner = _check_owner(shipment, checked.values["owner_id"]) if "owner_id" in checked.values else None
        first_line = next((line for line in message.body.splitlines() if line.strip()), "")
        flag = open_flag(shipment, "message", checked.values.get("severity", "medium"),
                         detail=first_line, note=message.body, actor=checked.actor,
                         evidence_message_id=message.id, owner=owner)
        db.session.add(MessageFact(message_id=message.id, shipment_id=shipment.id, kind="risk", risk_flag_id=flag.id,
                                   created_by=checked.actor))
        add_message(shipment, None, _fact_note(checked.actor, message, "a risk flag"), kind="system",
                    facts=_fact_note_facts(checked.actor, message, "risk"))
        _emit_fact(shipment.id, message.id)
    return flag


def check_message_to_milestone(user: User, message_id: int, body: Body) -> tuple[MessageToFact, Any]:
    """Staff of the owner record a milestone a partner wrote about in the thread ("released at
    14:10"); the body is a milestone report (`code`, `occurred_at`, `location`, `note`)."""
    message = _check_message(user, message_id, "milestone")
    access = authorize_on(user, message.shipment_id, Action.RECORD_MILESTONE)
    report = milestones.check_record_milestone(access, body(), via="web")
    return MessageToFact(user, message.id, message.shipment_id, {}), report


def do_message_to_milestone(checked: MessageToFact, report: Any) -> Any:
    """Record the milestone through the milestones area, then link the message as its evidence."""
    milestone, _created = milestones.do_record_milestone(report)
    with shipment_transaction(checked.shipment_id) as shipment:
        message = db.session.get(Message, checked.message_id)
        if message is None:
            raise NotFound(N_("Message not found."))
        db.session.add(MessageFact(message_id=message.id, shipment_id=shipment.id, kind="milestone",
                                   milestone_id=milestone.id, created_by=checked.actor))
        add_message(shipment, None, _fact_note(checked.actor, message, f"the milestone {milestone.label}"),
                    kind="system", facts=_fact_note_facts(checked.actor, message, "milestone", milestone.code))
        record_audit(checked.actor, "message.to_milestone", "milestone", milestone.id,
                     {"message_id": message.id}, shipment.id)
        _emit_fact(shipment.id, message.id)
    return milestone


def _emit_fact(shipment_id: int, message_id: int) -> None:
    fact_rows = facts_of_messages([message_id]).get(message_id, [])
    emit_after_commit("message_facts", {"shipment_id": shipment_id, "message_id": message_id, "facts": fact_rows},
                      shipment_room(shipment_id))


def facts_of_messages(message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{message id: the facts made of it} in one query (the thread shows them)."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not message_ids:
        return found
    db.session.flush()
    for fact in db.session.scalars(select(MessageFact).where(MessageFact.message_id.in_(message_ids))
                                   .order_by(MessageFact.id)):
        found.setdefault(fact.message_id, []).append(fact.to_dict())
    return found


def shipment_message_facts(shipment_id: int) -> dict[int, list[dict[str, Any]]]:
    """{message id: its facts} of one shipment's messages (the thread page shows them)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for fact in db.session.scalars(select(MessageFact).where(MessageFact.shipment_id == shipment_id)
                                   .order_by(MessageFact.id)):
        found.setdefault(fact.message_id, []).append(fact.to_dict())
    return found


def milestone_evidence(shipment_id: int) -> dict[int, dict[str, Any]]:
    """{milestone id: {"message_id", "seq", "by"}} of the shipment's milestones recorded from a
    message (the timeline shows the evidence)."""
    rows = db.session.execute(
        select(MessageFact.milestone_id, Message.id, Message.seq, MessageFact.created_by_id)
        .join(Message, Message.id == MessageFact.message_id)
        .where(MessageFact.shipment_id == shipment_id, MessageFact.kind == "milestone")
    ).all()
    return {milestone_id: {"message_id": message_id, "seq": seq, "by": by} for milestone_id, message_id, seq, by in rows}


def flag_view(flag: RiskFlag) -> dict[str, Any]:
    """The API object of a flag, with its evidence message's seq when it has one."""
    data = flag.to_dict()
    data["evidence"] = None
    if flag.evidence_message_id is not None:
        message = db.session.get(Message, flag.evidence_message_id)
        if message is not None:
            data["evidence"] = {"message_id": message.id, "seq": message.seq, "created_at": to_iso(message.created_at)}
    return data


def flags_view(flags: list[RiskFlag]) -> list[dict[str, Any]]:
    """`flag_view` of many flags with one query for their evidence messages."""
    ids = [f.evidence_message_id for f in flags if f.evidence_message_id is not None]
    messages = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))} if ids else {}
    out = []
    for flag in flags:
        data = flag.to_dict()
        message = messages.get(flag.evidence_message_id) if flag.evidence_message_id else None
        data["evidence"] = ({"message_id": message.id, "seq": message.seq, "created_at": to_iso(message.created_at)}
                            if message is not None else None)
        out.append(data)
    return out


def participant_shipments(email: str) -> list[int]:
    """Shipments where the owner of `email` is an agent or broker (a bounce may change them)."""
    return list(db.session.scalars(
        select(ShipmentParticipant.shipment_id).join(User, User.id == ShipmentParticipant.user_id)
        .where(func.lower(User.email) == email.lower(), ShipmentParticipant.role.in_(("agent", "broker")))
    ))


__all__ = ["MANUAL_RULES", "RULES"]
