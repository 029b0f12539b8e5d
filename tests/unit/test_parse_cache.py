"""The parse cache is keyed by content: an edit is always seen, a broken cache file is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_build.parse_cache import ParseCache
from connector_build.yaml_source import YamlSourceError


def test_edit_is_seen_and_old_entries_are_kept_up_to_the_cap(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "cache.pickle"
    first = ParseCache(path)
    assert first.parse(b"a: 1\n").data == {"a": 1}
    first.save()
    second = ParseCache(path)
    assert second.parse(b"a: 1\n").data == {"a": 1}
    assert second.parse(b"a: 2\n").data == {"a": 2}  # same "file", new bytes: parsed again
    second.save()
    assert len(_stored(path)) == 2  # another repo's files are not evicted by this one
    monkeypatch.setattr("connector_build.parse_cache.MAX_ENTRIES", 2)
    third = ParseCache(path)
    third.parse(b"a: 3\n")
    third.save()
    kept = _stored(path)
    assert len(kept) == 2 and any(doc.data == {"a": 3} for doc in kept.values())


def test_corrupt_cache_file_is_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.pickle"
    path.write_bytes(b"not a pickle")
    assert ParseCache(path).parse(b"b: [1]\n").data == {"b": [1]}


def test_errors_are_raised_not_cached(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache.pickle")
    for _ in range(2):
        with pytest.raises(YamlSourceError):
            cache.parse(b"a: [\n")


def test_prefill_parses_misses_in_worker_processes_and_leaves_errors_to_parse(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("connector_build.parse_cache.PARALLEL_THRESHOLD", 1)
    cache = ParseCache(tmp_path / "cache.pickle")
    cache.prefill([b"a: 1\n", b"b: [\n", b"c: 2\n"])
    assert sorted(str(doc.data) for doc in cache._entries.values()) == ["{'a': 1}", "{'c': 2}"]
    with pytest.raises(YamlSourceError):
        cache.parse(b"b: [\n")


def test_the_file_is_read_only_when_something_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "cache.pickle"
    first = ParseCache(path)
    first.parse(b"a: 1\n")
    first.save()
    untouched = ParseCache(path)
    assert untouched._entries == {}  # nothing parsed yet: the file is not read
    untouched.save()  # and saving an unread cache keeps the file as it was
    assert len(_stored(path)) == 1


def _stored(path: Path) -> dict:
    cache = ParseCache(path)
    cache._load()
    return cache._entries
