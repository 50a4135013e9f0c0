"""Fixtures of the documents tests: sample files, an upload helper, a local S3-compatible server."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

# The real-server and Chromium fixtures of the milestones area's browser tests, shared by ours.
from tests.milestones.test_browser import browser, live, servers  # noqa: F401
from tests.services import unavailable

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def docx_bytes() -> bytes:
    """A minimal Office Open XML word-processing file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def upload(client: Any, headers: dict[str, str], shipment_id: int, content: bytes = PDF,
           filename: str = "invoice.pdf", doc_type: str | None = "commercial_invoice", **fields: Any) -> Any:
    """POST a multipart upload of one file to the shipment."""
    data: dict[str, Any] = {"file": (io.BytesIO(content), filename)} | fields
    if doc_type is not None:
        data["doc_type"] = doc_type
    return client.post(f"/api/v1/shipments/{shipment_id}/documents", data=data, headers=headers,
                       content_type="multipart/form-data")


def new_version(client: Any, headers: dict[str, str], document_id: int, content: bytes = PDF,
                filename: str = "invoice-v2.pdf", **fields: Any) -> Any:
    """POST a multipart new version of a document."""
    data: dict[str, Any] = {"file": (io.BytesIO(content), filename)} | fields
    return client.post(f"/api/v1/documents/{document_id}/versions", data=data, headers=headers,
                       content_type="multipart/form-data")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3-compatible server on 127.0.0.1, started for this test run."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    else:
        process.kill()
        unavailable("the moto S3 server did not start")
    if process.poll() is not None:
        unavailable("the moto S3 server exited at start-up (is moto[server] installed?)")
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_settings(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings of a fresh bucket on the local S3 server (dummy credentials, local only)."""
    import uuid

    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"hub-docs-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": "us-east-1"}
