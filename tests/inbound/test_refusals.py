"""Every bad case: nothing is posted (or the message without the refused file), the refusal is
recorded with its reason, a known sender is told why in their language, SendGrid is answered
200 (never retried) but 400 for a malformed post, 404 for a wrong secret and 503 only while
the database is unavailable; the endpoint is rate limited per sender."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hub.documents.models import Document
from hub.extensions import db
from hub.inbound.tokens import make_reply_token, reply_address
from hub.notifications.models import OutboxEmail
from hub.shipments.services import remove_participant
from hub.threads.models import Message
from hub.timestamps import utcnow
from tests.conftest import make_app
from tests.inbound.conftest import DOMAIN, PDF, SECRET, WEBHOOK, File, InboundEmailPost, records, thread_texts

PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def _agent_reply(world, **fields) -> InboundEmailPost:
    values = {"sender": "li.wei@agency.example", "sender_name": "Li Wei",
              "to": reply_address(world.agent.id, world.shipment.id), "subject": "Re: ACME-001: Arrived",
              "text": "Customs will inspect on Monday.\n\nOn Fri, Nov 20, 2026 at 9:00 AM Clearance Hub wrote:\n> hi\n"}
    return InboundEmailPost(**(values | fields))


def _notices() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.kind == "inbound_refused")
                                   .order_by(OutboxEmail.id)))


def _refused(client, email: InboundEmailPost, reason: str) -> dict:
    answer = email.post(client)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["outcome"] == "rejected" and answer.json["reason"] == reason, answer.json
    record = records()[-1]
    assert (record["status"], record["reason"]) == ("rejected", reason)
    assert record["posted_message_id"] is None and record["documents"] == []
    return record


def _nothing_posted(world) -> None:
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)
                             .where(Message.shipment_id == world.shipment.id)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == 0


def test_tokens_that_are_unknown_forged_or_expired(inbound_app, client, world):
    good = make_reply_token(world.agent.id, world.shipment.id)
    forged = good[:-1] + ("a" if good[-1] != "a" else "b")
    old = make_reply_token(world.agent.id, world.shipment.id, issued_on=utcnow().date() - timedelta(days=366))
    cases = [
        (f"reply+not-a-token@{DOMAIN}", "unknown_token"),
        (f"reply+{good}@elsewhere.example", "unknown_token"),  # our token, someone else's domain
        (f"reply+{make_reply_token(world.agent.id, 999_999)}@{DOMAIN}", "unknown_token"),  # no such shipment
        (f"reply+{forged}@{DOMAIN}", "forged_token"),
        (f"reply+{good.replace('.', '.1', 1)}@{DOMAIN}", "forged_token"),  # another user id, same signature
        (f"reply+{old}@{DOMAIN}", "expired_token"),
    ]
    for to, reason in cases:
        record = _refused(client, _agent_reply(world, to=to), reason)
        assert record["sender"] == "li.wei@agency.example"
    _nothing_posted(world)
    # The sender is a known user: each time told why, in their language (Simplified Chinese).
    notices = _notices()
    assert [n.to_email for n in notices] == ["li.wei@agency.example"] * len(cases)
    assert notices[0].subject == "您的邮件未能发布到对话中"
    assert "您写信的地址不是 Clearance Hub 的回复地址。" in notices[0].text_body
    assert "回复地址已被改动" in notices[3].text_body and "回复地址已过期" in notices[5].text_body
    assert "ACME-001" not in notices[0].text_body  # nothing about a shipment the token does not prove
    assert notices[0].headers.get("Reply-To") is None  # a notice is never itself answered by email


def test_the_token_can_arrive_in_cc_or_only_in_the_envelope(inbound_app, client, world):
    address = reply_address(world.agent.id, world.shipment.id)
    assert _agent_reply(world, to="ana@acme.example", cc=address).post(client).json["outcome"] == "posted"
    email = _agent_reply(world, to="undisclosed-recipients:;", text="Second.")
    email.replace["envelope"] = json.dumps({"to": [address], "from": "li.wei@agency.example"}).encode()
    assert email.post(client).json["outcome"] == "posted"
    assert [body for _a, _v, body in thread_texts(world.shipment.id)] == ["Customs will inspect on Monday.", "Second."]


def test_a_sender_other_than_the_recipient(inbound_app, client, world):
    # The broker forwards the agent's email and answers it: the token is not theirs.
    record = _refused(client, _agent_reply(world, sender="jonas@brokers.example", sender_name="Jonas"),
                      "sender_mismatch")
    assert record["user_id"] == world.agent.id and record["shipment_id"] == world.shipment.id
    # The right From but another envelope sender (a forged From header).
    _refused(client, _agent_reply(world, envelope_from="mailer@spam.example"), "sender_mismatch")
    _nothing_posted(world)
    notices = _notices()
    assert [n.to_email for n in notices] == ["jonas@brokers.example", "li.wei@agency.example"]
    assert "You answered from an address other than the one the email was sent to." in notices[0].text_body
    # Jonas takes part in ACME-001 too: he is pointed at it.
    assert notices[0].subject == "ACME-001: Your email was not posted to the thread"
    assert f"http://hub.test/shipments/{world.shipment.id}" in notices[0].text_body


def test_spf_or_dkim_must_pass_when_required(inbound_app, client, world):
    _refused(client, _agent_reply(world, spf="softfail", dkim="{@mailer.example : pass, @agency.example : fail}"),
             "not_authenticated")
    _nothing_posted(world)
    assert "SPF softfail" in records()[-1]["detail"]
    # DKIM for the sender's domain is enough; so is SPF alone.
    assert _agent_reply(world, spf="softfail", dkim="{@agency.example : pass}",
                        text="By DKIM.").post(client).json["outcome"] == "posted"
    assert _agent_reply(world, spf="pass", dkim="", text="By SPF.").post(client).json["outcome"] == "posted"
    inbound_app.config["INBOUND_REQUIRE_AUTH"] = False
    assert _agent_reply(world, spf="fail", dkim="none", text="Unchecked.").post(client).json["outcome"] == "posted"
    assert [b for _a, _v, b in thread_texts(world.shipment.id)] == ["By DKIM.", "By SPF.", "Unchecked."]


def test_a_participant_removed_deactivated_or_observing(inbound_app, client, world):
    remove_participant(world.staff, world.shipment, world.agent.id)
    db.session.commit()
    _refused(client, _agent_reply(world), "not_participant")
    olga = InboundEmailPost(sender="olga@brokers.example", sender_name="Olga",
                            to=reply_address(world.observer.id, world.shipment.id), subject="Re: ACME-001",
                            text="May I post?")
    _refused(client, olga, "may_not_post")
    world.broker.active = False
    db.session.commit()
    jonas = InboundEmailPost(sender="jonas@brokers.example", sender_name="Jonas",
                             to=reply_address(world.broker.id, world.shipment.id), subject="Re: ACME-001",
                             text="Still here?")
    _refused(client, jonas, "deactivated")
    _nothing_posted(world)
    notices = _notices()
    # The deactivated user is not written to; the removed agent no longer sees the shipment's name.
    assert [n.to_email for n in notices] == ["li.wei@agency.example", "olga@brokers.example"]
    assert "ACME-001" not in notices[0].subject + notices[0].text_body and "您已不再参与此货运。" in notices[0].text_body
    assert "you read the thread but do not post in it" in notices[1].text_body


def test_nothing_left_after_stripping_or_too_long(inbound_app, client, world):
    quoted_only = ("\n\nOn Fri, Nov 20, 2026 at 9:00 AM Clearance Hub <x@in.hub.test> wrote:\n> ACME-001\n> Arrived\n")
    _refused(client, _agent_reply(world, text=quoted_only), "empty")
    _refused(client, _agent_reply(world, text="Sent from my iPhone\n"), "empty")
    inbound_app.config["MESSAGE_MAX_CHARS"] = 40
    _refused(client, _agent_reply(world, text="x" * 41), "too_long")
    assert records()[-1]["detail"] == "41 characters, at most 40"
    assert _agent_reply(world, text="y" * 40).post(client).json["outcome"] == "posted"  # exactly at the limit
    assert thread_texts(world.shipment.id) == [("li.wei@agency.example", "email", "y" * 40)]
    notices = _notices()
    assert "去除引用内容和签名后，您的邮件没有剩余内容。" in notices[0].text_body
    assert "您的邮件超过了消息允许的 40 个字符。" in notices[2].text_body


def test_a_refused_attachment_is_not_stored_and_the_message_still_posts(inbound_app, client, world):
    email = _agent_reply(world, text="Invoice and the tool attached.",
                         files=[File("invoice.pdf", "application/pdf", PDF),
                                File("tool.pdf.exe", "application/octet-stream", PE_EXECUTABLE)])
    answer = email.post(client)
    assert answer.status_code == 200 and answer.json["outcome"] == "posted"
    assert answer.json["reason"] == "attachment_refused"
    assert thread_texts(world.shipment.id) == [("li.wei@agency.example", "email", "Invoice and the tool attached.")]
    assert [d.version_row().filename for d in db.session.scalars(db.select(Document))] == ["invoice.pdf"]
    record = records()[-1]
    assert record["status"] == "posted" and record["reason"] == "attachment_refused"
    assert record["detail"].startswith("tool.pdf.exe: ") and "not accepted" in record["detail"]
    [notice] = _notices()
    assert notice.subject == "ACME-001: 您邮件中的一个附件未能保存"
    assert "tool.pdf.exe" in notice.text_body and "您的消息已发布，但有一个附件未能保存。" in notice.text_body


def test_automatic_replies_are_recorded_and_never_answered(inbound_app, client, world):
    email = _agent_reply(world, text="I am out of the office until Monday.",
                         extra_headers=[("Auto-Submitted", "auto-replied")])
    _refused(client, email, "auto_reply")
    _refused(client, _agent_reply(world, text="Out of office", extra_headers=[("Precedence", "auto_reply")]),
             "auto_reply")
    _nothing_posted(world)
    assert _notices() == []  # no mail loop with a vacation responder


def test_a_sender_nobody_knows_is_recorded_and_not_written_to(inbound_app, client, world):
    _refused(client, _agent_reply(world, sender="stranger@example.org", sender_name="?"), "sender_mismatch")
    assert _notices() == []


def test_malformed_posts_answer_400_and_change_nothing(inbound_app, client, world):
    email = _agent_reply(world)
    for broken in (
        _agent_reply(world, drop=("envelope",)),
        _agent_reply(world, replace={"envelope": b"{not json"}),
        _agent_reply(world, replace={"charsets": b"{'to': 'UTF-8'"}),
        _agent_reply(world, replace={"attachment-info": b"[1, 2"}),
        _agent_reply(world, replace={"envelope": b"[]"}),
    ):
        answer = broken.post(client)
        assert answer.status_code == 400 and answer.json["error"]["code"] == "malformed_request", answer.json
    answer = client.post(WEBHOOK, json={"text": "hello"})
    assert answer.status_code == 400
    assert records() == [] and _notices() == []
    _nothing_posted(world)
    assert email.post(client).status_code == 200  # the same email, well formed


def test_a_wrong_or_missing_secret_answers_404(inbound_app, client, world):
    email = _agent_reply(world)
    assert email.post(client, "/webhooks/sendgrid/inbound/not-the-secret").status_code == 404
    assert email.post(client, "/webhooks/sendgrid/inbound/").status_code == 404
    inbound_app.config["INBOUND_WEBHOOK_SECRET"] = None
    assert email.post(client, WEBHOOK).status_code == 404
    assert records() == []
    _nothing_posted(world)


def test_a_database_outage_answers_503_so_sendgrid_delivers_again(inbound_app, world, tmp_path: Path):
    # The app's database server is not reachable at all (nothing listens on port 9).
    down = make_app("postgresql://postgres@127.0.0.1:9/hub", tmp_path / "down",
                    INBOUND_EMAIL_DOMAIN=DOMAIN, INBOUND_WEBHOOK_SECRET=SECRET)
    email = _agent_reply(world)
    with down.app_context():
        answer = email.post(down.test_client())
    assert answer.status_code == 503 and answer.json["error"]["code"] == "unavailable"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_endpoint_is_rate_limited_per_sender(inbound_app, world, database_url, tmp_path: Path):
    replies = [_agent_reply(world, text=f"Reply {i}") for i in range(4)]
    broker = InboundEmailPost(sender="jonas@brokers.example", sender_name="Jonas",
                              to=reply_address(world.broker.id, world.shipment.id), subject="Re", text="Mine.")
    shipment_id = world.shipment.id
    db.session.commit()  # SQLite: the test's own session holds no lock while the other app writes
    limited = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True, INBOUND_RATE_LIMIT="2 per minute",
                       INBOUND_EMAIL_DOMAIN=DOMAIN, INBOUND_WEBHOOK_SECRET=SECRET, INBOUND_REQUIRE_AUTH=True)
    with limited.app_context():
        client = limited.test_client()
        assert [reply.post(client).status_code for reply in replies[:3]] == [200, 200, 429]
        assert broker.post(client).status_code == 200  # another sender is not held back
        limited_answer = replies[3].post(client)
        assert limited_answer.status_code == 429 and int(limited_answer.headers["Retry-After"]) > 0
        db.session.remove()
    assert [b for _a, _v, b in thread_texts(shipment_id)] == ["Reply 0", "Reply 1", "Mine."]
