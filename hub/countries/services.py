"""Country profile actions: read one, and an admin's edit (kept as a revision, and the clocks
of shipments to that country recomputed in the same transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytz
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit import record_audit
from hub.business_days import default_working_days, supported_subdivisions
from hub.countries.clock import refresh_open_clocks
from hub.countries.models import PROFILE_FIELDS, CountryProfile, CountryProfileRevision
from hub.countries.profiles import check_profile_fields, profile_for, remember_profile, seed_profiles
from hub.errors import N_, NotFound
from hub.extensions import db
from hub.permissions import require_admin
from hub.reference_data import country_code, country_name
from hub.shipments.models import TRANSPORT_MODES
from hub.threads.markup import render_markdown
from hub.timestamps import to_iso, utcnow


def check_country(code: str) -> str:
    """The upper-cased ISO code, or 404 for anything that is not a country."""
    try:
        return country_code(code)
    except ValueError:
        raise NotFound(N_("No such country.")) from None


def get_profile(code: str) -> CountryProfile:
    """The country's profile, or 404 when it has none."""
    profile = profile_for(check_country(code))
    if profile is None:
        raise NotFound(N_("This country has no profile yet."))
    return profile


def revisions(profile: CountryProfile) -> list[CountryProfileRevision]:
    """The profile's saved revisions, newest first (none for a profile still as seeded)."""
    return list(db.session.scalars(
        select(CountryProfileRevision)
        .where(CountryProfileRevision.country_code == profile.code)
        .order_by(CountryProfileRevision.revision.desc())
    ))


def profile_view(profile: CountryProfile) -> dict[str, Any]:
    """The country profile object of the API."""
    return {
        "code": profile.code,
        "name": country_name(profile.code),
        "time_zone": profile.time_zone,
        "working_days": list(profile.working_days),
        "clearance_days": dict(profile.clearance_days),
        "documents": list(profile.documents or []),
        "notes": profile.notes or "",
        "notes_html": render_markdown(profile.notes or ""),
        "source": profile.source or "",
        "subdivisions": list(supported_subdivisions(profile.code)),
        "revision": profile.revision,
        "updated_by": None if profile.updated_by is None else {"id": profile.updated_by.id, "name": profile.updated_by.name},
        "updated_at": to_iso(profile.updated_at),
        "revisions": [r.to_dict() for r in revisions(profile)],
    }


def check_profile_update(user: User, code: str, body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Admins only (403 before anything else), a country code (404), valid fields (422)."""
    require_admin(user)
    code = check_country(code)
    creating = profile_for(code) is None
    return code, check_profile_fields(body, creating)


def do_update_profile(user: User, code: str, values: Mapping[str, Any]) -> CountryProfile:
    """Save the profile with the given fields changed, as a new revision, and recompute the
    clocks of the country's shipments not yet released; one transaction."""
    profile = db.session.get(CountryProfile, code)
    if profile is None:
        base = seed_profiles().get(code) or {
            "working_days": default_working_days(code), "documents": [], "notes": "", "source": "",
            # The country's first zone in the tz database (its capital's, mostly) until an admin sets the port's.
            "time_zone": (pytz.country_timezones.get(code) or ["UTC"])[0], "clearance_days": {},
        }
        profile = CountryProfile(code=code, revision=0, **base)
        db.session.add(profile)
    before = profile.snapshot()
    for name in PROFILE_FIELDS:
        if name in values:
            setattr(profile, name, values[name])
    if "clearance_days" in values:
        # Per mode: the modes given change, the others keep their days.
        merged = dict(before["clearance_days"]) | values["clearance_days"]
        profile.clearance_days = {mode: merged[mode] for mode in TRANSPORT_MODES if mode in merged}
    changed = [name for name in PROFILE_FIELDS if profile.snapshot()[name] != before[name]]
    if changed or profile.revision == 0:
        profile.revision += 1
        profile.updated_by = user
        profile.updated_at = utcnow()
        db.session.flush()
        db.session.add(CountryProfileRevision(
            country_code=code, revision=profile.revision, snapshot=profile.snapshot(),
            changed_fields=changed, changed_by=user, changed_at=profile.updated_at,
        ))
        record_audit(user, "country_profile.update", "country_profile", None,
                     {"country": code, "revision": profile.revision, "changed": changed})
        db.session.flush()
        remember_profile(profile)
        refresh_open_clocks(code)
    db.session.commit()
    return profile
