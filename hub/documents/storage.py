"""Where document files live: one small interface, two backends.

Files are content-addressed by their SHA-256 (lowercase hex), so identical files are stored
once. `put` is atomic: a reader never sees a half-written file and a failed write leaves
nothing behind. `STORAGE_BACKEND` picks the backend: `local` (under `UPLOAD_DIR`, the
default) or `s3` (`S3_BUCKET`, `S3_ENDPOINT_URL`, `S3_REGION`, the usual AWS credentials).
"""

from __future__ import annotations

import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask, current_app

CHUNK_SIZE = 256 * 1024
_KEY = re.compile(r"^[0-9a-f]{64}$")


class StorageError(RuntimeError):
    """The storage backend failed (disk full, bucket unreachable ...)."""


def _check_key(sha256: str) -> str:
    if not _KEY.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class Storage(ABC):
    """Content-addressed file storage."""

    @abstractmethod
    def put(self, sha256: str, source: BinaryIO, content_type: str) -> bool:
        """Store the bytes of `source` (read from its current position to the end) under
        `sha256`, unless already stored. True when this call wrote the file."""

    @abstractmethod
    def open(self, sha256: str) -> Iterator[bytes]:
        """The stored file as chunks (memory stays flat for large files)."""

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """Whether a file is stored under `sha256`."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove the file (no error when it is not there)."""

    @abstractmethod
    def keys(self) -> list[str]:
        """Every stored digest (for checks and tests)."""

    def read(self, sha256: str) -> bytes:
        """The whole file (small files and tests only)."""
        return b"".join(self.open(sha256))


class LocalStorage(Storage):
    """Files under `root/ab/cd/<sha256>`; written to a temporary file in `root/.incoming` and
    moved into place with an atomic rename (same file system)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / ".incoming"

    def path_of(self, sha256: str) -> Path:
        """Where the file of `sha256` is (or would be) stored."""
        _check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, source: BinaryIO, content_type: str) -> bool:
        target = self.path_of(sha256)
        if target.exists():
            return False
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as temp:
                while chunk := source.read(CHUNK_SIZE):
                    self._write(temp, chunk)
                temp.flush()
                os.fsync(temp.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, target)
        except BaseException as exc:
            Path(temp_name).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StorageError(f"could not store the file: {exc}") from exc
            raise
        return True

    @staticmethod
    def _write(temp: BinaryIO, chunk: bytes) -> None:
        temp.write(chunk)

    def open(self, sha256: str) -> Iterator[bytes]:
        path = self.path_of(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise StorageError(f"file {sha256} is missing from storage") from None

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk

        return chunks()

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.glob("??/??/*") if p.is_file() and _KEY.match(p.name))

    def stray_files(self) -> list[Path]:
        """Leftover temporary files (there should never be any after a request)."""
        return list(self.incoming.glob("*")) if self.incoming.exists() else []


class S3Storage(Storage):
    """Objects `documents/<sha256>` in one bucket of S3 or an S3-compatible server. A single PUT
    or a multipart upload becomes visible only when complete; boto3 aborts a failed multipart
    upload, so nothing half-written remains."""

    PREFIX = "documents/"

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 client: Any = None) -> None:
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def key_of(self, sha256: str) -> str:
        """The object key of `sha256`."""
        return self.PREFIX + _check_key(sha256)

    def put(self, sha256: str, source: BinaryIO, content_type: str) -> bool:
        if self.exists(sha256):
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_fileobj(
                source, self.bucket, self.key_of(sha256), ExtraArgs={"ContentType": content_type}
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not store the file: {exc}") from exc
        return True

    def open(self, sha256: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not read file {sha256}: {exc}") from exc

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            finally:
                body.close()

        return chunks()

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"could not reach the bucket: {exc}") from exc
        return True

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key_of(sha256))

    def keys(self) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.PREFIX):
            found.extend(item["Key"][len(self.PREFIX):] for item in page.get("Contents", []))
        return sorted(found)


def storage_from_config(config: dict[str, Any]) -> Storage:
    """The backend the settings choose."""
    if config.get("STORAGE_BACKEND") == "s3":
        return S3Storage(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"), config.get("S3_REGION"))
    return LocalStorage(config["UPLOAD_DIR"])


def init_storage(app: Flask) -> None:
    """Create the app's storage backend once (boto3 clients are thread-safe)."""
    app.extensions["hub_document_storage"] = storage_from_config(app.config)


def get_storage() -> Storage:
    """The current app's storage backend."""
    storage = current_app.extensions.get("hub_document_storage")
    if storage is None:
        storage = storage_from_config(current_app.config)
        current_app.extensions["hub_document_storage"] = storage
    return storage
