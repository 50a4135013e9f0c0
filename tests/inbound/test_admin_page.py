"""Admins see every email received for their shipments' threads on the "Inbound email" page:
sender, shipment, outcome, reason and time; nobody else does."""

from __future__ import annotations

import html as html_module
import re

from hub.inbound.tokens import reply_address
from tests import factories
from tests.inbound.conftest import DOMAIN, InboundEmailPost, records


def test_admins_see_refusals_with_sender_shipment_reason_and_time(inbound_app, client, world):
    address = reply_address(world.agent.id, world.shipment.id)
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=address, subject="Re: ACME-001",
                     text="Posted fine.").post(client)
    InboundEmailPost(sender="jonas@brokers.example", sender_name="Jonas", to=address, subject="Re: forwarded",
                     text="Not mine to answer.").post(client)
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=f"reply+zzz@{DOMAIN}",
                     subject="Re: old thread", text="Lost?").post(client)
    assert [r["reason"] for r in records()] == [None, "sender_mismatch", "unknown_token"]

    factories.session_for(client, world.admin)
    page = client.get("/admin/inbound-email")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/admin/inbound-email"' in html  # in the admins' navigation
    rows = re.findall(r'<tr class="inbound-(\w+)">(.*?)</tr>', html, re.S)
    assert [status for status, _ in rows] == ["rejected", "rejected", "posted"]  # newest first
    unknown, mismatch, posted = (html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells))).strip()
                                 for _s, cells in rows)
    # No token: no user or shipment is known for it.
    assert "li.wei@agency.example —" in unknown and "not sent to a reply address of this hub" in unknown
    # The token's recipient (Li Wei) and shipment are known, the sender is someone else.
    assert "jonas@brokers.example (answering the email to Li Wei)" in mismatch and "ACME-001" in mismatch
    assert "sent from an address other than the recipient's: from jonas@brokers.example" in mismatch
    assert "ACME-001" in posted and "posted" in posted
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC</time>', rows[0][1])

    for who in (world.staff, world.agent):
        factories.session_for(client, who)
        refused = client.get("/admin/inbound-email")
        assert refused.status_code in (302, 403) and "jonas@brokers.example" not in refused.get_data(as_text=True)
    factories.session_for(client, None)
    assert client.get("/admin/inbound-email").status_code == 302  # to sign-in


def test_other_shippers_admins_do_not_see_our_shipments_emails(inbound_app, client, world):
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei",
                     to=reply_address(world.agent.id, world.shipment.id), subject="Re: ACME-001",
                     text="For Acme only.").post(client)
    rival_admin = factories.user(world.other_staff.organization, "admin", "root@rival.example")
    factories.session_for(client, rival_admin)
    html = client.get("/admin/inbound-email").get_data(as_text=True)
    assert "li.wei@agency.example" not in html and "No email received yet." in html


def test_an_email_for_no_known_shipment_shows_only_to_admins_who_see_its_sender(inbound_app, client, world):
    # From a partner of ours with no reply token, and from a stranger: neither names a shipment.
    InboundEmailPost(sender="li.wei@agency.example", sender_name="Li Wei", to=f"reply+zzz@{DOMAIN}",
                     subject="Re: our old thread", text="Lost?").post(client)
    InboundEmailPost(sender="someone@elsewhere.example", sender_name="Someone", to=f"reply+yyy@{DOMAIN}",
                     subject="Re: their thread", text="Also lost").post(client)
    assert [r["reason"] for r in records()] == ["unknown_token", "unknown_token"]

    factories.session_for(client, world.admin)
    ours = client.get("/admin/inbound-email").get_data(as_text=True)
    assert "li.wei@agency.example" in ours and "someone@elsewhere.example" not in ours
    rival_admin = factories.user(world.other_staff.organization, "admin", "root@rival.example")
    factories.session_for(client, rival_admin)
    theirs = client.get("/admin/inbound-email").get_data(as_text=True)
    assert "li.wei@agency.example" not in theirs and "someone@elsewhere.example" not in theirs
