"""Required-document rules: the data file `rules.yaml` (every shipment, per transport mode), the
destination's extras from its country profile, and admins' overrides in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from hub.documents.catalogue import DOC_TYPE_CODES
from hub.documents.models import DocumentRuleOverride
from hub.errors import N_
from hub.extensions import db
from hub.shipments.models import TRANSPORT_MODES, Shipment

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"
_CONDITIONS = ("hs_chapters", "origins", "modes")


class RulesFileError(ValueError):
    """The rules file does not follow the documented format."""


@dataclass(frozen=True)
class CountryRule:
    """One extra document a destination country requires, maybe only under conditions."""

    doc_type: str
    why: str = ""
    hs_chapters: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()

    def applies_to(self, shipment: Shipment) -> bool:
        """Whether every condition given matches the shipment."""
        if self.hs_chapters and not _chapters(shipment) & set(self.hs_chapters):
            return False
        if self.origins and shipment.origin_country not in self.origins:
            return False
        return not (self.modes and shipment.transport_mode not in self.modes)


@dataclass(frozen=True)
class Rules:
    """The parsed rules file."""

    base: tuple[str, ...]
    transport: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Requirement:
    """One required document type for a shipment and where the requirement comes from."""

    doc_type: str
    why: str


def _chapters(shipment: Shipment) -> set[str]:
    return {code.replace(".", "")[:2] for code in (shipment.hs_codes or []) if len(code) >= 2}


def _types(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesFileError(f"{where}: expected a list of document types")
    unknown = [v for v in value if v not in DOC_TYPE_CODES]
    if unknown:
        raise RulesFileError(f"{where}: unknown document types {unknown}")
    return tuple(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesFileError(f"{where}: expected a list of strings")
    return tuple(value)


def parse_country_rules(entries: Any, where: str) -> tuple[CountryRule, ...]:
    """Check and parse one country's extra-document rules (`[{doc_type, why, when?}]`, the
    format of a country profile's `documents`); raises RulesFileError naming the faulty entry."""
    if not isinstance(entries, list):
        raise RulesFileError(f"{where}: expected a list of rules")
    rules = []
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"doc_type", "why", "when"}:
            raise RulesFileError(f"{at}: expected doc_type, why and an optional when")
        doc_type = entry.get("doc_type")
        if not isinstance(doc_type, str):
            raise RulesFileError(f"{at}: doc_type is required")
        _types([doc_type], at)
        when = entry.get("when") or {}
        if not isinstance(when, dict) or set(when) - set(_CONDITIONS):
            raise RulesFileError(f"{at}.when: conditions are {', '.join(_CONDITIONS)}")
        conditions = {name: _strings(when[name], f"{at}.when.{name}") for name in when}
        rules.append(CountryRule(doc_type=doc_type, why=str(entry.get("why") or ""), **conditions))
    return tuple(rules)


def parse_rules(data: Any) -> Rules:
    """Check and parse the rules data; raises RulesFileError naming the faulty entry."""
    if not isinstance(data, dict):
        raise RulesFileError("the rules file must be a mapping with base and transport")
    if set(data) - {"base", "transport"}:
        # Countries' extra documents are part of their country profiles (hub/countries/seed.yaml).
        raise RulesFileError(f"unknown keys {sorted(set(data) - {'base', 'transport'})}: country rules live in the country profiles")
    base = _types(data.get("base", []), "base")
    transport_data = data.get("transport") or {}
    if not isinstance(transport_data, dict) or set(transport_data) - set(TRANSPORT_MODES):
        raise RulesFileError(f"transport: expected a mapping of the modes {TRANSPORT_MODES}")
    transport = {mode: _types(types, f"transport.{mode}") for mode, types in transport_data.items()}
    return Rules(base=base, transport=transport)


@cache
def file_rules() -> Rules:
    """The rules of the data file in the repository (read once per process)."""
    return parse_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class CountryRulesSource:
    """Where a destination's extra documents come from: its country profile (registered by the
    countries area, which keeps them; the checklist only reads them)."""

    rules_for: Callable[[str], tuple[CountryRule, ...]]
    countries: Callable[[], list[str]]


_country_rules: list[CountryRulesSource] = []


def register_country_rules(source: CountryRulesSource) -> None:
    """Read each destination's extra documents from `source` (the last registered wins)."""
    _country_rules[:] = [source]


def country_rules(country: str) -> tuple[CountryRule, ...]:
    """The destination's extra document rules (none before a source is registered)."""
    return _country_rules[0].rules_for(country) if _country_rules else ()


def countries_document_rules() -> dict[str, tuple[CountryRule, ...]]:
    """{country: its extra document rules} of every country that has some."""
    if not _country_rules:
        return {}
    found = {code: country_rules(code) for code in _country_rules[0].countries()}
    return {code: rules for code, rules in found.items() if rules}


def overrides_for(shipment: Shipment) -> Sequence[DocumentRuleOverride]:
    """The overrides of the shipment owner's admins, oldest first."""
    return db.session.scalars(
        select(DocumentRuleOverride)
        .where(DocumentRuleOverride.organization_id == shipment.owner_org_id)
        .order_by(DocumentRuleOverride.id)
    ).all()


def override_applies(override: DocumentRuleOverride, shipment: Shipment) -> bool:
    """Whether every condition the override sets matches the shipment."""
    if override.destination_country and override.destination_country != shipment.destination_country:
        return False
    if override.transport_mode and override.transport_mode != shipment.transport_mode:
        return False
    return not (override.hs_chapter and override.hs_chapter not in _chapters(shipment))


#: Why the transport document is required, per mode (marked for the checklist's translations).
_TRANSPORT_WHY = {
    "sea": N_("Transport document for sea."), "air": N_("Transport document for air."),
    "road": N_("Transport document for road."), "rail": N_("Transport document for rail."),
    "courier": N_("Transport document for courier."),
}


def required_documents(shipment: Shipment, rules: Rules | None = None) -> list[Requirement]:
    """The document types the shipment needs, in checklist order, each once: the base set, the
    transport document, the destination's extras (from its country profile), then the admins'
    overrides applied."""
    rules = rules or file_rules()
    found: dict[str, Requirement] = {}

    def add(types: Iterable[str], why: str) -> None:
        for doc_type in types:
            found.setdefault(doc_type, Requirement(doc_type, why))

    add(rules.base, N_("Needed for every shipment."))
    mode = shipment.transport_mode
    add(rules.transport.get(mode, ()), _TRANSPORT_WHY.get(mode) or f"Transport document for {mode}.")
    for rule in country_rules(shipment.destination_country):
        if rule.applies_to(shipment):
            add([rule.doc_type], rule.why)
    for override in overrides_for(shipment):
        if not override_applies(override, shipment):
            continue
        if override.effect == "require":
            add([override.doc_type], override.note or N_("Required by your organization's rules."))
        else:
            found.pop(override.doc_type, None)
    return list(found.values())
