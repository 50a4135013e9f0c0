"""THE time formatter: the viewer's zone named by its city, one pattern per locale; message facts
said in each reader's language and zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from hub.i18n import facts_text, format_date, format_time, zone_label

MOMENT = datetime(2026, 12, 4, 23, 16, tzinfo=UTC)
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_ambiguous_abbreviations_become_cities(app):
    # Chicago and Shanghai are both "CST", 14 hours apart: the formatter names the city instead.
    with app.test_request_context(), force_locale("en"):
        assert format_time(MOMENT, "America/Chicago", "en") == "4 Dec 2026, 17:16 Chicago time"
        assert format_time(MOMENT, "Asia/Shanghai", "en") == "5 Dec 2026, 07:16 Shanghai time"
        assert format_time(MOMENT, "UTC", "en") == "4 Dec 2026, 23:16 UTC"
        assert "CST" not in format_time(MOMENT, "America/Chicago", "en") + format_time(MOMENT, "Asia/Shanghai", "en")
        assert zone_label("America/Argentina/Buenos_Aires", "en") == "Buenos Aires time"


@SQLITE_ONLY
@pytest.mark.parametrize(("locale", "chicago", "shanghai"), [
    ("es", "4 dic 2026, 17:16 hora de Chicago", "5 dic 2026, 7:16 hora de Shanghái"),
    ("zh_Hans", "2026年12月4日 17:16 芝加哥时间", "2026年12月5日 07:16 上海时间"),
])
def test_one_pattern_per_locale(app, locale, chicago, shanghai):
    with app.test_request_context(), force_locale(locale):
        assert format_time(MOMENT, "America/Chicago", locale) == chicago
        assert format_time(MOMENT, "Asia/Shanghai", locale) == shanghai


@SQLITE_ONLY
def test_strings_naive_times_dates_and_unknown_zones(app):
    with app.test_request_context(), force_locale("en"):
        assert format_time("2026-12-04T23:16:00Z", "Asia/Shanghai", "en") == "5 Dec 2026, 07:16 Shanghai time"
        assert format_time(datetime(2026, 12, 4, 23, 16), "UTC", "en") == "4 Dec 2026, 23:16 UTC"
        assert format_time(MOMENT, "Not/A_Zone", "en") == "4 Dec 2026, 23:16 UTC"
        assert format_time(None) == ""
        assert format_date("2026-12-25", locale="en") == "25 Dec 2026"
        assert format_date(MOMENT, "Asia/Shanghai", "zh_Hans") == "2026年12月5日"


@SQLITE_ONLY
def test_milestone_facts_read_in_each_readers_zone_and_language(app):
    facts = {"kind": "milestone", "milestone_id": 1, "code": "on_hold", "time": "2026-12-04T23:16:00Z",
             "location": "Yantian", "note": "X-ray"}
    with app.test_request_context():
        with force_locale("en"):
            assert facts_text(facts, "America/Chicago") == "On hold at 4 Dec 2026, 17:16 Chicago time, Yantian: X-ray"
        with force_locale("zh_Hans"):
            assert facts_text(facts, "Asia/Shanghai") == "2026年12月5日 07:16 上海时间 被扣留，Yantian：X-ray"
        with force_locale("es"):
            assert facts_text(facts, "America/Mexico_City").startswith("Retenido el 4 dic 2026, 17:16 hora de Ciudad de México")


@SQLITE_ONLY
def test_document_facts_name_the_type_and_the_file_unescaped(app):
    uploaded = {"kind": "document", "action": "uploaded", "document_id": 3, "doc_type": "packing_list",
                "file_name": "packing_list.pdf", "version": 1, "note": None}
    rejected = {"kind": "document", "action": "rejected", "document_id": 3, "doc_type": "packing_list",
                "file_name": "packing_list.pdf", "version": 2, "decision": "reject", "reason": "Unsigned"}
    with app.test_request_context():
        with force_locale("en"):
            assert facts_text(uploaded) == "Uploaded Packing list: packing_list.pdf"
            assert facts_text(rejected) == "Rejected Packing list: packing_list.pdf (version 2): Unsigned"
        with force_locale("zh_Hans"):
            assert facts_text(uploaded) == "已上传装箱单：packing_list.pdf"  # no "Packing list" left in English
        with force_locale("es"):
            assert facts_text(uploaded) == "Subió Lista de empaque: packing_list.pdf"
        assert facts_text({"kind": "unknown"}) == "" and facts_text(None) == ""


@SQLITE_ONLY
def test_an_accepted_invitation_says_the_role_in_the_readers_language(app):
    joined = {"kind": "participant", "action": "joined", "name": "Zhang Wei", "organization": "Yantian Brokers",
              "role": "broker"}
    with app.test_request_context():
        with force_locale("en"):
            assert facts_text(joined) == "Zhang Wei (Yantian Brokers) accepted the invitation and joined as Customs broker"
        with force_locale("zh_Hans"):
            assert facts_text(joined) == "Zhang Wei（Yantian Brokers）已接受邀请，以报关行身份加入"
        with force_locale("es"):
            assert facts_text(joined) == "Zhang Wei (Yantian Brokers) aceptó la invitación y se unió como Agente aduanal"


@SQLITE_ONLY
def test_a_translated_value_is_escaped_like_any_value(app):
    # Jinja's `_()` marks what it answers safe: a value (a warning naming an email subject, a
    # validation error) goes through `tr()`, which the page escapes.
    from flask import render_template_string

    with app.test_request_context():
        assert render_template_string("{{ tr(value) }}", value="<img id=xss>") == "&lt;img id=xss&gt;"
        assert render_template_string('{{ _("Remove %(name)s from the shipment", name=value) }}',
                                      value="<b>") == "Remove &lt;b&gt; from the shipment"
