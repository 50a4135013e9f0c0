"""What the recipients of shipment emails receive, captured by the local fake SendGrid: their
own Reply-To address, one conversation per shipment (Message-ID, In-Reply-To, References),
the reference first in the subject, the reply line in their language; all valid SendGrid."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from hub.documents.services import request_document, review_document, stage_file, upload_document
from hub.inbound.tokens import read_reply_token
from hub.milestones.services import record_milestone
from hub.notifications.digests import process_due_digests
from hub.notifications.preferences import check_preference, set_preference
from hub.notifications.worker import run_worker
from hub.threads.services import send_message
from hub.timestamps import utcnow
from tests.inbound.conftest import PDF


def _activity(world) -> None:
    """Every kind of shipment email: a milestone (to agent and broker), a mention of the agent,
    a document request, the review of the agent's upload, and the broker's digest."""
    set_preference(world.broker, check_preference(world.broker, {"level": "all"}))
    record_milestone(world.staff, world.shipment.id, {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z"})
    request_document(world.staff, world.shipment, {"doc_type": "packing_list"})
    document = upload_document(world.agent, world.shipment, "packing_list", None,
                               stage_file(io.BytesIO(PDF), "PL-118.pdf"))
    review_document(world.broker, document, {"decision": "accept"})
    send_message(world.staff, world.shipment.id, "@li.wei please confirm", str(uuid.uuid4()), "api")
    assert process_due_digests(now=utcnow() + timedelta(hours=1)) >= 1


def test_every_shipment_email_can_be_answered_and_threads(sendgrid_app, world, fake_sendgrid, mail_send_validator):
    sendgrid_app.config["INBOUND_EMAIL_DOMAIN"] = "in.hub.test"
    _activity(world)
    run_worker(sendgrid_app, once=True)

    sent = [request.body for request in fake_sendgrid.requests]
    assert len(sent) >= 5
    by_recipient: dict[str, list[dict]] = {}
    for body in sent:
        mail_send_validator.validate(body)
        by_recipient.setdefault(body["personalizations"][0]["to"][0]["email"], []).append(body)
    agent_mails = by_recipient["li.wei@agency.example"]
    assert [m["subject"] for m in agent_mails] == [
        "ACME-001: 已到达", "ACME-001: 需要文件：装箱单", "ACME-001: 文件已接受：PL-118.pdf",
        "ACME-001: Ana Coordinator 提到了您"]
    assert [m["subject"] for m in by_recipient["jonas@brokers.example"]] == [
        "ACME-001: Arrived", "ACME-001: Document requested: Packing list", "ACME-001: 1 message you missed"]
    for recipient, mails in by_recipient.items():
        first_id = mails[0]["headers"]["Message-ID"]
        assert "In-Reply-To" not in mails[0]["headers"] and "References" not in mails[0]["headers"]
        ids = {m["headers"]["Message-ID"] for m in mails}
        assert len(ids) == len(mails) and all(i.startswith("<") and i.endswith("@in.hub.test>") for i in ids)
        for later in mails[1:]:
            assert later["headers"]["In-Reply-To"] == first_id and later["headers"]["References"] == first_id
        for mail in mails:
            assert mail["subject"].startswith("ACME-001")
            # SendGrid takes the Reply-To as `reply_to` (it refuses one among `headers`).
            assert "Reply-To" not in mail["headers"]
            local, _, domain = mail["reply_to"]["email"].partition("@")
            assert domain == "in.hub.test" and local.startswith("reply+")
            token = read_reply_token(local.removeprefix("reply+"))
            assert (token.shipment_id, token.user_id) == (world.shipment.id, _user_id(world, recipient))
    # The text part opens with the line in the recipient's language, above the content.
    assert agent_mails[0]["content"][0]["value"].startswith("回复此邮件即可在对话中作答\n\n")
    broker_mail = by_recipient["jonas@brokers.example"][0]
    assert broker_mail["content"][0]["value"].startswith("Reply to this email to answer in the thread\n\n")
    assert "Reply to this email to answer in the thread" in broker_mail["content"][1]["value"]


def _user_id(world, email: str) -> int:
    return next(u.id for u in (world.staff, world.agent, world.broker, world.observer) if u.email == email)


def test_without_an_inbound_domain_emails_stay_one_way(sendgrid_app, world, fake_sendgrid, mail_send_validator):
    assert not sendgrid_app.config["INBOUND_EMAIL_DOMAIN"]
    _activity(world)
    run_worker(sendgrid_app, once=True)
    assert fake_sendgrid.requests
    for request in fake_sendgrid.requests:
        body = request.body
        mail_send_validator.validate(body)
        assert "reply_to" not in body and "Reply-To" not in body["headers"]
        assert "Reply to this email" not in body["content"][0]["value"]
        assert body["headers"]["Message-ID"].endswith("@hub.test>")  # MAIL_FROM's domain
