"""The metadata store: atomic, md5-skipping writes, and the same behaviour on a folder and memory://."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector_build.problems import UserError
from registry.store import Store, StoreError


@pytest.fixture(params=["folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "folder":
        yield Store.open(tmp_path / "store")
        return
    opened = Store.open(f"memory://store-{uuid.uuid4().hex}")
    yield opened
    if opened.fs.exists(opened.root):
        opened.fs.rm(opened.root, recursive=True)


def test_write_then_rewrite_same_bytes_is_skipped(store: Store) -> None:
    assert store.write_bytes_atomic("metadata/airbyte/source-x/1.0.0/oss.json", b"{}") is True
    assert store.write_bytes_atomic("metadata/airbyte/source-x/1.0.0/oss.json", b"{}") is False
    assert store.write_bytes_atomic("metadata/airbyte/source-x/1.0.0/oss.json", b'{"a": 1}') is True
    assert store.read_bytes("metadata/airbyte/source-x/1.0.0/oss.json") == b'{"a": 1}'


def test_absent_files(store: Store) -> None:
    assert store.read_bytes("nothing/here.json") is None
    assert store.exists("nothing/here.json") is False
    assert store.delete("nothing/here.json") is False
    assert store.find("nothing") == []


def test_listing_and_delete(store: Store) -> None:
    for path in ("metadata/airbyte/a/latest/oss.json", "metadata/airbyte/a/latest/icon.svg",
                 "metadata/airbyte/b/1.0.0/oss.json", "specs/airbyte/a/1.0.0/spec.json"):
        store.write_bytes_atomic(path, b"x")
    assert store.glob("metadata/**/latest/*.json") == ["metadata/airbyte/a/latest/oss.json"]
    assert store.find("metadata") == ["metadata/airbyte/a/latest/icon.svg", "metadata/airbyte/a/latest/oss.json",
                                      "metadata/airbyte/b/1.0.0/oss.json"]
    assert store.delete("metadata/airbyte/a/latest/icon.svg") is True
    assert not store.exists("metadata/airbyte/a/latest/icon.svg")
    assert store.modified("metadata/airbyte/b/1.0.0/oss.json") is not None


def test_paths_stay_inside_the_store(store: Store) -> None:
    for bad in ("../outside.json", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(StoreError):
            store.read_bytes(bad)


def test_public_url_and_default_base_url(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    assert store.public_url("metadata/a/latest/icon.svg", "http://host:8080/files/") == \
        "http://host:8080/files/metadata/a/latest/icon.svg"
    assert store.public_url("x.json", "http://host:8080/files") == "http://host:8080/files/x.json"
    assert store.default_base_url() == tmp_path.resolve().as_uri()


def test_a_missing_filesystem_extra_is_a_user_error() -> None:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match="connector-pipelines\\[s3\\]"):
            Store.open("s3://bucket/prefix")
    else:
        assert Store.open("s3://bucket/prefix").default_base_url() == "https://bucket.s3.amazonaws.com/prefix"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    store = Store.open(tmp_path)
    store.write_bytes_atomic("registries/v0/oss_registry.json", b"old")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.write_bytes_atomic("registries/v0/oss_registry.json", b"new")
    assert store.read_bytes("registries/v0/oss_registry.json") == b"old"
    assert sorted(p.name for p in (tmp_path / "registries" / "v0").iterdir()) == ["oss_registry.json"]


def test_a_failed_write_in_memory_leaves_no_temp_file(monkeypatch) -> None:
    store = Store.open(f"memory://store-{uuid.uuid4().hex}")
    store.write_bytes_atomic("a/b.json", b"old")

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("gone")

    monkeypatch.setattr(store.fs, "mv", crash)
    with pytest.raises(OSError):
        store.write_bytes_atomic("a/b.json", b"new")
    assert store.read_bytes("a/b.json") == b"old"
    assert store.find("a") == ["a/b.json"]


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    """A reader polling while the file is rewritten sees one whole version or the other, never a mix."""
    store = Store.open(tmp_path)
    versions = [bytes([65 + i]) * 2_000_000 for i in range(2)]
    store.write_bytes_atomic("registries/v0/oss_registry.json", versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read_repeatedly() -> None:
        while not done.is_set():
            data = (tmp_path / "registries" / "v0" / "oss_registry.json").read_bytes()
            seen.add(data[:1] + data[-1:] + str(len(data)).encode())

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for round_ in range(20):
            store.write_bytes_atomic("registries/v0/oss_registry.json", versions[(round_ + 1) % 2])
    finally:
        done.set()
        reader.join()
    assert seen <= {b"AA2000000", b"BB2000000"}
