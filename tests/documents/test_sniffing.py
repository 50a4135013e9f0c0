"""Telling a file's type from its bytes, and sanitizing file names."""

from __future__ import annotations

import io

import pytest

from hub.documents.sniffing import sanitize_filename, sniff_content_type
from hub.errors import UnsupportedMediaType
from tests.documents.conftest import PDF, PE_EXECUTABLE, PNG, docx_bytes


def sniff(data: bytes, name: str = "upload.bin") -> str:
    return sniff_content_type(io.BytesIO(data), name)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PDF, "scan.jpg", "application/pdf"),
        (PNG, "photo.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "x.png", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "fax", "image/tiff"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "application/vnd.ms-excel"),
        (docx_bytes(), "contract.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("Plain notes, 发票 included\n".encode(), "notes.txt", "text/plain"),
        (b"sku;qty\nA-1;10\n", "lines.csv", "text/csv"),
        (b"sku;qty\nA-1;10\n", "lines.txt", "text/plain"),
        (b"\xef\xbb\xbfsku,qty\n", "bom.CSV", "text/csv"),
    ],
)
def test_allowed_types_are_told_by_their_bytes(data: bytes, name: str, expected: str):
    assert sniff(data, name) == expected


def test_an_opendocument_file_is_recognised():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert sniff(buffer.getvalue(), "sheet.ods") == "application/vnd.oasis.opendocument.spreadsheet"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PE_EXECUTABLE, "invoice.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "packing.txt"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "invoice.pdf"),
        (b"  <html><body>hi</body></html>", "notes.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png"),
        (b'<?xml version="1.0"?><invoice/>', "invoice.csv"),
        (b"name,comment\nx,<script>alert(1)</script>\n", "list.csv"),
        (b"PK\x03\x04" + b"\x00" * 60, "archive.docx"),
        (bytes(range(256)) * 4, "random.pdf"),
    ],
)
def test_disallowed_content_is_refused_whatever_its_name(data: bytes, name: str):
    with pytest.raises(UnsupportedMediaType):
        sniff(data, name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\ana\\Desktop\\invoice.pdf", "invoice.pdf"),
        ("/absolute/path/packing list.pdf", "packing list.pdf"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("  .hidden.pdf", "hidden.pdf"),
        ("in\x00vo\x1bice\n.pdf", "invoice.pdf"),
        ("发票 2026.pdf", "发票 2026.pdf"),
        ("e\u0301tude.pdf", "\u00e9tude.pdf"),  # NFC
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # no right-to-left override spoofing
    ],
)
def test_filenames_are_sanitized(raw: str | None, expected: str):
    assert sanitize_filename(raw) == expected


def test_very_long_names_are_cut_to_255_bytes_keeping_the_extension():
    name = sanitize_filename("a" * 1000 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) == 255
    unicode_name = sanitize_filename("发" * 300 + ".xlsx")
    assert unicode_name.endswith(".xlsx") and len(unicode_name.encode()) <= 255
    assert unicode_name[:-5] == "发" * len(unicode_name[:-5])  # no broken character at the cut
