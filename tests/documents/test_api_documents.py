"""Uploading, listing, downloading, versioning and withdrawing documents through the API."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from hub.audit.models import AuditLog
from hub.documents.models import Document, DocumentVersion
from hub.extensions import db
from hub.threads.models import Message
from tests.conftest import HubTestClient, make_app
from tests.documents.conftest import PDF, PE_EXECUTABLE, PNG, new_version, upload


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_answers_the_document_object(client, world):
    response = upload(client, world.headers("agent"), world.shipment.id, note="Signed copy")
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"id", "doc_type", "version", "filename", "size", "sha256", "content_type",
                         "uploaded_by", "uploaded_at", "status"}
    assert body["doc_type"] == "commercial_invoice" and body["version"] == 1
    assert body["filename"] == "invoice.pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf" and body["status"] == "received"
    assert body["uploaded_by"] == {"id": world.agent.id, "name": world.agent.name}
    assert body["uploaded_at"].endswith("Z")


def test_the_stored_content_type_is_the_sniffed_one_not_the_clients(client, world):
    data = {"file": (io.BytesIO(PNG), "scan.pdf", "application/pdf"), "doc_type": "packing_list"}
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/documents", data=data,
                           headers=world.headers("broker"), content_type="multipart/form-data")
    assert response.status_code == 201
    assert response.json["content_type"] == "image/png"
    download = client.get(f"/api/v1/documents/{response.json['id']}/download", headers=world.headers("staff"))
    assert download.headers["Content-Type"] == "image/png"


def test_list_and_history_show_every_version(client, world):
    first = upload(client, world.headers("agent"), world.shipment.id).json
    upload(client, world.headers("broker"), world.shipment.id, content=PNG, filename="list.png", doc_type="packing_list")
    second = new_version(client, world.headers("staff"), first["id"], content=PDF + b"v2", note="corrected")
    assert second.status_code == 201 and second.json["version"] == 2 and second.json["id"] == first["id"]
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/documents", headers=world.headers("observer"))
    assert listing.status_code == 200
    assert [(d["doc_type"], d["version"]) for d in listing.json["items"]] == [("commercial_invoice", 2), ("packing_list", 1)]
    history = client.get(f"/api/v1/documents/{first['id']}", headers=world.headers("observer")).json
    assert history["document"]["version"] == 2
    assert [(v["version"], v["uploaded_by"]["id"], v["note"]) for v in history["versions"]] == [
        (1, world.agent.id, None), (2, world.staff.id, "corrected")]


def test_older_versions_stay_downloadable(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    new_version(client, world.headers("agent"), doc["id"], content=PDF + b"% second")
    headers = world.headers("broker")
    assert client.get(f"/api/v1/documents/{doc['id']}/download", headers=headers).data == PDF + b"% second"
    assert client.get(f"/api/v1/documents/{doc['id']}/download?version=1", headers=headers).data == PDF
    missing = client.get(f"/api/v1/documents/{doc['id']}/download?version=3", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/documents/{doc['id']}/download?version=two", headers=headers)
    assert bad.status_code == 422 and "version" in bad.json["error"]["fields"]


def test_download_is_an_attachment_with_nosniff_and_a_unicode_safe_name(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id, filename="发票 2026.pdf").json
    assert doc["filename"] == "发票 2026.pdf"
    response = client.get(f"/api/v1/documents/{doc['id']}/download", headers=world.headers("broker"))
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('发票 2026.pdf', safe='')}" in disposition
    assert 'filename="' in disposition and "/" not in disposition.split('filename="')[1].split('"')[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Length"] == str(len(PDF))


def test_every_upload_download_and_withdrawal_is_audited(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    new_version(client, world.headers("agent"), doc["id"])
    client.get(f"/api/v1/documents/{doc['id']}/download?version=1", headers=world.headers("broker"))
    client.delete(f"/api/v1/documents/{doc['id']}", headers=world.headers("agent"))
    rows = db.session.scalars(select(AuditLog).where(AuditLog.target_type == "document").order_by(AuditLog.id)).all()
    assert [(r.action, r.actor_id) for r in rows] == [
        ("document.upload", world.agent.id), ("document.version", world.agent.id),
        ("document.download", world.broker.id), ("document.withdraw", world.agent.id)]
    assert rows[2].details["version"] == 1 and all(r.shipment_id == world.shipment.id for r in rows)


def test_uploads_post_document_messages_into_the_thread(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id, filename="inv_*bold*.pdf").json
    new_version(client, world.headers("agent"), doc["id"], filename="inv-v2.pdf")
    messages = db.session.scalars(select(Message).where(Message.shipment_id == world.shipment.id).order_by(Message.seq)).all()
    assert [(m.kind, m.author_id) for m in messages] == [("document", world.agent.id)] * 2
    assert "Commercial invoice" in messages[0].body and "<strong>" not in messages[0].body_html
    assert "version 2" in messages[1].body and "inv-v2.pdf" in messages[1].body


@pytest.mark.parametrize("who", ["outsider", "other_staff"])
def test_someone_who_cannot_see_the_shipment_gets_404_everywhere(client, world, who):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    headers = world.headers(who)
    for response in (
        client.get(f"/api/v1/shipments/{world.shipment.id}/documents", headers=headers),
        client.get(f"/api/v1/documents/{doc['id']}", headers=headers),
        client.get(f"/api/v1/documents/{doc['id']}/download", headers=headers),
        client.get(f"/api/v1/documents/{doc['id']}/download?version=1", headers=headers),
        upload(client, headers, world.shipment.id),
        new_version(client, headers, doc["id"]),
        client.delete(f"/api/v1/documents/{doc['id']}", headers=headers),
        client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "accept"}, headers=headers),
    ):
        assert response.status_code == 404, response.json
        assert response.json["error"]["code"] == "not_found"
    assert count(DocumentVersion) == 1
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "document.download")) == 0


def test_an_observer_reads_but_may_not_upload(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    headers = world.headers("observer")
    assert client.get(f"/api/v1/documents/{doc['id']}/download", headers=headers).status_code == 200
    # Authorization comes before validation: even a bad body is 403.
    for response in (upload(client, headers, world.shipment.id, doc_type="nonsense"),
                     new_version(client, headers, doc["id"]),
                     client.post(f"/api/v1/shipments/{world.shipment.id}/documents", headers=headers, json={})):
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert count(DocumentVersion) == 1


def test_an_empty_file_is_422_and_stores_nothing(app, client, world):
    response = upload(client, world.headers("agent"), world.shipment.id, content=b"")
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]
    assert count(Document) == 0 and stored_files(app) == []


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (PE_EXECUTABLE, "invoice.pdf"),
        (b"<html><body><script>alert(document.cookie)</script></body></html>", "invoice.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "stamp.png"),
        (b'<?xml version="1.0"?><Invoice/>', "invoice.csv"),
    ],
)
def test_disallowed_types_are_415_and_store_nothing(app, client, world, content, filename):
    response = upload(client, world.headers("agent"), world.shipment.id, content=content, filename=filename)
    assert response.status_code == 415 and response.json["error"]["code"] == "unsupported_media_type"
    assert count(Document) == 0 and count(Message) == 0 and stored_files(app) == []


def test_csv_is_told_from_text_by_its_extension_after_sniffing(client, world):
    csv = upload(client, world.headers("agent"), world.shipment.id, content=b"sku,qty\nA,1\n",
                 filename="lines.csv", doc_type="packing_list").json
    txt = upload(client, world.headers("agent"), world.shipment.id, content=b"sku,qty\nA,1\n",
                 filename="lines.txt", doc_type="packing_list").json
    assert csv["content_type"] == "text/csv" and txt["content_type"] == "text/plain"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        ("x" * 400 + ".pdf", "x" * 251 + ".pdf"),
        ("Rechnung für März.pdf", "Rechnung für März.pdf"),
    ],
)
def test_filenames_are_sanitized_and_files_stay_inside_upload_dir(app, client, world, raw, expected):
    response = upload(client, world.headers("agent"), world.shipment.id, filename=raw)
    assert response.status_code == 201
    assert response.json["filename"] == expected
    root = Path(app.config["UPLOAD_DIR"]).resolve()
    files = stored_files(app)
    assert len(files) == 1 and files[0].resolve().is_relative_to(root)
    assert files[0].name == response.json["sha256"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"doc_type": "passport"}, "doc_type"),
        ({}, "doc_type"),
        ({"doc_type": "other", "colour": "red"}, "colour"),
        ({"doc_type": "other", "note": "n" * 2001}, "note"),
    ],
)
def test_missing_unknown_or_invalid_fields_are_422(client, world, data, field):
    form = {"file": (io.BytesIO(PDF), "a.pdf")} | data
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/documents", data=form,
                           headers=world.headers("agent"), content_type="multipart/form-data")
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert count(Document) == 0


def test_a_missing_file_is_422_and_a_json_body_400(client, world):
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/documents", data={"doc_type": "other"},
                           headers=world.headers("agent"), content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["error"]["fields"]["file"] == "is required"
    response = client.post(f"/api/v1/shipments/{world.shipment.id}/documents", json={"doc_type": "other"},
                           headers=world.headers("agent"))
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_request"


@pytest.fixture
def small_client(database_url, tmp_path, app):
    """A client of an app allowing uploads of 1 MB."""
    small = make_app(database_url, tmp_path / "small", MAX_UPLOAD_MB=1)
    small.test_client_class = HubTestClient
    return small, small.test_client()


def release_session(world) -> int:
    """The shipment's id, with the fixture app's session closed: on SQLite a second app on the
    same file could not write while that session holds a transaction."""
    shipment_id = world.shipment.id
    db.session.rollback()
    return shipment_id


def test_size_limit_is_413_with_nothing_stored(small_client, world):
    small, client = small_client
    shipment_id = release_session(world)
    limit = 1024 * 1024
    exactly = PDF + b"0" * (limit - len(PDF))
    ok = upload(client, world.headers("agent"), shipment_id, content=exactly)
    assert ok.status_code == 201 and ok.json["size"] == limit
    # One byte over the limit, still inside the multipart envelope margin: refused by the hub.
    over = upload(client, world.headers("agent"), shipment_id, content=exactly + b"1")
    assert over.status_code == 413 and over.json["error"]["code"] == "payload_too_large"
    # Far over: refused on the request's length, still as a JSON error.
    huge = upload(client, world.headers("agent"), shipment_id, content=exactly + b"1" * 200_000)
    assert huge.status_code == 413 and huge.json["error"]["code"] == "payload_too_large"
    assert count(DocumentVersion) == 1
    assert len(stored_files(small)) == 1


def test_withdrawing_hides_the_document_everywhere_but_keeps_it(app, client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    same_bytes = upload(client, world.headers("broker"), world.shipment.id, doc_type="other").json
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=world.headers("broker")).status_code == 403
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=world.headers("observer")).status_code == 403
    response = client.delete(f"/api/v1/documents/{doc['id']}", headers=world.headers("agent"))
    assert response.status_code == 204
    headers = world.headers("staff")
    for gone in (
        client.get(f"/api/v1/documents/{doc['id']}", headers=headers),
        client.get(f"/api/v1/documents/{doc['id']}/download", headers=headers),
        client.delete(f"/api/v1/documents/{doc['id']}", headers=headers),
        new_version(client, headers, doc["id"]),
        client.post(f"/api/v1/documents/{doc['id']}/review", json={"decision": "accept"}, headers=world.headers("broker")),
    ):
        assert gone.status_code == 404
    listing = client.get(f"/api/v1/shipments/{world.shipment.id}/documents", headers=headers).json
    assert [d["id"] for d in listing["items"]] == [same_bytes["id"]]
    # Kept for the audit trail, and the shared stored file is still there for the other document.
    assert db.session.get(Document, doc["id"]).withdrawn_at is not None
    assert client.get(f"/api/v1/documents/{same_bytes['id']}/download", headers=headers).data == PDF
    assert len(stored_files(app)) == 1


def test_the_owners_staff_may_withdraw_a_partners_upload(client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    assert client.delete(f"/api/v1/documents/{doc['id']}", headers=world.headers("admin")).status_code == 204


def test_signals_carry_the_documented_kwargs_inside_the_transaction(client, world):
    from hub.signals import document_uploaded

    seen = []

    def receiver(sender, **kwargs):
        # Inside the writing transaction: the version row is visible to this session already.
        version = db.session.scalar(select(DocumentVersion).where(DocumentVersion.document_id == kwargs["document_id"],
                                                                  DocumentVersion.version == kwargs["version"]))
        seen.append((sender.id, kwargs, version is not None))

    document_uploaded.connect(receiver)
    try:
        doc = upload(client, world.headers("agent"), world.shipment.id).json
        new_version(client, world.headers("agent"), doc["id"], filename="v2.pdf")
    finally:
        document_uploaded.disconnect(receiver)
    assert [(s, k["version"], k["filename"], ok) for s, k, ok in seen] == [
        (world.shipment.id, 1, "invoice.pdf", True), (world.shipment.id, 2, "v2.pdf", True)]
    assert set(seen[0][1]) == {"actor", "document_id", "doc_type", "label", "filename", "version"}
    assert seen[0][1]["actor"].id == world.agent.id and seen[0][1]["label"] == "Commercial invoice"


def test_the_s3_backend_serves_uploads_end_to_end(database_url, tmp_path, app, world, s3_settings):
    s3_app = make_app(database_url, tmp_path / "s3", **s3_settings)
    s3_app.test_client_class = HubTestClient
    client = s3_app.test_client()
    doc = upload(client, world.headers("agent"), release_session(world)).json
    assert client.get(f"/api/v1/documents/{doc['id']}/download", headers=world.headers("broker")).data == PDF
    import boto3

    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3_settings["S3_ENDPOINT_URL"], region_name="us-east-1")
            .list_objects_v2(Bucket=s3_settings["S3_BUCKET"]).get("Contents", [])]
    assert keys == [f"documents/{doc['sha256']}"]
    assert not Path(s3_app.config["UPLOAD_DIR"]).exists()
