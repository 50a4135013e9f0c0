"""Realistic replies posted as SendGrid's Inbound Parse posts them: each lands in the shipment's
thread exactly as the sender wrote it (quoted history and signature gone), via email; the
files become documents; the same email twice posts once."""

from __future__ import annotations

import hashlib

import pytest

from hub.documents.models import Document, DocumentRequest
from hub.documents.services import request_document
from hub.documents.storage import get_storage
from hub.extensions import db
from hub.inbound.tokens import reply_address
from hub.milestones.services import record_milestone
from hub.notifications.models import OutboxEmail
from hub.shipments.models import ShipmentParticipant
from hub.threads.models import Message
from tests.inbound.conftest import LOGO_PNG, PDF, File, InboundEmailPost, records, thread_texts


def _reply_to_of_latest_email(user) -> str:
    """The Reply-To of the newest email queued to `user` (what their mail client answers)."""
    row = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.user_id == user.id)
                             .order_by(OutboxEmail.id.desc())).first()
    return row.headers["Reply-To"]


def _posts_alone(client, world, email: InboundEmailPost, author: str, via: str, text: str) -> None:
    """Post the email: it is posted, and the thread's only text message is `text` by `author`."""
    assert email.post(client).json["outcome"] == "posted"
    assert thread_texts(world.shipment.id) == [(author, via, text)]


def test_a_gmail_reply_to_a_milestone_email_lands_in_the_thread(inbound_app, client, world):
    record_milestone(world.staff, world.shipment.id, {"code": "arrived", "occurred_at": "2026-11-20T08:00:00Z",
                                                      "location": "Yantian"})
    address = _reply_to_of_latest_email(world.agent)
    assert address.startswith("reply+") and address.endswith("@in.hub.test")
    email = InboundEmailPost(
        sender="Li.Wei@Agency.example", sender_name="Li Wei", to=address,
        subject="Re: ACME-001: 已到达 · Yantian",
        text=("Hi Ana,\n\nThe declaration was filed this morning; duties follow tomorrow.\n\nThanks,\nLi\n\n"
              "On Fri, Nov 20, 2026 at 4:00 PM Clearance Hub <\n"
              f"{address}> wrote:\n\n> ACME-001: 已到达\n>\n> Ana Coordinator reported Arrived.\n"),
        html=('<div dir="ltr">Hi Ana,<div><br></div><div>The declaration was filed this morning; duties follow '
              'tomorrow.</div><div><br></div><div>Thanks,</div><div>Li</div></div><br><div class="gmail_quote">'
              '<div dir="ltr" class="gmail_attr">On Fri, Nov 20, 2026 at 4:00 PM Clearance Hub wrote:<br></div>'
              '<blockquote class="gmail_quote">ACME-001</blockquote></div>'),
        envelope_from="li.wei@agency.example",
    )
    assert inbound_app.config["WTF_CSRF_ENABLED"]  # posted without a CSRF token all the same
    answer = email.post(client)
    assert answer.status_code == 200 and answer.json["outcome"] == "posted", answer.json

    assert thread_texts(world.shipment.id) == [
        ("li.wei@agency.example", "email", "Hi Ana,\n\nThe declaration was filed this morning; duties follow tomorrow."),
    ]
    message = db.session.scalars(db.select(Message).where(Message.kind == "text")).one()
    assert message.seq == 2  # after the milestone's own message
    participant = db.session.scalars(db.select(ShipmentParticipant).where(
        ShipmentParticipant.user_id == world.agent.id, ShipmentParticipant.shipment_id == world.shipment.id)).one()
    assert participant.last_read_seq == message.seq  # the sender's read state moved on
    [record] = records()
    assert (record["status"], record["reason"], record["sender"]) == ("posted", None, "li.wei@agency.example")
    assert (record["user_id"], record["shipment_id"], record["posted_message_id"]) == (
        world.agent.id, world.shipment.id, message.id)
    assert record["message_id"] == email.message_id and record["documents"] == []


def test_an_outlook_reply_with_a_from_sent_block(inbound_app, client, world):
    address = reply_address(world.broker.id, world.shipment.id)
    email = InboundEmailPost(
        sender="jonas@brokers.example", sender_name="Jonas Becker", to=f"Clearance Hub <{address}>",
        subject="RE: ACME-001: Released",
        text=("Customs released the goods at 14:00.\r\nThe release note follows by courier.\r\n\r\n"
              "Jonas Becker\r\n"
              "________________________________\r\n"
              "From: Clearance Hub <" + address + ">\r\n"
              "Sent: Friday, November 20, 2026 9:00 AM\r\n"
              "To: Jonas Becker <jonas@brokers.example>\r\n"
              "Subject: ACME-001: Released\r\n\r\n"
              "Ana Coordinator reported Released at 2026-11-20 09:00 CET.\r\n"),
    )
    _posts_alone(client, world, email, "jonas@brokers.example", "email",
         "Customs released the goods at 14:00.\nThe release note follows by courier.\n\nJonas Becker")


#: Replies in the agents' own charsets: (who, charset, subject, text, html, what the thread shows).
FOREIGN_REPLIES = {
    "simplified-chinese-gb2312-qq-mail": (
        "agent", "GB2312", "回复：ACME-001: 已到达",
        "安娜，你好：\r\n\r\n报关单已经提交，海关预计明天放行。\r\n\r\n\r\n"
        "------------------ 原始邮件 ------------------\r\n"
        "发件人: \"Clearance Hub\"<{address}>;\r\n"
        "发送时间: 2026年11月20日(星期五) 下午4:00\r\n"
        "收件人: \"李伟\"<li.wei@agency.example>;\r\n"
        "主题: ACME-001: 已到达\r\n\r\n"
        "安娜报告：已到达。\r\n",
        "<div>安娜，你好：</div><div><br></div><div>报关单已经提交，海关预计明天放行。</div>"
        "<div><br></div><div style=\"font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;\">"
        "------------------&nbsp;原始邮件&nbsp;------------------</div><div>安娜报告：已到达。</div>",
        "安娜，你好：\n\n报关单已经提交，海关预计明天放行。",
    ),
    "japanese-iso-2022-jp-gmail": (
        "broker", "ISO-2022-JP", "Re: ACME-001: 到着",
        "お世話になっております。\n通関書類を確認しました。明日提出します。\n\n"
        "2026年11月20日(金) 17:00 Clearance Hub <{address}>:\n\n> ACME-001: 到着\n> 書類をご確認ください。\n",
        None,
        "お世話になっております。\n通関書類を確認しました。明日提出します。",
    ),
}


@pytest.mark.parametrize("case", list(FOREIGN_REPLIES))
def test_replies_in_gb2312_and_iso_2022_jp(inbound_app, client, world, case):
    who, charset, subject, text, html, expected = FOREIGN_REPLIES[case]
    user = getattr(world, who)
    address = reply_address(user.id, world.shipment.id)
    email = InboundEmailPost(sender=user.email, sender_name=user.name, to=address, charset=charset,
                             subject=subject, text=text.format(address=address), html=html)
    wire = email.body()
    assert expected.split("\n")[0].encode(charset) in wire and expected.encode() not in wire  # really that charset
    _posts_alone(client, world, email, user.email, "email", expected)


def test_an_html_only_reply_is_turned_into_text(inbound_app, client, world):
    address = reply_address(world.agent.id, world.shipment.id)
    email = InboundEmailPost(
        sender="li.wei@agency.example", sender_name="Li Wei", to=address, subject="Re: ACME-001: Arrived",
        html=('<html><head><style>p{color:red}</style></head><body><p>Hello <b>Ana</b> &amp; team,</p>'
              '<p>Inspection is booked for <i>Monday 09:00</i>.<br>Bring the packing list.</p>'
              '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Clearance Hub<br>'
              '<b>Sent:</b> Friday</div><div>Ana reported Arrived.</div></body></html>'),
    )
    _posts_alone(client, world, email, "li.wei@agency.example", "email", "Hello Ana & team,\n\nInspection is booked for Monday 09:00.\n"
                                           "Bring the packing list.")


def test_a_pdf_attachment_becomes_a_document_and_the_signature_logo_does_not(inbound_app, client, world):
    address = reply_address(world.agent.id, world.shipment.id)
    email = InboundEmailPost(
        sender="li.wei@agency.example", sender_name="Li Wei", to=address,
        subject="Re: ACME-001: Document requested: Commercial invoice [commercial_invoice]",
        text="Invoice attached.\n\n-- \nLi Wei | Shenzhen Agency\n",
        html=('<div>Invoice attached.</div><div>-- <br>Li Wei | Shenzhen Agency<br>'
              '<img src="cid:ii_logo01@mail.example" width="80"></div>'),
        files=[File("发票 INV-2026-118.pdf", "application/pdf", PDF),
               File("image001.png", "image/png", LOGO_PNG, content_id="ii_logo01@mail.example")],
    )
    assert email.post(client).json["outcome"] == "posted"

    documents = db.session.scalars(db.select(Document).where(Document.shipment_id == world.shipment.id)).all()
    assert [(d.doc_type, d.version_row().filename, d.created_by_id) for d in documents] == [
        ("commercial_invoice", "发票 INV-2026-118.pdf", world.agent.id)]
    version = documents[0].version_row()
    assert version.sha256 == hashlib.sha256(PDF).hexdigest() and version.content_type == "application/pdf"
    assert b"".join(get_storage().open(version.sha256)) == PDF
    db.session.expire_all()
    thread = db.session.scalars(db.select(Message).where(Message.shipment_id == world.shipment.id)
                                .order_by(Message.seq)).all()
    assert [(m.kind, m.via, m.body) for m in thread] == [
        ("text", "email", "Invoice attached."),
        ("document", "email", "Uploaded Commercial invoice: 发票 INV-2026-118.pdf"),
    ]
    [record] = records()
    assert record["status"] == "posted" and record["reason"] is None
    assert record["documents"] == [{"id": documents[0].id, "filename": "发票 INV-2026-118.pdf",
                                    "field": "attachment1"}]


def test_a_file_without_a_type_takes_the_only_open_requests(inbound_app, client, world):
    request_document(world.broker, world.shipment, {"doc_type": "packing_list"})
    address = reply_address(world.agent.id, world.shipment.id)
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=address,
                     subject="Re: ACME-001: Document requested: Packing list", text="",
                     files=[File("PL-118.pdf", "application/pdf", PDF)]).post(client)
    [document] = db.session.scalars(db.select(Document)).all()
    assert document.doc_type == "packing_list"
    assert db.session.scalars(db.select(DocumentRequest)).one().status == "fulfilled"
    assert thread_texts(world.shipment.id) == []  # a reply of a file only posts no text

    request_document(world.broker, world.shipment, {"doc_type": "certificate_of_origin"})
    request_document(world.broker, world.shipment, {"doc_type": "insurance_certificate"})
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=address, subject="Re: documents",
                     text="Here.", files=[File("scan.pdf", "application/pdf", PDF + b" ")]).post(client)
    assert db.session.scalars(db.select(Document).order_by(Document.id.desc())).first().doc_type == "other"


def test_the_same_email_delivered_twice_posts_once(inbound_app, client, world):
    address = reply_address(world.agent.id, world.shipment.id)
    email = InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=address,
                             subject="Re: ACME-001", text="Cleared, thanks.",
                             files=[File("release.pdf", "application/pdf", PDF)])
    first, second = email.post(client), email.post(client)
    assert first.json["outcome"] == "posted"
    assert second.status_code == 200 and second.json == {"outcome": "duplicate", "id": first.json["id"],
                                                          "reason": None}
    assert thread_texts(world.shipment.id) == [("li.wei@agency.example", "email", "Cleared, thanks.")]
    assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == 1
    assert len(records()) == 1
