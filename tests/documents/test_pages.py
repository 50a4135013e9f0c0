"""The documents panel of the shipment page and the admins' rules page, through a browser session."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from hub.documents.models import DocumentRequest, DocumentRuleOverride, DocumentVersion
from hub.extensions import db
from tests import factories
from tests.documents.conftest import PDF, PE_EXECUTABLE
from tests.documents.factories import document


def signed_in(client, user) -> str:
    return factories.login(client, user)


def page(client, world) -> str:
    response = client.get(f"/shipments/{world.shipment.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_panel_shows_checklist_documents_and_forms(client, world):
    doc_id = document(world)
    signed_in(client, world.broker)
    html = page(client, world)
    assert 'id="documents"' in html and "/static/documents." in html
    assert re.search(r'data-doc-type="commercial_invoice" data-state="received"', html)
    assert re.search(r'data-doc-type="bill_of_lading" data-state="missing"', html)
    assert f"/api/v1/documents/{doc_id}/download" in html
    assert "Drop files here" in html and 'name="file" multiple' in html
    assert f"/documents/{doc_id}/review" in html and 'name="reason" required' in html
    assert "Request a document" in html


def test_an_observer_sees_documents_but_no_forms(client, world):
    document(world)
    signed_in(client, world.observer)
    html = page(client, world)
    assert "/download" in html
    assert "Drop files here" not in html and "/review" not in html and "Request a document" not in html


def test_the_uploader_is_not_offered_to_review_their_own_upload(client, world):
    doc_id = document(world, uploader=world.broker)
    signed_in(client, world.broker)
    assert f"/documents/{doc_id}/review" not in page(client, world)


def test_forms_work_without_javascript(client, world):
    csrf = signed_in(client, world.agent)
    response = client.post(
        f"/shipments/{world.shipment.id}/documents/upload",
        data={"csrf_token": csrf, "doc_type": "packing_list",
              "file": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF + b"2"), "b.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert len(db.session.scalars(select(DocumentVersion)).all()) == 2
    refused = client.post(
        f"/shipments/{world.shipment.id}/documents/upload",
        data={"csrf_token": csrf, "doc_type": "other", "file": (io.BytesIO(PE_EXECUTABLE), "x.pdf")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    assert "are not accepted" in refused.get_data(as_text=True)
    client.post(f"/shipments/{world.shipment.id}/document-requests",
                data={"csrf_token": csrf, "doc_type": "cmr", "due_date": "2026-12-24", "note": "Please"})
    assert [(r.doc_type, r.due_date.isoformat()) for r in db.session.scalars(select(DocumentRequest))] == [
        ("cmr", "2026-12-24")]


def test_rejecting_on_the_page_needs_a_reason(client, world):
    doc_id = document(world)
    csrf = signed_in(client, world.broker)
    answer = client.post(f"/documents/{doc_id}/review", data={"csrf_token": csrf, "decision": "reject"},
                         follow_redirects=True)
    assert "reason is required to reject" in answer.get_data(as_text=True)
    client.post(f"/documents/{doc_id}/review", data={"csrf_token": csrf, "decision": "reject", "reason": "Blurred"})
    version = db.session.scalars(select(DocumentVersion)).one()
    db.session.refresh(version)
    assert (version.status, version.review_reason) == ("rejected", "Blurred")


def test_a_completed_checklist_offers_the_milestone_button(client, world):
    for doc_type in ("commercial_invoice", "packing_list", "bill_of_lading"):
        doc_id = document(world, doc_type=doc_type, content=PDF + doc_type.encode())
        from hub.documents.models import Document
        from hub.documents.services import review_document

        review_document(world.broker, db.session.get(Document, doc_id), {"decision": "accept"})
    signed_in(client, world.staff)
    html = page(client, world)
    assert "data-record-documents-complete" in html
    assert f'data-milestones-url="/api/v1/shipments/{world.shipment.id}/milestones"' in html


def test_admins_manage_rule_overrides_on_their_page(client, world):
    csrf = signed_in(client, world.admin)
    html = client.get("/admin/document-rules").get_data(as_text=True)
    assert "Phytosanitary certificate" in html and "Germany" in html
    client.post("/admin/document-rules", data={"csrf_token": csrf, "effect": "require",
                                              "doc_type": "insurance_certificate", "destination_country": "de"})
    override = db.session.scalars(select(DocumentRuleOverride)).one()
    assert (override.destination_country, override.organization_id) == ("DE", world.admin.organization_id)
    assert "Certificate of conformity" in client.get("/admin/document-rules").get_data(as_text=True)
    client.post(f"/admin/document-rules/{override.id}/delete", data={"csrf_token": csrf})
    assert db.session.scalars(select(DocumentRuleOverride)).all() == []


def test_coordinators_may_not_open_the_rules_page(client, world):
    signed_in(client, world.staff)
    response = client.get("/admin/document-rules", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Only admins may do this." in html and "Add an override" not in html
