"""``registry sync``: a store copied to a folder, only what changed, registries last, leases left behind."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from registry import layout
from registry.store import Store, StoreError
from registry.store_sync import sync_store

ENTRY = "metadata/airbyte/source-x/1.0.0/oss.json"


def filled_store() -> Store:
    store = Store.open(f"memory://cp-i12-sync-{uuid.uuid4().hex}")
    store.write_bytes_atomic(ENTRY, b'{"dockerImageTag": "1.0.0"}')
    store.write_bytes_atomic(layout.yank_marker("airbyte/source-x", "1.0.0"), b'{"reason": "r"}')
    store.write_bytes_atomic(layout.registry_file("oss"), b'{"sources": []}')
    store.write_bytes_atomic(layout.connector_lock("airbyte/source-x"), b"{}")
    return store


def test_a_first_sync_copies_every_file_but_the_leases_and_the_registries_last(tmp_path: Path) -> None:
    result = sync_store(filled_store(), tmp_path / "copy")
    assert result.copied[-1] == layout.registry_file("oss")
    assert sorted(result.copied) == sorted([ENTRY, layout.yank_marker("airbyte/source-x", "1.0.0"),
                                            layout.registry_file("oss")])
    assert (tmp_path / "copy" / ENTRY).read_bytes() == b'{"dockerImageTag": "1.0.0"}'
    assert not (tmp_path / "copy" / layout.LOCKS_DIR).exists()


def test_a_second_sync_copies_what_changed_and_removes_what_went(tmp_path: Path) -> None:
    store = filled_store()
    sync_store(store, tmp_path / "copy")
    store.write_bytes_atomic(layout.registry_file("oss"), b'{"sources": [1]}')
    store.delete(layout.yank_marker("airbyte/source-x", "1.0.0"))
    (tmp_path / "copy" / "registries" / ".x.tmp").write_bytes(b"")  # a temp file being written: left alone
    (tmp_path / "copy" / "notes.txt").write_text("mine")  # outside the store's folders: never touched

    result = sync_store(store, tmp_path / "copy")
    assert result.copied == [layout.registry_file("oss")]
    assert result.unchanged == [ENTRY]
    assert result.removed == [layout.yank_marker("airbyte/source-x", "1.0.0")]
    assert (tmp_path / "copy" / layout.registry_file("oss")).read_bytes() == b'{"sources": [1]}'
    assert (tmp_path / "copy" / "registries" / ".x.tmp").exists() and (tmp_path / "copy" / "notes.txt").exists()


def test_syncing_a_folder_onto_itself_or_a_missing_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    with pytest.raises(StoreError, match="is the store itself"):
        sync_store(Store.open(tmp_path / "store"), tmp_path / "store")
    with pytest.raises(StoreError, match="no such bucket or folder"):
        sync_store(Store.open(tmp_path / "absent"), tmp_path / "copy")


def test_a_target_that_cannot_be_a_folder_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreError, match="cannot make the folder .*a-file"):
        sync_store(filled_store(), tmp_path / "a-file")
    with pytest.raises(StoreError, match="cannot make the folder .*under-a-file"):
        sync_store(filled_store(), tmp_path / "a-file" / "under-a-file")
