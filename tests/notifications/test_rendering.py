"""Every email template in every locale: both parts, absolute links, the recipient's time zone,
translated strings, escaped user input, unsubscribe headers."""

from __future__ import annotations

import re
import uuid
from datetime import date
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hub.extensions import db
from hub.milestones.services import record_milestone
from hub.notifications.outbox import queue_email
from hub.threads.services import send_message

TRANSLATIONS = Path(__file__).resolve().parents[2] / "hub" / "translations"
LOCALES = ("en", "es", "zh_Hans")
EVIL = "<script>alert('x')</script>"
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # rendering: one backend is enough


def _catalogue(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _contexts(world) -> dict[str, dict]:
    """Each template with a context as its sender builds it (user input carries markup)."""
    record_milestone(world.staff, world.shipment.id, {"code": "booked", "occurred_at": "2026-11-18T09:00:00Z"})
    milestone, _ = record_milestone(world.staff, world.shipment.id, {
        "code": "arrived", "occurred_at": "2026-11-20T08:00:00Z", "location": "Yantian <b>Terminal</b>",
        "note": EVIL})
    message, _ = send_message(world.broker, world.shipment.id, f"@li.wei look {EVIL}", str(uuid.uuid4()), "api")
    world.broker.name = "Jonas <Becker>"
    db.session.commit()
    common = {"actor": world.broker}
    return {
        "milestone": {"milestone": milestone, "actor": world.staff},
        "mention": {"message": message, "author": world.broker},
        "digest": {"messages": [message, message]},
        "document_requested": common | {"request_id": 1, "doc_type": "invoice", "doc_label": "Commercial invoice",
                                        "due_date": date(2026, 12, 1), "note": EVIL},
        "document_reviewed": common | {"document_id": 1, "doc_type": "invoice", "doc_label": "Commercial invoice",
                                       "filename": "inv<1>.pdf", "version": 2, "decision": "reject", "reason": EVIL},
        "document_reviewed_accepted": common | {"document_id": 1, "doc_type": "invoice",
                                                "doc_label": "Commercial invoice", "filename": "inv.pdf",
                                                "version": 1, "decision": "accept", "reason": None},
        "document_uploaded": common | {"document_id": 1, "doc_type": "invoice", "doc_label": "Commercial invoice",
                                       "filename": "inv<2>.pdf", "version": 2},
        "invitation": {"inviter": world.broker, "invitee": world.agent, "shipment": world.shipment,
                       "role": "agent", "link": "http://hub.test/invitations/abc"},
        "password_reset": {"user": world.agent, "link": "http://hub.test/password/reset/abc", "hours": 1},
    }


def _render_all(world, locale: str):
    contexts = _contexts(world)
    world.agent.locale = locale
    db.session.commit()
    rows = {}
    for name, context in contexts.items():
        template = name.removesuffix("_accepted")
        shipment_id = None if template == "password_reset" else world.shipment.id
        rows[name] = queue_email(kind=template, to_email=world.agent.email, to_name=world.agent.name,
                                 template=template, context=context, user_id=world.agent.id,
                                 shipment_id=shipment_id, subject="fallback")
    db.session.commit()
    return rows


# Words of page messages ("Coordinator", "e.g. Yantian, Shenzhen") that the test data uses as
# names: "Ana Coordinator" and the "Yantian Terminal" stay as they are in every language.
# "Clear" is in the brand's name, "time" in the HTML's <time> elements and "name" in its <meta>.
TEST_DATA_WORDS = {"Coordinator", "Yantian", "Clear", "time", "name"}


def _untranslated_fragments(locale: str) -> list[str]:
    """English pieces of every catalogue message that its translation does not contain."""
    fragments = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            for piece in re.split(r"%\(\w+\)s|[“”«»:.,()]", english):
                piece = piece.strip()
                if len(piece) >= 4 and not any(piece in s for s in strings) and piece not in TEST_DATA_WORDS:
                    fragments.append(piece)
    return fragments


@SQLITE_ONLY
@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_renders_both_parts_with_absolute_links(app, world, locale):
    rows = _render_all(world, locale)
    for name, row in rows.items():
        assert row.text_body.strip() and row.html_body.strip(), name
        assert "<style" not in row.html_body and 'style="' in row.html_body, f"{name}: CSS inlined"
        hrefs = re.findall(r'href="([^"]+)"', row.html_body)
        assert hrefs and all(h.startswith("http://hub.test/") for h in hrefs), (name, hrefs)
        text_links = re.findall(r"https?://\S+", row.text_body)
        assert text_links and all(link.startswith("http://hub.test/") for link in text_links), name
        if name != "password_reset":
            assert "ACME-001" in row.subject, name
            assert f"http://hub.test/shipments/{world.shipment.id}" in row.text_body, name
            assert row.headers["List-Unsubscribe"].startswith("<http://hub.test/unsubscribe/"), name
            assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert row.headers["List-Unsubscribe"][1:-1] in row.html_body  # the footer link
            assert "18 Nov 2026, 17:00" in row.text_body or "2026年11月18日 17:00" in row.text_body \
                or "18 nov 2026, 17:00" in row.text_body, f"{name}: timeline in Asia/Shanghai"
        # User input never becomes markup; the text part keeps it readable.
        assert "<script>" not in row.html_body and "<b>Terminal" not in row.html_body, name
    assert "&lt;script&gt;" in rows["mention"].html_body
    assert EVIL in rows["mention"].text_body
    assert "Jonas &lt;Becker&gt;" in rows["document_requested"].html_body
    # The route's countries are named in the recipient's language, in both parts.
    route = {"en": "China → Germany", "es": "China → Alemania", "zh_Hans": "中国 → 德国"}[locale]
    for name, row in rows.items():
        if name != "password_reset":
            assert route in row.text_body and route in row.html_body, (name, locale)
    # 08:00Z in the recipient's zone, named by its city ("CST" would also be Chicago's).
    assert {"en": "20 Nov 2026, 16:00 Shanghai time", "es": "20 nov 2026, 16:00 hora de Shanghái",
            "zh_Hans": "2026年11月20日 16:00 上海时间"}[locale] in rows["milestone"].text_body


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_no_untranslated_strings(app, world, locale):
    rows = _render_all(world, locale)
    fragments = _untranslated_fragments(locale)
    assert fragments  # the check has something to look for
    for name, row in rows.items():
        for part in (row.subject, row.text_body, row.html_body):
            part = re.sub(r"https?://[^\s\"'<>]+", "", part)  # links are not words (/shipments/1)
            leftovers = [f for f in fragments if f in part]
            assert not leftovers, f"{name} ({locale}) has English: {leftovers}"


@SQLITE_ONLY
def test_the_locales_say_it_in_their_language(app, world):
    subjects = {}
    for locale in LOCALES:
        subjects[locale] = _render_all(world, locale)["milestone"].subject
        db.session.rollback()
    assert subjects == {"en": "ACME-001: Arrived · Yantian <b>Terminal</b>",
                        "es": "ACME-001: Llegó a destino · Yantian <b>Terminal</b>",
                        "zh_Hans": "ACME-001: 已到达 · Yantian <b>Terminal</b>"}


@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_catalogues_are_complete_and_compiled(locale):
    catalogue = _catalogue(locale)
    assert not catalogue.fuzzy
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = GNUTranslations(handle)
    for message in catalogue:
        if not message.id:
            continue
        assert "fuzzy" not in message.flags, message.id
        if isinstance(message.id, tuple):
            assert all(message.string), message.id
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
        else:
            assert message.string, message.id
            assert compiled.gettext(message.id) == message.string, f"{message.id}: .mo is stale (pybabel compile)"
