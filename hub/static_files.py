"""Light on a phone network: static files under fingerprinted names (a hash of their content in
the URL, cached for a year and never asked for again), pages private and revalidated, and
answers compressed (Brotli or gzip, Flask-Compress) when no proxy in front does it."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from pathlib import Path
from typing import Any

import brotli
from flask import Flask, Response, request, send_from_directory
from flask_compress import Compress

#: One year: a fingerprinted URL names one content forever, so browsers may keep it that long.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Pages hold the user's own data and a CSRF token: only their browser keeps them, and asks again.
PAGE_CACHE = "private, no-cache"
#: `name.<12 hex digits>.ext`: the fingerprint `url_for("static", ...)` puts in a file name.
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
#: Text answers worth compressing (images and documents are compressed already or streamed).
COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                    "application/json", "image/svg+xml"]

compress = Compress()


class Fingerprints:
    """The content hash of each static file, computed once (again when a file changes in debug)."""

    def __init__(self, folder: str, reload: bool) -> None:
        self.folder = Path(folder)
        self.reload = reload
        self._known: dict[str, tuple[float, str]] = {}
        self._encoded: dict[str, bytes] = {}

    def digest(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256, or None when there is no such file."""
        path = (self.folder / filename).resolve()
        if not path.is_file() or self.folder.resolve() not in path.parents:
            return None
        known = self._known.get(filename)
        if known is not None and not self.reload:
            return known[1]
        mtime = path.stat().st_mtime
        if known is None or known[0] != mtime:
            known = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            self._known[filename] = known
        return known[1]

    def encoded(self, filename: str, encoding: str) -> bytes:
        """The file's bytes compressed with `br` or `gzip`, at the best level, once per content."""
        digest = self.digest(filename)
        key = f"{filename}\0{digest}\0{encoding}"
        cached = self._encoded.get(key)
        if cached is None:
            raw = (self.folder / filename).read_bytes()
            cached = brotli.compress(raw, quality=11) if encoding == "br" else gzip.compress(raw, 9, mtime=0)
            self._encoded[key] = cached
        return cached

    def name(self, filename: str) -> str:
        """`hub.css` -> `hub.<digest>.css` (unchanged when the file is unknown)."""
        digest = self.digest(filename)
        if digest is None:
            return filename
        stem, dot, ext = filename.rpartition(".")
        return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{filename}.{digest}"


def init_static_files(app: Flask) -> None:
    """Fingerprinted static URLs, their long cache lifetime, private pages and compression."""
    assert app.static_folder is not None
    fingerprints = Fingerprints(app.static_folder, reload=bool(app.debug or app.config.get("TEMPLATES_AUTO_RELOAD")))
    app.extensions["hub_static_fingerprints"] = fingerprints

    @app.url_defaults
    def fingerprinted_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = fingerprints.name(values["filename"])

    def static(filename: str) -> Response:
        """A static file; under its current fingerprinted name it is cached for a year."""
        match = _FINGERPRINTED.match(filename)
        immutable = False
        if match:
            plain = match["stem"] + match["ext"]
            if fingerprints.digest(plain) == match["digest"]:
                filename, immutable = plain, True
        if immutable:
            return _immutable(filename)
        return send_from_directory(app.static_folder or "", filename, max_age=0)

    def _immutable(filename: str) -> Response:
        """A fingerprinted file, compressed once for every client that accepts it."""
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if mimetype.startswith("text/") and "charset" not in mimetype:
            mimetype += "; charset=utf-8"
        accepted = request.accept_encodings
        encoding = next((e for e in ("br", "gzip") if accepted[e]), None) \
            if mimetype.split(";")[0] in COMPRESSED_TYPES else None
        if encoding is None:
            body = (fingerprints.folder / filename).read_bytes()
        else:
            body = fingerprints.encoded(filename, encoding)
        response = Response(body, content_type=mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = static

    @app.after_request
    def private_pages(response: Response) -> Response:
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers \
                and request.endpoint != "static":
            response.headers["Cache-Control"] = PAGE_CACHE
        return response

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Streamed answers (document downloads) pass through as they are.
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_REGISTER", bool(app.config.get("COMPRESS_RESPONSES", True)))
    compress.init_app(app)
