"""Uploads that fail halfway leave nothing behind; concurrent new versions get distinct numbers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub.documents import services
from hub.documents.models import Document, DocumentVersion
from hub.documents.storage import LocalStorage
from hub.extensions import db
from hub.signals import document_uploaded
from hub.threads.models import Message
from tests.documents.conftest import PDF, new_version, upload

BIG_PDF = PDF + b"%" + b"0" * (1024 * 1024)  # several storage chunks


def rows() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                 for m in (Document, DocumentVersion, Message))


def files_under(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_storage_failing_mid_write_leaves_no_row_and_no_file(app, client, world, monkeypatch):
    written = []

    def failing_write(temp, chunk):
        if written:
            raise OSError(5, "Input/output error")
        written.append(len(chunk))
        temp.write(chunk)

    monkeypatch.setattr(LocalStorage, "_write", staticmethod(failing_write))
    response = upload(client, world.headers("agent"), world.shipment.id, content=BIG_PDF)
    assert response.status_code == 503 and response.json["error"]["code"] == "unavailable"
    assert written, "the failure happened after part of the file was written"
    assert rows() == (0, 0, 0)
    assert files_under(app) == []


def test_a_failing_transaction_after_the_write_removes_the_new_file(app, client, world):
    def explode(_sender, **_kwargs):
        raise RuntimeError("subscriber failed inside the transaction")

    document_uploaded.connect(explode)
    try:
        response = upload(client, world.headers("agent"), world.shipment.id, content=BIG_PDF)
    finally:
        document_uploaded.disconnect(explode)
    assert response.status_code == 500
    assert rows() == (0, 0, 0)
    assert files_under(app) == []


def test_a_failing_transaction_keeps_a_file_other_documents_use(app, client, world):
    kept = upload(client, world.headers("agent"), world.shipment.id).json

    def explode(_sender, **_kwargs):
        raise RuntimeError("subscriber failed")

    document_uploaded.connect(explode)
    try:
        assert new_version(client, world.headers("agent"), kept["id"], content=PDF).status_code == 500
    finally:
        document_uploaded.disconnect(explode)
    assert client.get(f"/api/v1/documents/{kept['id']}/download", headers=world.headers("broker")).data == PDF
    assert len(files_under(app)) == 1


def test_concurrent_new_versions_get_the_next_two_numbers(app, world, monkeypatch):
    doc = upload(app.test_client(), world.headers("agent"), world.shipment.id).json
    document_id = doc["id"]
    db.session.rollback()

    # Both requests finish storing their file before either starts its transaction, and each
    # lingers inside it, so without the lock both would read version 1 and write version 2.
    barrier = threading.Barrier(2, timeout=10)
    original_put = LocalStorage.put
    original_fulfil = services._fulfil_requests

    def put_then_wait(self, sha256, source, content_type):
        result = original_put(self, sha256, source, content_type)
        barrier.wait()
        return result

    def slow_fulfil(shipment_id, document):
        time.sleep(0.3)
        original_fulfil(shipment_id, document)

    monkeypatch.setattr(LocalStorage, "put", put_then_wait)
    monkeypatch.setattr(services, "_fulfil_requests", slow_fulfil)
    answers: list[tuple[int, dict]] = []

    def send(n: int) -> None:
        client = FlaskClient(app, app.response_class)
        response = new_version(client, world.headers("agent" if n else "staff"), document_id,
                               content=PDF + f"% version from thread {n}".encode())
        answers.append((response.status_code, response.json))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(status for status, _ in answers) == [201, 201], answers
    assert sorted(body["version"] for _, body in answers) == [2, 3]
    versions = db.session.scalars(select(DocumentVersion.version).where(DocumentVersion.document_id == document_id)
                                  .order_by(DocumentVersion.version)).all()
    assert versions == [1, 2, 3]
    assert db.session.get(Document, document_id).current_version == 3


def test_a_file_missing_from_storage_is_503_not_a_crash(app, client, world):
    doc = upload(client, world.headers("agent"), world.shipment.id).json
    for path in files_under(app):
        path.unlink()
    response = client.get(f"/api/v1/documents/{doc['id']}/download", headers=world.headers("broker"))
    assert response.status_code == 503 and response.json["error"]["code"] == "unavailable"
