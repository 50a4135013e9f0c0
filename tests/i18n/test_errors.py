"""What the services refuse, and the risk flags' thread messages, in the viewer's language: pages
translate a refusal's message and its fields' reasons (templates with values included); the API
answers the same English as before."""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from flask_babel import force_locale

from hub.errors import N_, Text, ValidationFailed, one_of_reason, translate
from hub.extensions import db
from hub.i18n import facts_text, holiday_label, js_catalogue
from tests import factories

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FUTURE = {
    "es": ("Un hito no puede estar más de 10 minutos en el futuro.",
           "occurred_at: no debe estar más de 10 minutos en el futuro"),
    "zh_Hans": ("里程碑的时间不能晚于现在 10 分钟以上。", "occurred_at: 不能晚于现在 10 分钟以上"),
}
LEVEL = {
    "es": ("Algunos campos no son válidos.", "level: debe ser uno de: all, milestones, mute"),
    "zh_Hans": ("部分字段无效。", "level: 必须是以下之一：all, milestones, mute"),
}


def _page_text(client, path: str) -> str:
    return html.unescape(client.get(path).get_data(as_text=True))


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_a_refused_milestone_is_explained_in_the_viewers_language(client, world, locale):
    world.staff.locale = locale
    db.session.commit()
    csrf = factories.login(client, world.staff)
    answer = client.post(f"/shipments/{world.shipment.id}/milestones",
                         data={"code": "arrived", "occurred_at": "2099-01-01T10:00", "csrf_token": csrf})
    assert answer.status_code == 302
    text = _page_text(client, f"/shipments/{world.shipment.id}")
    for part in FUTURE[locale]:
        assert part in text
    assert "A milestone cannot be more than 10 minutes in the future." not in text


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_a_reason_with_values_is_translated_on_the_page(client, world, locale):
    # "must be one of: %(choices)s" is a template with its values: the choices stay codes.
    world.broker.locale = locale
    db.session.commit()
    csrf = factories.login(client, world.broker)
    client.post("/settings/notifications", data={"level": "loud", "csrf_token": csrf})
    text = _page_text(client, "/settings/notifications")
    for part in LEVEL[locale]:
        assert part in text
    assert "must be one of" not in text


@SQLITE_ONLY
def test_the_api_answers_the_same_english(client, world):
    world.broker.locale = "es"
    db.session.commit()
    answer = client.put("/api/v1/me/notifications", json={"level": "loud"}, headers=world.headers("broker"))
    assert answer.status_code == 422
    assert answer.get_json()["error"] == {"code": "validation_error", "message": "Some fields are invalid.",
                                          "fields": {"level": "must be one of: all, milestones, mute"}}


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_the_pages_own_api_calls_are_answered_in_the_users_language(client, world, locale):
    # The page's scripts show an API refusal as it comes (the milestone form under a message, the
    # documents panel, the risk panel): a signed-in browser's own call is answered in the user's
    # language; the same call with an API token stays English (above).
    world.broker.locale = locale
    db.session.commit()
    csrf = factories.session_for(client, world.broker)
    answer = client.put("/api/v1/me/notifications", json={"level": "loud"}, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    message, reason = LEVEL[locale]
    assert error["message"] == message
    assert error["fields"] == {"level": reason.removeprefix("level: ")}


@SQLITE_ONLY
@pytest.mark.parametrize("locale", ["es", "zh_Hans"])
def test_a_browser_sockets_refusal_is_in_the_users_language_a_token_sockets_in_english(app, world, locale):
    from hub.extensions import socketio
    from tests.conftest import HubTestClient

    world.staff.locale = locale
    db.session.commit()
    browser = HubTestClient(app, app.response_class, use_cookies=True)
    factories.session_for(browser, world.staff)
    page_socket = socketio.test_client(app, flask_test_client=browser)
    token_socket = socketio.test_client(app, auth={"token": world.tokens["staff"]})
    empty = {"shipment_id": world.shipment.id, "body": "   ", "client_id": "8a0c4b8e-1f7e-4d5a-9c39-2f1f7b1f0a11"}
    said = page_socket.emit("send", empty, callback=True)["error"]
    english = token_socket.emit("send", empty, callback=True)["error"]
    assert english == {"code": "validation_error", "message": "The message is empty.",
                       "fields": {"body": "must not be empty"}}
    assert said["code"] == "validation_error"
    with app.test_request_context(), force_locale(locale):
        assert said["message"] == translate("The message is empty.") != "The message is empty."
        assert said["fields"] == {"body": translate("must not be empty")}


@SQLITE_ONLY
def test_a_missing_page_is_explained_in_the_viewers_language(client, world):
    world.broker.locale = "es"
    db.session.commit()
    factories.session_for(client, world.broker)
    for path in ("/shipments/999999", "/no-such-page"):  # the hub's 404 and the router's
        answer = client.get(path)
        assert answer.status_code == 404
        text = html.unescape(answer.get_data(as_text=True))
        assert "No encontrado" in text
        assert "URL" not in text and "server" not in text and "not found" not in text.lower(), path


@SQLITE_ONLY
def test_text_reads_as_english_and_translates_from_its_template(app):
    reason = Text(N_("must be at most %(maximum)s characters"), maximum=64)
    assert reason == "must be at most 64 characters"
    assert json.dumps({"name": reason}) == '{"name": "must be at most 64 characters"}'
    error = ValidationFailed(N_("The message is longer than %(limit)s characters."), params={"limit": 4000},
                             fields={"body": one_of_reason(["a", "b"])})
    assert error.message == "The message is longer than 4000 characters."
    assert error.to_dict()["fields"] == {"body": "must be one of: a, b"}
    with app.test_request_context():
        with force_locale("es"):
            assert translate(reason) == "debe tener como mucho 64 caracteres"
            assert error.localized() == "El mensaje tiene más de 4000 caracteres. body: debe ser uno de: a, b"
        with force_locale("zh_Hans"):
            assert translate(error.message) == "消息超过了 4000 个字符。"
            assert translate(Text(N_("Name %(why)s."), why=Text(N_("must be 1 to 200 characters")))) == \
                "姓名必须为 1 到 200 个字符。"
        with force_locale("en"):
            assert translate(error.message) == "The message is longer than 4000 characters."


@SQLITE_ONLY
def test_risk_messages_carry_facts_said_in_each_readers_language(app, world):
    from hub.risks.services import open_flag, resolve_flag
    from hub.shipment_tx import shipment_transaction
    from hub.threads.models import Message

    with shipment_transaction(world.shipment.id) as shipment:
        flag = open_flag(shipment, "policy_change", "high", detail="New tariff on pumps", actor=world.staff)
    with shipment_transaction(world.shipment.id) as shipment:
        resolve_flag(db.session.get(type(flag), flag.id), shipment, actor=world.staff, note="Paid")
    opened, resolved = db.session.query(Message).filter(Message.kind == "system").order_by(Message.seq).all()[-2:]
    # The stored text stays the English fallback, and the facts say it again in English.
    assert opened.body == ("Risk opened (high): Policy or tariff change: New tariff on pumps. "
                           "Owner: Ana Coordinator. Raised by Ana Coordinator")
    assert resolved.body == "Risk resolved: Policy or tariff change (by Ana Coordinator): Paid"
    with app.test_request_context():
        with force_locale("en"):
            assert facts_text(opened.facts) == opened.body
            assert facts_text(resolved.facts) == resolved.body
        with force_locale("es"):
            assert facts_text(opened.facts).startswith("Riesgo abierto (alto): ")
            assert facts_text(opened.facts).endswith(": New tariff on pumps. Responsable: Ana Coordinator. "
                                                     "Abierta por Ana Coordinator")
            assert facts_text(resolved.facts).startswith("Riesgo resuelto: ")
            assert facts_text(resolved.facts).endswith("(por Ana Coordinator): Paid")
        with force_locale("zh_Hans"):
            assert facts_text(opened.facts).startswith("风险已提出（")
            assert "负责人：Ana Coordinator" in facts_text(opened.facts)
            assert facts_text(resolved.facts).startswith("风险已解决：")
        # The JavaScript says them from the same sentences (`{name}` holes) and words.
        with force_locale("es"):
            catalogue = js_catalogue("es")
            assert catalogue["facts"]["risk_owner"] == "{text}. Responsable: {name}"
            assert catalogue["riskWords"]["Policy or tariff change"] != "Policy or tariff change"
            assert catalogue["riskWords"]["high"] == "alto"


@SQLITE_ONLY
def test_the_thread_gives_a_risk_message_its_facts(client, world):
    from hub.risks.services import open_flag
    from hub.shipment_tx import shipment_transaction

    with shipment_transaction(world.shipment.id) as shipment:
        open_flag(shipment, "policy_change", "medium", actor=world.staff)
    answer = client.get(f"/api/v1/shipments/{world.shipment.id}/messages", headers=world.headers("agent"))
    system = [m for m in answer.get_json()["messages"] if m["kind"] == "system"]
    assert system[-1]["facts"]["kind"] == "risk"
    assert system[-1]["facts"]["action"] == "opened"
    assert system[-1]["body"].startswith("Risk opened (medium): Policy or tariff change")


@SQLITE_ONLY
@pytest.mark.parametrize(("locale", "word"), [("es", "Enviado"), ("zh_Hans", "已发送")])
def test_the_mailbox_names_kinds_and_statuses_in_the_viewers_language(client, world, locale, word):
    from hub.notifications.models import OutboxEmail

    world.staff.locale = locale
    db.session.commit()
    row = OutboxEmail(kind="digest", to_email=world.staff.email, to_name=world.staff.name, subject="Hub",
                      status="sent", transport="mailbox", html_body="<p>x</p>", text_body="x",
                      user_id=world.staff.id, shipment_id=world.shipment.id)
    db.session.add(row)
    db.session.commit()
    factories.login(client, world.staff)
    text = _page_text(client, "/dev/mailbox")
    assert word in text
    assert ">sent" not in text


@SQLITE_ONLY
def test_holidays_and_checklist_reasons_in_the_viewers_language(app):
    with app.test_request_context():
        with force_locale("zh_Hans"):
            assert holiday_label("CN", None, "2026-10-01", "National Day") == "国庆节"
            assert translate("Needed for every shipment.") == "每批货运都需要。"
        with force_locale("es"):
            assert holiday_label("ES", None, date(2026, 1, 6), "Epiphany") == "Epifanía del Señor"
            # The package has no Spanish names for China: the given name stays.
            assert holiday_label("CN", None, "2026-10-01", "National Day") == "National Day"
        with force_locale("en"):
            assert holiday_label("DE", None, "2026-12-25", "Erster Weihnachtstag") == "Christmas Day"


def test_every_seed_reason_is_in_the_catalogue():
    import yaml

    from hub.countries.profiles import SEED_FILE, SEED_REASONS

    seed = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    reasons = {doc["why"] for profile in seed.values() for doc in profile.get("documents") or ()}
    assert reasons == set(SEED_REASONS)


@SQLITE_ONLY
def test_a_seed_reason_reads_in_the_viewers_language(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        assert translate("USMCA preferential duty needs a certification of origin.") == "享受美墨加协定的优惠关税需要原产地证明。"
        assert translate("Transport document for sea.") == "海运的运输单据。"


@SQLITE_ONLY
def test_an_automatic_flags_detail_reads_in_each_readers_language_and_zone(app, client, world):
    from hub.threads.models import Message

    for code, at in (("arrived", "2026-11-02T08:00:00Z"), ("on_hold", "2026-11-03T09:00:00Z")):
        answer = client.post(f"/api/v1/shipments/{world.shipment.id}/milestones", headers=world.headers("agent"),
                             json={"code": code, "occurred_at": at, "location": "Yantian"})
        assert answer.status_code == 201, answer.json
    [message] = [m for m in db.session.query(Message).filter(Message.kind == "system")
                 if (m.facts or {}).get("rule") == "on_hold"]
    assert message.body.startswith("Risk opened (high): On hold: On hold since 2026-11-03 09:00 UTC at Yantian")
    assert message.facts["detail_facts"]["what"] == "standing"
    with app.test_request_context():
        with force_locale("en"):
            assert "On hold since 3 Nov 2026, 03:00 Chicago time at Yantian" in facts_text(message.facts, "America/Chicago")
        with force_locale("es"):
            assert "Retenido desde el 3 nov 2026, 10:00 hora de Madrid en Yantian" in facts_text(message.facts,
                                                                                                 "Europe/Madrid")
        with force_locale("zh_Hans"):
            assert "自 2026年11月3日 17:00 上海时间 起被扣留，地点：Yantian" in facts_text(message.facts, "Asia/Shanghai")


@SQLITE_ONLY
def test_missing_documents_and_overdue_details_in_chinese(app):
    from hub.i18n import _risk_detail

    with app.test_request_context(), force_locale("zh_Hans"):
        documents = {"what": "documents", "date": "2026-12-20",
                     "documents": [["commercial_invoice", "missing"], ["packing_list", "rejected"]]}
        assert _risk_detail(documents, "UTC", None).startswith("截止日期 2026年12月20日：")
        assert "（缺失）" in _risk_detail(documents, "UTC", None) and "（已拒绝）" in _risk_detail(documents, "UTC", None)
        assert _risk_detail({"what": "overdue", "date": "2026-12-01", "days": 3}, "UTC", None) == \
            "预计放行日期 2026年12月1日：已逾期 3 个工作日"
