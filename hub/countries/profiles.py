"""Country profiles: the seed file, the saved profiles that replace it, and the checks of a
profile's fields (the same for the seed file, the admin page and the API)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import g, has_app_context
from sqlalchemy import select

from hub.business_days import BusinessCalendar, check_working_days, default_working_days
from hub.countries.models import CountryProfile
from hub.documents.rules import CountryRule, RulesFileError, parse_country_rules
from hub.errors import N_, Text, ValidationFailed, reason
from hub.extensions import db
from hub.payload import Parser, check_fields, text
from hub.reference_data import country_code, time_zone
from hub.shipments.models import TRANSPORT_MODES

SEED_FILE = Path(__file__).resolve().parent / "seed.yaml"
#: The seed profiles' reasons for their extra documents (seed.yaml's `why`), marked for the
#: catalogue: the checklist says them in the reader's language (a test keeps the two in step).
SEED_REASONS = (
    N_("GACC admits meat, fish and dairy only with the exporting country's official health certificate."),
    N_("GACC requires a phytosanitary certificate for fruit, vegetables, cereals and seeds."),
    N_("Electrical and electronic goods on the CCC catalogue need China Compulsory Certification."),
    N_("Preferential duty under RCEP and ASEAN-China needs a certificate of origin (Form RCEP / Form E)."),
    N_("USMCA preferential duty needs a certification of origin."),
    N_("USDA APHIS requires a phytosanitary certificate for plants, fruit and vegetables."),
    N_("Firearms and ammunition need an ATF import permit (Form 6)."),
    N_("EU plant health rules (Regulation (EU) 2016/2031) require a phytosanitary certificate for live plants, fresh fruit, vegetables, cereals and seeds."),
    N_("Products of animal origin enter the EU only with an official health certificate, checked at a border control post."),
    N_("Preferential duty under the EU's trade agreements (Korea, Japan, Viet Nam, the UK) needs proof of origin."),
    N_("Firearms and ammunition need an import permit under the German Weapons Act."),
    N_("Preferential duty under the UK-EU Trade and Cooperation Agreement needs a statement or proof of origin."),
    N_("Regulated plants and plant products need a phytosanitary certificate for import into Great Britain."),
    N_("Medicines and medical products need a non-automatic import licence (LI) with ANVISA consent."),
    N_("Mercosur preferential duty needs a certificate of origin."),
    N_("Saudi customs requires a certificate of origin for every commercial shipment."),
    N_("Regulated products need a SABER shipment certificate of conformity."),
    N_("Australian biosecurity (BICON) requires a phytosanitary certificate for plant products."),
    N_("Animal products need a biosecurity import permit from the Department of Agriculture."),
)

NOTES_MAX_CHARS = 20_000
MAX_CLEARANCE_DAYS = 90


class SeedFileError(ValueError):
    """The seed file does not follow its documented format."""


def check_clearance_days(value: Any) -> dict[str, int]:
    """`{mode: business days}` for some of the transport modes, each 0 to 90."""
    if not isinstance(value, dict):
        raise ValueError(N_("must be an object of transport mode to business days"))
    unknown = sorted(set(value) - set(TRANSPORT_MODES))
    if unknown:
        raise ValueError(Text(N_("unknown transport modes %(modes)s; modes are %(choices)s"), modes=str(unknown),
                              choices=", ".join(TRANSPORT_MODES)))
    for mode, days in value.items():
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_CLEARANCE_DAYS:
            raise ValueError(Text(N_("%(mode)s: must be a whole number of business days from 0 to %(maximum)s"),
                                  mode=mode, maximum=MAX_CLEARANCE_DAYS))
    return {mode: value[mode] for mode in TRANSPORT_MODES if mode in value}


def check_documents(value: Any) -> list[dict[str, Any]]:
    """Extra required documents, in the rules format (`[{doc_type, why, when?}]`)."""
    try:
        parse_country_rules(value, "documents")
    except RulesFileError as exc:
        raise ValueError(reason(exc)) from None
    return [dict(entry) for entry in value]


PROFILE_PARSERS: dict[str, Parser] = {
    "time_zone": time_zone,
    "working_days": check_working_days,
    "clearance_days": check_clearance_days,
    "documents": check_documents,
    "notes": text(NOTES_MAX_CHARS, multiline=True),
    "source": text(1000),
}


def check_profile_fields(body: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """Parse profile fields (422 with `fields`); a new profile needs its clearance days for
    every mode."""
    values = check_fields(body, PROFILE_PARSERS, {"clearance_days"} if creating else frozenset())
    if creating and set(values["clearance_days"]) != set(TRANSPORT_MODES):
        raise ValidationFailed(
            N_("Some fields are invalid."),
            fields={"clearance_days": Text(N_("a new profile needs every mode: %(modes)s"), modes=", ".join(TRANSPORT_MODES))},
        )
    return values


@cache
def seed_profiles() -> dict[str, dict[str, Any]]:
    """The seed file's profiles by country code (read and checked once per process)."""
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8")) or {}
    profiles: dict[str, dict[str, Any]] = {}
    for code, entry in data.items():
        try:
            country_code(code)
            body = dict(entry)
            body.setdefault("working_days", default_working_days(code))
            values = check_profile_fields(body, creating=True)
        except (ValueError, TypeError) as exc:
            raise SeedFileError(f"{SEED_FILE.name}: {code}: {exc}") from None
        except ValidationFailed as exc:
            raise SeedFileError(f"{SEED_FILE.name}: {code}: {exc.fields}") from None
        # The file wraps its notes' lines; Markdown here keeps single line breaks, so unwrap them.
        values["notes"] = re.sub(r"(?<!\n)\n(?!\n)", " ", values.get("notes", "")).strip()
        profiles[code] = {"documents": [], "notes": "", "source": ""} | values
    return profiles


def _request_cache() -> dict[str, CountryProfile | None]:
    # Profiles looked up during one request (a list page asks for each row's destination):
    # one query per request, not one per row.
    if not has_app_context():
        return {}
    return g.setdefault("hub_country_profiles", {})


def _seeded(code: str) -> CountryProfile | None:
    seeded = seed_profiles().get(code)
    if seeded is None:
        return None
    return CountryProfile(code=code, revision=0, updated_by=None, updated_at=None, **seeded)


def profile_for(code: str | None) -> CountryProfile | None:
    """The country's profile: the saved one, else the seed file's (unsaved, revision 0)."""
    if not code:
        return None
    cache = _request_cache()
    if code not in cache:
        cache[code] = db.session.get(CountryProfile, code) or _seeded(code)
    return cache[code]


def preload_profiles(codes: Iterable[str]) -> None:
    """Look up the profiles of these countries in one query (for lists)."""
    cache = _request_cache()
    wanted = {code for code in codes if code and code not in cache}
    if not wanted:
        return
    saved = {p.code: p for p in db.session.scalars(select(CountryProfile).where(CountryProfile.code.in_(wanted)))}
    for code in wanted:
        cache[code] = saved.get(code) or _seeded(code)


def remember_profile(profile: CountryProfile) -> None:
    """The profile just saved is the one later lookups of this request answer."""
    _request_cache()[profile.code] = profile


def document_rules_for(code: str) -> tuple[CountryRule, ...]:
    """The extra required documents of the destination's profile (none without a profile)."""
    profile = profile_for(code)
    if profile is None:
        return ()
    return parse_country_rules(profile.documents or [], f"{code}.documents")


def calendar_of(profile: CountryProfile, subdivision: str | None = None) -> BusinessCalendar:
    """The business days of the profile's country, with the subdivision's holidays if known."""
    return _calendar(profile.code, tuple(profile.working_days), subdivision)


@lru_cache(maxsize=1024)
def _calendar(code: str, working_days: tuple[str, ...], subdivision: str | None) -> BusinessCalendar:
    # A list page asks for each row's calendar; the same few come back (a calendar is immutable).
    return BusinessCalendar.of(code, working_days, subdivision)


def known_codes() -> list[str]:
    """Codes of every profile, seeded or saved, sorted."""
    saved = set(db.session.scalars(select(CountryProfile.code)))
    return sorted(saved | set(seed_profiles()))
