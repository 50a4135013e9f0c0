"""Locale and time zone of the viewer (pages) or the recipient (emails), and THE time formatter.

Every time the hub shows (pages, emails, the JavaScript through `/i18n/<locale>.js`) goes
through `format_time`: the viewer's IANA zone, one pattern per locale, and the zone named by
its city ("Chicago time"), never by an abbreviation: "CST" is both Chicago and Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime, get_month_names, get_timezone_location
from flask import g, has_request_context, request
from flask_babel import get_locale, gettext
from flask_login import current_user

from hub.errors import N_, translate
from hub.timestamps import to_iso

SUPPORTED_LOCALES = ("en", "es", "zh_Hans")
# Each language named in itself, as a language menu shows it.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "zh_Hans": "简体中文"}
# One date-and-time and one date pattern per locale (CLDR pattern letters, as Babel reads them
# and as hub/static/i18n.js applies them).
TIME_PATTERNS = {"en": "d MMM yyyy, HH:mm", "es": "d MMM yyyy, H:mm", "zh_Hans": "yyyy年M月d日 HH:mm"}
DATE_PATTERNS = {"en": "d MMM yyyy", "es": "d MMM yyyy", "zh_Hans": "yyyy年M月d日"}


def compile_catalogues(directory: Path) -> None:
    """Build each locale's .mo from its .po when missing or older (bootstrap.sh builds them
    too; this keeps a bare `flask run` from a fresh clone in its language). A read-only tree
    keeps what it has."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for source in directory.glob("*/LC_MESSAGES/messages.po"):
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        try:
            with source.open("rb") as handle:
                catalogue = read_po(handle, locale=source.parent.parent.name)
            with target.open("wb") as handle:
                write_mo(handle, catalogue)
        except OSError:
            continue


def _forced_or_users(name: str) -> str | None:
    """`g.hub_<name>` when set (an email renders in its recipient's), else the signed-in user's."""
    forced = g.get(f"hub_{name}")
    if forced:
        return forced
    if current_user and current_user.is_authenticated:
        return getattr(current_user, name)
    return None


def browser_locale() -> str:
    """The supported locale the browser asks for first (Accept-Language), else English."""
    if has_request_context():
        best = request.accept_languages.best_match(["en", "es", "zh", "zh-CN", "zh-Hans", "zh-SG"])
        if best:
            return "zh_Hans" if best.startswith("zh") else best
    return "en"


def select_locale() -> str:
    """An explicit override (email rendering), the user's locale, or the browser's."""
    chosen = _forced_or_users("locale")
    return chosen if chosen in SUPPORTED_LOCALES else browser_locale()


def select_time_zone() -> str:
    """The recipient's or viewer's IANA time zone."""
    chosen = _forced_or_users("time_zone")
    return chosen if chosen is not None else "UTC"


def current_locale() -> str:
    """The locale pages and emails are rendering in now ("en", "es" or "zh_Hans")."""
    try:
        locale = get_locale()
    except RuntimeError:  # outside any app context
        locale = None
    if locale is None:
        return "en"
    name = "zh_Hans" if locale.language == "zh" else locale.language
    return name if name in SUPPORTED_LOCALES else "en"


def _babel_locale(locale: str | None) -> Locale:
    return _parsed_locale(locale or current_locale())


@lru_cache(maxsize=16)
def _parsed_locale(name: str) -> Locale:
    # Parsing is not cached by Babel, and a list page formats a few hundred values.
    return Locale.parse(name)


def _zone(time_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or select_time_zone())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_label(time_zone: str | None, locale: str | None = None) -> str:
    """A zone as people read it: "Chicago time" / "hora de Chicago" / "芝加哥时间"; UTC stays
    UTC. Always the city: abbreviations repeat ("CST" is Chicago and Shanghai, 14 hours apart)."""
    name = time_zone or "UTC"
    if name in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):
        return "UTC"
    try:
        # CLDR has no city for some three-part ids ("Argentina/Buenos Aires"): its last part.
        city = get_timezone_location(name, locale=_babel_locale(locale), return_city=True).rsplit("/", 1)[-1]
    except (LookupError, ValueError):
        city = name.rsplit("/", 1)[-1].replace("_", " ")
    return gettext("%(city)s time", city=city)


def format_time(value: datetime | str | None, time_zone: str | None = None, locale: str | None = None,
                with_zone: bool = True) -> str:
    """THE formatter of a moment: in `time_zone` (default: the viewer's or recipient's), in
    the locale's one pattern, followed by the zone's city ("4 Dec 2026, 17:16 Chicago time").
    An ISO 8601 string (as stored in JSON) is read first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = _zone(time_zone)
    chosen = locale or current_locale()
    text = format_datetime(value.astimezone(zone), TIME_PATTERNS.get(chosen, TIME_PATTERNS["en"]),
                           tzinfo=zone, locale=_babel_locale(chosen))
    return f"{text} {zone_label(zone.key, chosen)}" if with_zone else text


def format_date(value: date | datetime | str | None, time_zone: str | None = None, locale: str | None = None) -> str:
    """A calendar day in the locale's one date pattern (a moment: its day in the viewer's zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(_zone(time_zone)).date()
    return _formatted_day(value, locale or current_locale())


@lru_cache(maxsize=4096)
def _formatted_day(day: date, locale: str) -> str:
    # A list page shows two days a row, most of them the same few weeks: each is formatted once.
    return babel_format_date(day, DATE_PATTERNS.get(locale, DATE_PATTERNS["en"]), locale=_babel_locale(locale))


def local_time(value: datetime | None, time_zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in `time_zone`: kept for callers that name a strftime format; the
    format is ignored, every time reads the one way `format_time` writes it."""
    return format_time(value, time_zone)


def country_name(code: str | None, locale: str | None = None) -> str:
    """A country's name in the locale (CLDR's, through Babel); the code itself if unknown."""
    if not code:
        return ""
    return _babel_locale(locale).territories.get(code.upper(), code)


def country_choices(codes: list[str]) -> list[tuple[str, str]]:
    """(code, name in the current locale) of `codes`, by name: for form selects."""
    return sorted(((code, country_name(code)) for code in codes), key=lambda pair: pair[1])


def js_catalogue(locale: str) -> dict[str, Any]:
    """What the JavaScript formats with: the locale's patterns, month names, the labels of the
    codes and the sentences of message facts (`%(name)s` written `{name}`)."""
    babel_locale = _babel_locale(locale)
    return {
        "locale": locale,
        "timePattern": TIME_PATTERNS[locale],
        "datePattern": DATE_PATTERNS[locale],
        "months": [get_month_names("abbreviated", locale=babel_locale)[i] for i in range(1, 13)],
        "zoneTime": gettext("%(city)s time", city="{city}"),
        "milestones": {code: gettext(text) for code, text in _MILESTONE_LABELS.items()},
        "docTypes": {code: gettext(text) for code, text in _DOC_TYPE_LABELS.items()},
        "roles": {code: gettext(text) for code, text in _ROLE_LABELS.items()},
        "facts": {key: _braced(text) for key, text in _FACTS.items()},
        # Risk rules' labels and severities, by their English words (a risk message's facts name them).
        "riskWords": {text: gettext(text) for text in (*_RISK_LABELS, *_SEVERITIES)},
    }


# --- message facts: what milestone and document messages say, in each reader's words --------

_FACTS = {
    "milestone": N_("%(milestone)s at %(time)s"),
    "location": N_("%(text)s, %(location)s"),
    "note": N_("%(text)s: %(note)s"),
    "uploaded": N_("Uploaded %(document)s: %(file)s"),
    "new_version": N_("Uploaded version %(version)s of %(document)s: %(file)s"),
    "withdrawn": N_("Withdrew %(document)s: %(file)s"),
    "requested": N_("Requested %(document)s"),
    "due": N_("%(text)s, due %(date)s"),
    "accepted": N_("Accepted %(document)s: %(file)s (version %(version)s)"),
    "rejected": N_("Rejected %(document)s: %(file)s (version %(version)s)"),
    "with_note": N_("%(text)s (%(note)s)"),
    # Risk flags (hub/risks/services.py): opened, resolved, and a message turned into a fact.
    "risk_opened": N_("Risk opened (%(severity)s): %(rule)s"),
    "risk_owner": N_("%(text)s. Owner: %(name)s"),
    "risk_raised_by": N_("%(text)s. Raised by %(name)s"),
    "risk_resolved_by": N_("Risk resolved: %(rule)s (by %(name)s)"),
    "risk_resolved_auto": N_("Risk resolved: %(rule)s (automatically, its cause has gone)"),
    "turned_risk": N_("%(name)s turned message #%(seq)s into a risk flag"),
    "turned_milestone": N_("%(name)s turned message #%(seq)s into the milestone %(milestone)s"),
    # What an automatic risk rule found (the flag's detail).
    "since": N_("%(milestone)s since %(time)s"),
    "at_place": N_("%(text)s at %(location)s"),
    "docs_due": N_("Due %(date)s: %(documents)s"),
    "doc_missing": N_("%(document)s (missing)"),
    "doc_rejected": N_("%(document)s (rejected)"),
    "overdue_one": N_("Expected release %(date)s: 1 business day overdue"),
    "overdue": N_("Expected release %(date)s: %(days)s business days overdue"),
    "bounced": N_("No email reaches %(emails)s (bounced or reported as spam)"),
    "no_agent": N_("Arrived, and no customs agent or broker is on the shipment"),
    # An invitee accepted (hub/threads/services.py).
    "joined": N_("%(name)s (%(organization)s) accepted the invitation and joined as %(role)s"),
}
_FACT_FIELDS = ("milestone", "time", "text", "location", "note", "document", "file", "version", "date",
                "severity", "rule", "name", "seq", "documents", "days", "emails", "organization", "role")


def _braced(msgid: str) -> str:
    """The translation of `msgid` with its `%(name)s` holes written `{name}` for the JavaScript."""
    return gettext(msgid, **{name: "{" + name + "}" for name in _FACT_FIELDS})


def _fact(key: str, **values: Any) -> str:
    """One fact sentence, translated (the key is no msgid: the catalogue holds _FACTS' texts)."""
    return gettext(_FACTS[key], **values)


def facts_text(facts: dict[str, Any] | None, time_zone: str | None = None, locale: str | None = None) -> str:
    """A milestone, document, risk or joining message said from its facts, in the current (or
    given) locale and the reader's zone: "Arrived at 20 Nov 2026, 16:00 Shanghai time, Yantian". Unknown
    facts answer "" (the caller shows the stored text)."""
    if not facts:
        return ""
    kind, action = facts.get("kind"), facts.get("action")
    if kind == "milestone":
        return _milestone_fact("milestone", "location", facts, time_zone, locale)
    if kind == "risk":
        return _risk_text(facts, time_zone, locale)
    if kind == "participant" and action == "joined":
        return _fact("joined", name=facts.get("name") or "", organization=facts.get("organization") or "",
                     role=role_label(facts.get("role")))
    if kind != "document" or action not in _FACTS:
        return ""
    values = {"document": doc_type_label(facts.get("doc_type", "")), "file": facts.get("file_name") or "",
              "version": facts.get("version") or ""}
    text = _fact(action, **values)
    if action == "requested" and facts.get("due_date"):
        text = _fact("due", text=text, date=format_date(facts["due_date"], time_zone, locale))
    if action in ("uploaded", "new_version", "requested") and facts.get("note"):
        text = _fact("with_note", text=text, note=facts["note"])
    if action == "rejected" and facts.get("reason"):
        text = _fact("note", text=text, note=facts["reason"])
    return text


def _milestone_fact(said: str, place: str, facts: dict[str, Any], time_zone: str | None,
                    locale: str | None) -> str:
    """A milestone's label and time said by the pattern `said`, then its location (`place`)
    and note when it has them."""
    text = _fact(said, milestone=milestone_label(facts.get("code", "")),
                 time=format_time(facts.get("time"), time_zone, locale))
    if facts.get("location"):
        text = _fact(place, text=text, location=facts["location"])
    return _fact("note", text=text, note=facts["note"]) if facts.get("note") else text


def _risk_detail(facts: dict[str, Any] | None, time_zone: str | None, locale: str | None) -> str:
    """What an automatic rule found, from its facts ("" when there are none: the stored detail)."""
    what = (facts or {}).get("what")
    if what == "standing":
        return _milestone_fact("since", "at_place", facts, time_zone, locale)
    if what == "documents":
        documents = ", ".join(_fact("doc_rejected" if state == "rejected" else "doc_missing",
                                    document=doc_type_label(doc_type)) for doc_type, state in facts.get("documents", ()))
        return _fact("docs_due", date=format_date(facts.get("date"), time_zone, locale), documents=documents)
    if what == "overdue":
        date_text = format_date(facts.get("date"), time_zone, locale)
        if facts.get("days") == 1:
            return _fact("overdue_one", date=date_text)
        return _fact("overdue", date=date_text, days=facts.get("days"))
    if what == "bounced":
        return _fact("bounced", emails=facts.get("emails", ""))
    if what == "no_agent":
        return _fact("no_agent")
    return ""


def _risk_text(facts: dict[str, Any], time_zone: str | None = None, locale: str | None = None) -> str:
    """A risk flag's thread message from its facts ("Risk opened (high): Clearance overdue...")."""
    action, rule = facts.get("action"), translate(facts.get("label") or facts.get("rule"))
    if action == "opened":
        text = _fact("risk_opened", severity=translate(facts.get("severity")), rule=rule)
        detail = _risk_detail(facts.get("detail_facts"), time_zone, locale) or facts.get("detail")
        if detail:
            text = _fact("note", text=text, note=detail)
        if facts.get("owner"):
            text = _fact("risk_owner", text=text, name=facts["owner"])
        if facts.get("actor"):
            text = _fact("risk_raised_by", text=text, name=facts["actor"])
        return text
    if action == "resolved":
        text = (_fact("risk_resolved_by", rule=rule, name=facts["actor"]) if facts.get("actor")
                else _fact("risk_resolved_auto", rule=rule))
        if facts.get("note"):
            text = _fact("note", text=text, note=facts["note"])
        return text
    if action == "turned" and facts.get("into") == "risk":
        return _fact("turned_risk", name=facts.get("actor") or "", seq=facts.get("seq") or "")
    if action == "turned" and facts.get("into") == "milestone":
        return _fact("turned_milestone", name=facts.get("actor") or "", seq=facts.get("seq") or "",
                     milestone=milestone_label(facts.get("code") or ""))
    return ""


def iso(value: datetime | None) -> str | None:
    """Template helper: the ISO 8601 Z form."""
    return to_iso(value)


# --- labels of the hub's codes, marked for the catalogue and translated where shown ---------

_MILESTONE_LABELS = {
    "new": N_("New"), "booked": N_("Booked"), "documents_requested": N_("Documents requested"),
    "documents_complete": N_("Documents complete"), "declaration_filed": N_("Declaration filed"),
    "departed": N_("Departed"), "arrived": N_("Arrived"), "under_inspection": N_("Under inspection"),
    "on_hold": N_("On hold"), "duties_assessed": N_("Duties assessed"), "duties_paid": N_("Duties paid"),
    "released": N_("Released"), "delivered": N_("Delivered"),
}
_DOC_TYPE_LABELS = {
    "commercial_invoice": N_("Commercial invoice"), "packing_list": N_("Packing list"),
    "sales_contract": N_("Sales contract"), "certificate_of_origin": N_("Certificate of origin"),
    "bill_of_lading": N_("Bill of lading"), "air_waybill": N_("Air waybill"), "cmr": N_("CMR road consignment note"),
    "rail_waybill": N_("Rail waybill"), "import_licence": N_("Import licence"), "export_licence": N_("Export licence"),
    "phytosanitary_certificate": N_("Phytosanitary certificate"), "health_certificate": N_("Health certificate"),
    "conformity_certificate": N_("Certificate of conformity"), "insurance_certificate": N_("Insurance certificate"),
    "customs_declaration": N_("Customs declaration"), "duty_receipt": N_("Duty receipt"),
    "release_note": N_("Release note"), "other": N_("Other document"),
}
_ROLE_LABELS = {
    "coordinator": N_("Coordinator"), "agent": N_("Customs agent"), "broker": N_("Customs broker"),
    "forwarder": N_("Forwarder"), "observer": N_("Observer"), "admin": N_("Admin"), "partner": N_("Partner"),
}
_KIND_LABELS = {
    "shipper": N_("Shipper"), "customs_agent": N_("Customs agent"), "broker": N_("Customs broker"),
    "forwarder": N_("Forwarder"), "carrier": N_("Carrier"),
}
_MODE_LABELS = {"sea": N_("Sea"), "air": N_("Air"), "road": N_("Road"), "rail": N_("Rail"), "courier": N_("Courier")}
# Notification levels as people read them (the codes stay in the API).
_LEVEL_WORDS = {"all": N_("Everything"), "milestones": N_("Milestones, mentions and documents"), "mute": N_("Nothing")}
_LEVEL_HINTS = {
    "all": N_("milestones, mentions, document requests and reviews, and a digest of the messages you missed"),
    "milestones": N_("the same without the digest of messages"),
    "mute": N_("no email about your shipments"),
}
# The dev mailbox's email kinds, outbox statuses and delivery statuses (SendGrid's events).
_EMAIL_WORDS = {
    "milestone": N_("Milestone"), "mention": N_("Mention"), "document_requested": N_("Document requested"),
    "document_uploaded": N_("Document uploaded"), "document_reviewed": N_("Document reviewed"),
    "digest": N_("Digest"), "invitation": N_("Invitation"), "shipment_invitation": N_("Shipment invitation"),
    "password_reset": N_("Password reset"), "inbound_refused": N_("Reply refused"),
    "risk_opened": N_("Risk opened"), "risk_resolved": N_("Risk resolved"),
    "pending": N_("Pending"), "sent": N_("Sent"), "failed": N_("Failed"), "suppressed": N_("Suppressed"),
    "processed": N_("Processed"), "delivered": N_("Delivered"), "deferred": N_("Deferred"),
    "bounce": N_("Bounced"), "dropped": N_("Dropped"), "spamreport": N_("Reported as spam"),
    "open": N_("Opened"), "click": N_("Clicked"), "blocked": N_("Blocked"),
}
_WEEKDAYS = {"mon": N_("Mon"), "tue": N_("Tue"), "wed": N_("Wed"), "thu": N_("Thu"), "fri": N_("Fri"),
             "sat": N_("Sat"), "sun": N_("Sun")}
_OTHER = (
    # Written by other areas and translated where shown.
    N_("Bill of lading"), N_("Air waybill"), N_("CMR consignment note"), N_("Rail waybill"),
    N_("Admin"), N_("Inbound email"), N_("Notifications"), N_("Mailbox"), N_("Email suppressions"),
    N_("Countries"), N_("Document rules"), N_("Overdue"), N_("Arriving this week"),
    N_("require"), N_("waive"), N_("required"),
    # The list's filters (registered by each area).
    N_("Needs me"), N_("Waiting on me"),
    N_("Waiting on partners"), N_("No response from a partner"),
)


# Risk flags' rule labels (hub/risks/rules.py) and severities, translated where shown.
_RISK_LABELS = (
    N_("On hold"), N_("Under inspection"), N_("Documents missing before arrival"), N_("Clearance overdue"),
    N_("Partner's email bounced"), N_("No agent or broker"), N_("Policy or tariff change"),
    N_("Reported in the thread"),
)
_SEVERITIES = (N_("high"), N_("medium"), N_("low"))


def _label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return gettext(table[code]) if code in table else code


def milestone_label(code: str) -> str:
    """A status or milestone code's label in the current locale."""
    return _label(_MILESTONE_LABELS, code)


def doc_type_label(code: str) -> str:
    """A document type's label in the current locale."""
    return _label(_DOC_TYPE_LABELS, code)


def role_label(code: str) -> str:
    """A participant or user role in the current locale."""
    return _label(_ROLE_LABELS, code)


def kind_label(code: str) -> str:
    """An organization kind in the current locale."""
    return _label(_KIND_LABELS, code)


def mode_label(code: str) -> str:
    """A transport mode in the current locale."""
    return _label(_MODE_LABELS, code)


def level_word(code: str) -> str:
    """A notification level as a word ("Everything", "Nothing")."""
    return _label(_LEVEL_WORDS, code)


def level_hint(code: str) -> str:
    """What a notification level sends."""
    return _label(_LEVEL_HINTS, code)


def weekday_names(codes: list[str] | tuple[str, ...] | None) -> list[str]:
    """Weekday codes ("mon") as short names in the current locale."""
    return [_label(_WEEKDAYS, code) for code in codes or ()]


def email_label(code: str | None) -> str:
    """An outbox email's kind or (delivery) status code as a word in the current locale."""
    return _label(_EMAIL_WORDS, code)


def holiday_label(country: str, subdivision: str | None, day: date | str, name: str) -> str:
    """A public holiday's name in the current locale when the `holidays` package knows it in
    that language; else `name` (the country's own)."""
    from hub.business_days import holiday_name_in

    if isinstance(day, str):
        day = date.fromisoformat(day)
    return holiday_name_in(country, subdivision, day, current_locale()) or name


def language_name(code: str) -> str:
    """A supported language named in itself."""
    return LANGUAGE_NAMES.get(code, code)


def format_money(amount: Any, currency: str | None) -> str:
    """An amount with its currency, in the current locale's digits and separators."""
    from babel.numbers import format_currency, format_decimal

    locale = _babel_locale(None)
    if currency:
        try:
            return format_currency(amount, currency, locale=locale)
        except (ValueError, LookupError):
            pass
    return f"{format_decimal(amount, format='#,##0.00', locale=locale)} {currency or ''}".strip()


def tr(text: Any) -> str:
    """Template helper: a message that is not a literal (a label, a validation error) in the
    current locale, as plain text. Jinja's `_()` marks what it answers safe, so `_(value)`
    would let markup in `value` through; `tr(value)` is escaped like any other value. A `Text`
    (a validation reason with values) is said from its template."""
    return translate(text)


def install_template_helpers(app: Any) -> None:
    """Give templates the labels, the formatter and the JavaScript catalogue's route."""
    for function in (tr, facts_text, email_label, holiday_label, milestone_label, doc_type_label, role_label, kind_label, mode_label, level_word, level_hint,
                     weekday_names, language_name, format_money, zone_label, current_locale, format_date):
        app.add_template_global(function, function.__name__)
    app.add_template_filter(format_time, "format_time")
    app.add_template_filter(format_date, "format_date")
    app.add_template_filter(milestone_label, "status_label")
    app.add_template_filter(mode_label, "mode_label")
    app.add_template_filter(country_name, "country_name")
    app.add_template_global(lambda: current_locale().replace("_", "-"), "html_lang")
    app.add_url_rule("/i18n/<locale>.js", "i18n_catalogue", _catalogue_script)

    @app.before_request
    def _locale_of_this_request() -> None:
        # Flask-Babel keeps the locale it chose in the app context, which requests share when
        # one is already pushed (tests, the CLI): each request chooses again.
        from flask_babel import refresh

        refresh()


def _catalogue_script(locale: str) -> Any:
    """`/i18n/<locale>.js`: the JavaScript's patterns and messages in one locale, as a static
    script (the CSP allows no inline one); cached like any static file."""
    import json

    from flask import abort
    from flask_babel import force_locale

    from hub.i18n_js import JS_MESSAGES

    if locale not in SUPPORTED_LOCALES:
        abort(404)
    with force_locale(locale):
        data = js_catalogue(locale)
        data["messages"] = {message: gettext(message) for message in JS_MESSAGES}
    body = "window.HUB_I18N = " + json.dumps(data, ensure_ascii=False, sort_keys=True) + ";\n"
    from flask import current_app

    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
