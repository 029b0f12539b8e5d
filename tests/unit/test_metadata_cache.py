"""The metadata cache gives a second discovery the first one's outcome: the same models, warnings
and located errors, with nothing parsed or validated; an edit, another folder name or other code
is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_build import metadata_cache
from connector_build.metadata_cache import MetadataCache
from connector_build.monorepo import Monorepo
from tests.conftest import write_connector


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Monorepo:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CONNECTOR_PIPELINES_NO_CACHE", raising=False)
    root = tmp_path / "repo"
    write_connector(root, "source-alpha", language="python")
    broken = write_connector(root, "source-broken")
    text = (broken / "metadata.yaml").read_text()
    (broken / "metadata.yaml").write_text(text.replace("dockerImageTag: 0.1.0", "dockerImageTag: 0.2"))
    return Monorepo.open(root)


def forbid_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated although the cache holds the outcome")

    monkeypatch.setattr("connector_build.monorepo.load_metadata", refuse)
    monkeypatch.setattr("connector_build.yaml_source.parse_yaml_text", refuse)


def test_second_discovery_comes_from_the_cache_with_the_same_outcome(repo: Monorepo, monkeypatch) -> None:
    first = repo.discover()
    assert "source-broken" in first.invalid and "source-alpha" in first.connectors
    forbid_validation(monkeypatch)
    second = repo.discover()
    assert second.connectors["source-alpha"].metadata == first.connectors["source-alpha"].metadata
    assert second.connectors["source-alpha"].warnings == first.connectors["source-alpha"].warnings
    # Errors keep their file and line.
    assert second.invalid == first.invalid
    problem = second.invalid["source-broken"][0]
    assert problem.line is not None and str(problem.file).endswith("source-broken/metadata.yaml")


def test_an_edit_is_validated_again(repo: Monorepo) -> None:
    repo.discover()
    path = repo.connectors_path / "source-broken" / "metadata.yaml"
    path.write_text(path.read_text().replace("dockerImageTag: 0.2", 'dockerImageTag: "0.2.0"'))
    found = repo.discover()
    assert "source-broken" not in found.invalid
    assert found.connectors["source-broken"].version == "0.2.0"


def test_other_code_starts_afresh(repo: Monorepo, monkeypatch) -> None:
    repo.discover()
    monkeypatch.setattr(metadata_cache, "code_fingerprint", lambda: "another version of the rules")
    calls = []
    real = metadata_cache.MetadataCache.put

    def counting_put(self: MetadataCache, *args: object) -> None:
        calls.append(args)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(metadata_cache.MetadataCache, "put", counting_put)
    repo.discover()
    assert len(calls) == 2  # both files validated again


def test_same_bytes_in_another_folder_are_a_miss(tmp_path: Path) -> None:
    cache = MetadataCache(tmp_path / "metadata.pickle")
    cache.put(b"bytes", Path("a/metadata.yaml"), "a", [])
    assert cache.get(b"bytes", Path("a/metadata.yaml"), "a") == []
    assert cache.get(b"bytes", Path("b/metadata.yaml"), "b") is None


def test_corrupt_or_disabled_cache_is_empty(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "metadata.pickle"
    path.write_bytes(b"not a pickle")
    assert MetadataCache(path).get(b"bytes", Path("a"), "a") is None
    monkeypatch.setenv("CONNECTOR_PIPELINES_NO_CACHE", "1")
    disabled = MetadataCache.default()
    disabled.put(b"bytes", Path("a"), "a", [])
    assert disabled.get(b"bytes", Path("a"), "a") is None
