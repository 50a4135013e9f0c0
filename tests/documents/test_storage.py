"""The storage interface: the local filesystem and S3 (a real local S3-compatible server, moto
in server mode) pass the same tests."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.documents.storage import LocalStorage, S3Storage, Storage, StorageError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BreaksMidway(io.BytesIO):
    """A source that fails after handing out part of its bytes (a dropped upload, a bad disk)."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        super().__init__(data)
        self.fail_after = fail_after

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.fail_after:
            raise OSError("connection reset while reading the upload")
        return super().read(min(size if size and size > 0 else self.fail_after, self.fail_after - self.tell()))


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """Each backend in turn."""
    if request.param == "local":
        yield LocalStorage(tmp_path / "uploads")
    else:
        settings = request.getfixturevalue("s3_settings")
        yield S3Storage(settings["S3_BUCKET"], settings["S3_ENDPOINT_URL"], settings["S3_REGION"])


def test_a_stored_file_reads_back_identically(storage: Storage):
    data = b"%PDF-1.7 invoice " * 1000
    assert storage.put(sha(data), io.BytesIO(data), "application/pdf") is True
    assert storage.exists(sha(data))
    assert storage.read(sha(data)) == data
    assert storage.keys() == [sha(data)]


def test_identical_files_are_stored_once(storage: Storage):
    data = b"same bytes"
    assert storage.put(sha(data), io.BytesIO(data), "text/plain") is True
    assert storage.put(sha(data), io.BytesIO(data), "text/plain") is False
    assert storage.keys() == [sha(data)]


def test_a_large_file_streams_in_chunks(storage: Storage):
    data = bytes(range(256)) * (6 * 4096)  # 6 MiB: a multipart upload on S3, many chunks to read
    storage.put(sha(data), io.BytesIO(data), "application/pdf")
    chunks = list(storage.open(sha(data)))
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= 1024 * 1024
    assert b"".join(chunks) == data


def test_a_write_failing_midway_leaves_nothing(storage: Storage, tmp_path: Path):
    data = b"x" * (3 * 1024 * 1024)
    with pytest.raises((OSError, StorageError)):
        storage.put(sha(data), BreaksMidway(data, fail_after=1024 * 1024), "text/plain")
    assert not storage.exists(sha(data))
    assert storage.keys() == []
    if isinstance(storage, LocalStorage):
        assert storage.stray_files() == []
        assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []


def test_delete_removes_the_file(storage: Storage):
    data = b"to be removed"
    storage.put(sha(data), io.BytesIO(data), "text/plain")
    storage.delete(sha(data))
    assert not storage.exists(sha(data))
    storage.delete(sha(data))  # deleting again is no error


def test_reading_a_missing_file_is_a_storage_error(storage: Storage):
    with pytest.raises(StorageError):
        list(storage.open(sha(b"never stored")))


def test_keys_must_be_sha256_digests(storage: Storage):
    with pytest.raises(ValueError):
        storage.put("../../etc/passwd", io.BytesIO(b"x"), "text/plain")


def test_local_files_are_content_addressed_under_upload_dir(tmp_path: Path):
    storage = LocalStorage(tmp_path / "uploads")
    data = b"addressed"
    storage.put(sha(data), io.BytesIO(data), "text/plain")
    digest = sha(data)
    assert (tmp_path / "uploads" / digest[:2] / digest[2:4] / digest).read_bytes() == data


def test_local_failure_at_the_final_move_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import os

    storage = LocalStorage(tmp_path / "uploads")

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageError):
        storage.put(sha(b"abc"), io.BytesIO(b"abc"), "text/plain")
    assert storage.keys() == [] and storage.stray_files() == []
