"""What an uploaded file really is, told from its bytes (never from the client's content type or
the file name's extension), and safe file names.

Allowed: PDF, PNG, JPEG, TIFF, WebP, Office (legacy OLE2 and Office Open XML), OpenDocument, CSV and
plain text. Text that a browser could treat as markup (HTML, SVG, XML) is refused, as is
everything else (executables, archives, scripts ...).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import BinaryIO

from hub.errors import UnsupportedMediaType

SNIFF_BYTES = 64 * 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_BY_EXTENSION = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
_OOXML_BY_FOLDER = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.graphics",
}
# Markup a browser would render or run: refused even when it is valid text.
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|script|iframe|svg|\?xml|xml-stylesheet)\b", re.IGNORECASE)
_ALLOWED_CONTROL = {0x09, 0x0A, 0x0C, 0x0D}


def _refuse(what: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"{what} files are not accepted. Upload PDF, images (PNG, JPEG, TIFF, WebP), Office or "
        "OpenDocument files, CSV or plain text."
    )


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _zip_type(stream: BinaryIO) -> str | None:
    """The Office Open XML or OpenDocument type of a ZIP container, or None for other archives."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared in _ODF_TYPES:
                    return declared
            if "[Content_Types].xml" in names:
                for folder, content_type in _OOXML_BY_FOLDER.items():
                    if any(name.startswith(folder) for name in names):
                        return content_type
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError):
        return None
    return None


def _decode_text(sample: bytes) -> str | None:
    """The sample as text when it is text (UTF-8, UTF-16 with a BOM, or an 8-bit code page)."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return sample.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in sample:
        return None
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character; anything earlier is a real error.
        if exc.start < len(sample) - 4:
            text = sample.decode("cp1252", errors="replace")
        else:
            text = sample[: exc.start].decode("utf-8-sig")
    if any(ord(ch) < 0x20 and ord(ch) not in _ALLOWED_CONTROL for ch in text) or "\x7f" in text:
        return None
    return text


def sniff_content_type(stream: BinaryIO, filename: str) -> str:
    """The content type of the file in `stream` (seekable, left at its start), or 415."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        # A RIFF container says what it holds after its length: WebP images only (not WAV, AVI).
        return "image/webp"
    if head.startswith(_OLE2):
        # OLE2 containers do not say whether they hold a document or a spreadsheet up front.
        return _OLE2_BY_EXTENSION.get(_extension(filename), "application/vnd.ms-office")
    if head.startswith(b"PK\x03\x04"):
        content_type = _zip_type(stream)
        stream.seek(0)
        if content_type is None:
            raise _refuse("ZIP archives and other packaged")
        return content_type
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        raise _refuse("Executable")
    text = _decode_text(head)
    if text is None:
        raise _refuse("Binary files of this kind and other unrecognised")
    # A browser sniffs text starting with a tag as markup; markup anywhere is refused too.
    if text.lstrip("\ufeff \t\r\n").startswith("<") or _MARKUP.search(text):
        raise _refuse("HTML, SVG and XML")
    return "text/csv" if _extension(filename) == "csv" else "text/plain"


_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
MAX_FILENAME_BYTES = 255


def sanitize_filename(raw: str | None) -> str:
    """A safe display and download name: the last path component, without control (or bidi
    override) characters, NFC, no leading dots or spaces, at most 255 UTF-8 bytes with the
    extension kept; `file` when nothing is left. Readable Unicode is kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS
    )
    name = unicodedata.normalize("NFC", name).lstrip(". ").rstrip()
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode("utf-8")) > 16 or not stem:
            stem, extension = name, ""
        suffix = f".{extension}" if extension else ""
        budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip()
        name = stem + suffix
    return name or "file"
