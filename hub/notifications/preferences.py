"""Who wants which email: per-user defaults and per-shipment choices.

`milestones` receives milestones, mentions, document requests and reviews; `all` adds the
digest of missed messages; `mute` receives nothing; `muted_milestones` drops those codes only.
A shipment's own row, when there is one, replaces the user's default for that shipment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from hub.accounts.models import STAFF_ROLES, User
from hub.audit import record_audit
from hub.errors import N_, Text, ValidationFailed, one_of_reason
from hub.extensions import db
from hub.milestones_catalogue import BY_CODE
from hub.notifications.models import LEVELS, NotificationPreference
from hub.payload import check_fields, integer_id, one_of
from hub.permissions import Action, get_shipment_for
from hub.shipments.models import Shipment


def default_level(user: User) -> str:
    """Staff hear everything by default, partners the milestones."""
    return level_for_role(user.role)


def level_for_role(role: str) -> str:
    """The default level of a user with this account role."""
    return "all" if role in STAFF_ROLES else "milestones"


def _row(user_id: int, shipment_id: int | None) -> NotificationPreference | None:
    query = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    if shipment_id is None:
        query = query.where(NotificationPreference.shipment_id.is_(None))
    else:
        query = query.where(NotificationPreference.shipment_id == shipment_id)
    return db.session.scalars(query.order_by(NotificationPreference.id)).first()


def effective_preference(user: User, shipment_id: int) -> tuple[str, list[str]]:
    """(level, muted milestone codes) that apply to `user` on one shipment."""
    row = _row(user.id, shipment_id) or _row(user.id, None)
    if row is None:
        return default_level(user), []
    return row.level, list(row.muted_milestones or [])


def preferences_from_rows(
    people: list[tuple[int, str]], rows: Iterable[Any]
) -> dict[int, tuple[str, list[str]]]:
    """The effective (level, muted codes) of each (user id, account role) in `people`, from
    their preference rows `(user_id, shipment_id, level, muted_milestones)` on one shipment
    (shipment rows and default rows, lowest id first); a row with a NULL level (an outer join
    finding none) counts as no row."""
    # The first row (lowest id) of each (user, scope) wins, as in `_row`.
    first: dict[tuple[int, bool], tuple[str, list[str]]] = {}
    for row in rows:
        if row.level is not None:
            first.setdefault((row.user_id, row.shipment_id is None), (row.level, list(row.muted_milestones or [])))
    return {
        user_id: first.get((user_id, False)) or first.get((user_id, True)) or (level_for_role(role), [])
        for user_id, role in people
    }


def wants(user: User, shipment_id: int, what: str, milestone_code: str | None = None) -> bool:
    """Whether `user` gets an email of this sort: `milestone`, `digest` or `direct`
    (mentions, document requests and reviews)."""
    return wants_with(effective_preference(user, shipment_id), what, milestone_code)


def wants_with(preference: tuple[str, list[str]], what: str, milestone_code: str | None = None) -> bool:
    """`wants` for an already looked-up (level, muted milestone codes)."""
    level, muted = preference
    if level == "mute":
        return False
    if what == "digest":
        return level == "all"
    if what == "milestone":
        return milestone_code not in muted
    return True


def wants_risks(user: User, shipment_id: int) -> bool:
    """Whether `user` gets risk flag escalations on the shipment: not muted there, and the
    `risks` choice (the shipment's own row, else their default; on without a row) is on."""
    row = _row(user.id, shipment_id) or _row(user.id, None)
    if row is None:
        return True
    return row.level != "mute" and bool(row.risks)


def preferences_of(user: User) -> dict[str, Any]:
    """The `GET /api/v1/me/notifications` object."""
    default = _row(user.id, None)
    rows = db.session.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.user_id == user.id, NotificationPreference.shipment_id.is_not(None))
        .order_by(NotificationPreference.shipment_id)
    )
    return {
        "level": default.level if default else default_level(user),
        "muted_milestones": list(default.muted_milestones or []) if default else [],
        "risks": bool(default.risks) if default else True,
        "shipments": [
            {"shipment_id": r.shipment_id, "level": r.level, "muted_milestones": list(r.muted_milestones or []),
             "risks": bool(r.risks)}
            for r in rows
        ],
    }


def _milestone_codes(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValueError(N_("must be a list of milestone codes"))
    unknown = [code for code in value if code not in BY_CODE]
    if unknown:
        raise ValueError(Text(N_("unknown milestone codes: %(codes)s"), codes=", ".join(unknown)))
    return sorted(set(value), key=list(BY_CODE).index)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(N_("must be true or false"))
    return value


PREFERENCE_FIELDS = {"shipment_id": integer_id, "level": one_of(LEVELS), "muted_milestones": _milestone_codes,
                     "risks": _boolean}


def check_preference(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """Validate a `PUT` body; a shipment the user cannot see is 404 (checked first)."""
    shipment_id = body.get("shipment_id")
    if isinstance(shipment_id, int) and not isinstance(shipment_id, bool) and shipment_id > 0:
        get_shipment_for(user, shipment_id, Action.VIEW)
    values = check_fields(body, PREFERENCE_FIELDS, required={"level"})
    return values


def set_preference(user: User, values: dict[str, Any]) -> dict[str, Any]:
    """Store the default (no `shipment_id`) or one shipment's choice; an omitted
    `muted_milestones` or `risks` keeps what is stored (a new shipment row inherits them
    from the default). Answers the whole object."""
    shipment_id = values.get("shipment_id")
    row = _row(user.id, shipment_id)
    if row is None:
        inherited = _row(user.id, None) if shipment_id is not None else None
        row = NotificationPreference(
            user_id=user.id, shipment_id=shipment_id, level=values["level"],
            muted_milestones=list(inherited.muted_milestones or []) if inherited else [],
            risks=bool(inherited.risks) if inherited else True,
        )
        db.session.add(row)
    row.level = values["level"]
    if "muted_milestones" in values:
        row.muted_milestones = list(values["muted_milestones"])
    if "risks" in values:
        row.risks = values["risks"]
    db.session.flush()
    record_audit(
        user, "notifications.preference_set", "notification_preference", row.id,
        {"level": row.level, "muted_milestones": list(row.muted_milestones or []), "risks": row.risks,
         "shipment_id": shipment_id},
        shipment_id=shipment_id,
    )
    db.session.commit()
    return preferences_of(user)


def clear_preference(user: User, values: dict[str, Any]) -> dict[str, Any]:
    """Drop the user's own choice for one shipment (checked by `check_preference`): their
    default applies to it again. Answers the whole object."""
    shipment_id = values["shipment_id"]
    row = _row(user.id, shipment_id)
    if row is not None:
        db.session.delete(row)
        record_audit(user, "notifications.preference_cleared", "notification_preference", row.id,
                     {"shipment_id": shipment_id}, shipment_id=shipment_id)
        db.session.commit()
    return preferences_of(user)


def mute_shipment(user: User, shipment: Shipment, via: str) -> tuple[str, bool]:
    """Set the user's choice for this shipment to `mute` (the unsubscribe link); answers
    (the level before, whether anything changed)."""
    before, _muted = effective_preference(user, shipment.id)
    row = _row(user.id, shipment.id)
    if row is not None and row.level == "mute":
        return before, False
    if row is None:
        row = NotificationPreference(user_id=user.id, shipment_id=shipment.id, level="mute", muted_milestones=[],
                                     risks=True)
        db.session.add(row)
    row.level = "mute"
    db.session.flush()
    record_audit(user, "notifications.unsubscribed", "notification_preference", row.id,
                 {"before": before, "via": via}, shipment_id=shipment.id)
    db.session.commit()
    return before, True


def validation_error_for_level(level: Any) -> None:
    """Raise the API's 422 for a level that is not one of LEVELS (used by the settings form)."""
    if level not in LEVELS:
        raise ValidationFailed(N_("Unknown level."), fields={"level": one_of_reason(LEVELS)})
