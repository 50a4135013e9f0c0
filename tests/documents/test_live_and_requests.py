"""Documents live and right: every change reaches the shipment's room after the commit, a
request can be addressed to one participant, and a rejected document reopens its request."""

from __future__ import annotations

from sqlalchemy import select

from hub.documents.models import DocumentRequest
from hub.extensions import db, socketio
from hub.notifications.models import NotificationPreference, OutboxEmail
from tests.documents.conftest import PDF, new_version, upload


def _events(client, name: str) -> list[dict]:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def _joined(app, world, who: str = "observer"):
    client = socketio.test_client(app, auth={"token": world.tokens[who]})
    assert client.is_connected()
    answer = client.emit("join", {"shipment_id": world.shipment.id}, callback=True)
    assert answer["ok"], answer
    client.get_received()
    return client


def test_upload_version_review_request_and_withdrawal_reach_the_room(app, client, world):
    watcher = _joined(app, world)
    created = upload(client, world.headers("agent"), world.shipment.id)
    assert created.status_code == 201
    [event] = _events(watcher, "document")
    assert event["action"] == "uploaded" and event["document_id"] == created.json["id"]
    assert event["document"]["filename"] == "invoice.pdf"
    assert {"items", "complete"} <= set(event["checklist"])

    assert new_version(client, world.headers("agent"), created.json["id"]).status_code == 201
    assert [e["action"] for e in _events(watcher, "document")] == ["version"]

    review = client.post(f"/api/v1/documents/{created.json['id']}/review", headers=world.headers("broker"),
                         json={"decision": "accept"})
    assert review.status_code == 200
    [reviewed] = _events(watcher, "document")
    assert reviewed["action"] == "reviewed" and reviewed["document"]["status"] == "accepted"

    asked = client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("broker"),
                        json={"doc_type": "packing_list", "assignee_id": world.agent.id})
    assert asked.status_code == 201
    [requested] = _events(watcher, "document_request")
    assert requested["action"] == "requested" and requested["request"]["assignee"]["id"] == world.agent.id

    assert client.delete(f"/api/v1/documents/{created.json['id']}", headers=world.headers("agent")).status_code == 204
    [withdrawn] = _events(watcher, "document")
    assert withdrawn["action"] == "withdrawn" and withdrawn["document"] is None
    watcher.disconnect()


def test_a_refused_upload_emits_nothing(app, client, world):
    watcher = _joined(app, world)
    assert upload(client, world.headers("agent"), world.shipment.id, content=b"MZ\x90\x00" + b"\x00" * 64,
                  filename="x.exe").status_code == 415
    assert _events(watcher, "document") == []
    watcher.disconnect()


def test_a_request_addressed_to_a_non_participant_is_422_and_changes_nothing(client, world):
    for bad in (world.outsider.id, 999_999, "x", True):
        answer = client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests",
                             headers=world.headers("broker"), json={"doc_type": "packing_list", "assignee_id": bad})
        assert answer.status_code == 422, bad
        assert "assignee_id" in answer.json["error"]["fields"]
    assert db.session.scalars(select(DocumentRequest)).all() == []


def test_an_addressed_request_emails_only_the_assignee_and_the_staff(client, world):
    answer = client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests",
                         headers=world.headers("broker"),
                         json={"doc_type": "packing_list", "assignee_id": world.agent.id})
    assert answer.status_code == 201
    assert answer.json["assignee"] == {"id": world.agent.id, "name": world.agent.name}
    emailed = {row.to_email for row in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "document_requested"))}
    # The observer (a participant, not asked, not staff) is not emailed; the staff coordinator is.
    assert emailed == {world.agent.email, world.staff.email}


def test_a_request_whose_only_document_is_rejected_opens_again(client, world):
    asked = client.post(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("broker"),
                        json={"doc_type": "commercial_invoice"})
    created = upload(client, world.headers("agent"), world.shipment.id)
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("broker"))
    assert listing.json["items"][0]["status"] == "fulfilled"
    client.post(f"/api/v1/documents/{created.json['id']}/review", headers=world.headers("broker"),
                json={"decision": "reject", "reason": "Unsigned"})
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("broker"))
    [item] = listing.json["items"]
    assert (item["id"], item["status"], item["document_id"]) == (asked.json["id"], "open", None)
    # A corrected version fulfils it again.
    assert new_version(client, world.headers("agent"), created.json["id"], content=PDF + b"2").status_code == 201
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/document-requests", headers=world.headers("broker"))
    assert listing.json["items"][0]["status"] == "fulfilled"


def test_a_partners_upload_emails_staff_who_want_everything(client, world):
    preference = NotificationPreference(user_id=world.staff.id, shipment_id=None, level="milestones",
                                        muted_milestones=[])
    db.session.add(preference)
    db.session.commit()
    upload(client, world.headers("agent"), world.shipment.id)
    assert db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "document_uploaded")).all() == []
    preference.level = "all"
    db.session.add(NotificationPreference(user_id=world.broker.id, shipment_id=None, level="all", muted_milestones=[]))
    db.session.commit()
    upload(client, world.headers("agent"), world.shipment.id, content=PDF + b"2", filename="packing.pdf",
           doc_type="packing_list")
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "document_uploaded")).all()
    assert [row.to_email for row in rows] == [world.staff.email]  # the broker is a partner, not staff
    assert "packing.pdf" in rows[0].text_body and rows[0].subject == "ACME-001: Document uploaded: Packing list"
    # The staff's own uploads are not emailed to them or their colleagues.
    upload(client, world.headers("staff"), world.shipment.id, content=PDF + b"3", filename="own.pdf")
    assert len(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "document_uploaded")).all()) == 1


def test_the_preview_is_inline_sandboxed_and_as_private_as_the_download(client, world):
    from tests import factories
    from tests.documents.conftest import PNG, docx_bytes

    pdf = upload(client, world.headers("agent"), world.shipment.id).json["id"]
    png = upload(client, world.headers("agent"), world.shipment.id, content=PNG, filename="seal.png",
                 doc_type="packing_list").json["id"]
    docx = upload(client, world.headers("agent"), world.shipment.id, content=docx_bytes(), filename="c.docx",
                  doc_type="sales_contract").json["id"]
    assert client.get(f"/documents/{pdf}/preview").status_code == 302  # to the sign-in page
    factories.login(client, world.observer)
    answer = client.get(f"/documents/{pdf}/preview")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    assert answer.headers["Content-Disposition"].startswith("inline;")
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "private" in answer.headers["Cache-Control"]
    assert client.get(f"/documents/{png}/preview").headers["Content-Type"] == "image/png"
    refused = client.get(f"/documents/{docx}/preview", headers={"Accept": "application/json"})
    assert refused.status_code == 415 and refused.json["error"]["code"] == "unsupported_media_type"
    assert client.get(f"/documents/{pdf}/preview?version=9").status_code == 404
    for stranger in (world.outsider, world.other_staff):
        other = client.application.test_client()
        factories.login(other, stranger)
        assert other.get(f"/documents/{pdf}/preview").status_code == 404
    client.delete(f"/api/v1/documents/{pdf}", headers=world.headers("agent"))
    assert client.get(f"/documents/{pdf}/preview").status_code == 404  # withdrawn


def test_the_panel_offers_previews_and_the_assignee_choice(client, world):
    from tests import factories

    upload(client, world.headers("agent"), world.shipment.id)
    token = factories.login(client, world.broker)
    html = client.get(f"/shipments/{world.shipment.id}").get_data(as_text=True)
    assert 'class="doc-preview"' in html and "/preview?version=1" in html
    assert 'name="assignee_id"' in html and f'value="{world.agent.id}"' in html
    answer = client.post(f"/shipments/{world.shipment.id}/document-requests",
                         data={"doc_type": "packing_list", "assignee_id": str(world.agent.id),
                               "csrf_token": token})
    assert answer.status_code == 302
    assert db.session.scalars(select(DocumentRequest)).one().assignee_id == world.agent.id
