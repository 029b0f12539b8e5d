"""The registry entry rules: overrides, renames, absence, defaults, releases, release candidates."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from connector_build.metadata import ConnectorMetadata
from registry.entries import RegistryEntryError, build_registry_entry, registry_coordinates, write_registry_entries
from registry.spec_cache import SpecCache
from registry.store import Store

SPEC = {"documentationUrl": "https://docs.example.com/x", "connectionSpecification": {"properties": {"k": {
    "type": "string", "default": None}}}}
BASE: dict[str, Any] = {
    "metadataSpecVersion": "1.0",
    "data": {
        "name": "Example",
        "definitionId": "0b1e7a5c-3a6f-4b84-9b1e-6a1f5c8e2d10",
        "connectorType": "source",
        "connectorSubtype": "api",
        "dockerRepository": "airbyte/source-example",
        "dockerImageTag": "1.2.3",
        "documentationUrl": "https://docs.example.com/source-example",
        "githubIssueLabel": "source-example",
        "license": "MIT",
        "releaseStage": "beta",
        "releaseDate": dt.date(2024, 1, 31),
        "tags": ["keyword:x", "language:manifest-only", "language:python"],
        "registryOverrides": {"oss": {"enabled": True}, "cloud": {"enabled": True}},
    },
}


def metadata(**changes: Any) -> ConnectorMetadata:
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            raw["data"].pop(key, None)
        else:
            raw["data"][key] = value
    return ConnectorMetadata.model_validate(raw)


def entry(meta: ConnectorMetadata, registry: str = "oss", **kwargs: Any) -> dict[str, Any] | None:
    kwargs.setdefault("spec", SPEC)
    kwargs.setdefault("icon_url", "https://store.example/metadata/airbyte/source-example/latest/icon.svg")
    return build_registry_entry(meta, registry, **kwargs)  # type: ignore[arg-type]


def test_overrides_replace_base_fields_and_their_nulls_are_dropped() -> None:
    meta = metadata(registryOverrides={
        "oss": {"enabled": True, "name": None, "documentationUrl": None},
        "cloud": {"enabled": True, "dockerRepository": "airbyte/source-example-strict-encrypt", "name": None,
                  "documentationUrl": "https://docs.example.com/cloud", "allowedHosts": {"hosts": ["api.x"]}},
    })
    cloud, oss = entry(meta, "cloud"), entry(meta, "oss")
    assert cloud is not None and oss is not None
    assert cloud["dockerRepository"] == "airbyte/source-example-strict-encrypt"
    assert cloud["documentationUrl"] == "https://docs.example.com/cloud"
    assert cloud["allowedHosts"] == {"hosts": ["api.x"]}
    assert cloud["name"] == oss["name"] == "Example"  # a null override does not erase the base value
    assert oss["dockerRepository"] == "airbyte/source-example"
    assert "enabled" not in cloud and "registryOverrides" not in cloud


def test_the_older_registries_spelling_is_read_too() -> None:
    meta = metadata(registryOverrides=None, registries={"oss": {"enabled": True}, "cloud": {"enabled": False}})
    oss = entry(meta, "oss")
    assert oss is not None and "registries" not in oss
    assert entry(meta, "cloud") is None


def test_renames_and_removals() -> None:
    source = entry(metadata())
    assert source is not None
    assert source["sourceDefinitionId"] == BASE["data"]["definitionId"]
    assert source["sourceType"] == "api"
    for gone in ("definitionId", "connectorSubtype", "connectorType", "registryOverrides"):
        assert gone not in source
    destination = entry(metadata(connectorType="destination", connectorSubtype="vectorstore",
                                 dockerRepository="airbyte/destination-example"))
    assert destination is not None
    assert destination["destinationDefinitionId"] == BASE["data"]["definitionId"]
    assert destination["sourceType"] == "vectorstore"  # Airbyte passes it through; compile reports it
    assert "supportsRefreshes" not in destination  # unset in the metadata: left out, as Registry 2.0 does
    refreshing = entry(metadata(connectorType="destination", dockerRepository="airbyte/destination-example",
                                supportsRefreshes=True))
    assert refreshing is not None and refreshing["supportsRefreshes"] is True


@pytest.mark.parametrize("changes", [
    {"supportLevel": "archived"},
    {"registryOverrides": {"oss": {"enabled": False}, "cloud": {"enabled": False}}},
    {"registryOverrides": None},
    {"registryOverrides": {"cloud": {"enabled": True}}},
])
def test_absent_from_oss(changes: dict[str, Any]) -> None:
    assert entry(metadata(**changes), "oss") is None


def test_archived_is_absent_even_where_enabled() -> None:
    meta = metadata(supportLevel="archived")
    assert entry(meta, "oss") is None and entry(meta, "cloud") is None


def test_fixed_flags_defaults_and_generated_fields() -> None:
    made = entry(metadata(ab_internal={"ql": 300}), generated={"git": {"commit_sha": "abc123"}},
                 package_info={"cdk_version": "python:6.1.0"})
    assert made is not None
    assert (made["tombstone"], made["public"], made["custom"]) == (False, True, False)
    assert made["supportLevel"] == "community"
    assert made["ab_internal"]["sl"] == 100 and made["ab_internal"]["ql"] == 300
    assert made["language"] == "manifest-only"  # the first language: tag
    assert made["iconUrl"].endswith("/metadata/airbyte/source-example/latest/icon.svg")
    assert made["packageInfo"] == {"cdk_version": "python:6.1.0"}
    assert made["generated"]["git"] == {"commit_sha": "abc123"}
    assert made["generated"]["source_file_info"]["metadata_file_path"] == \
        "metadata/airbyte/source-example/1.2.3/metadata.yaml"
    assert made["spec"] == SPEC  # the spec keeps its own nulls
    assert entry(metadata())["packageInfo"] == {}  # type: ignore[index]


def test_nulls_left_out_dates_as_text_keys_sorted() -> None:
    made = entry(metadata(), icon_url=None)
    assert made is not None
    assert made["releaseDate"] == "2024-01-31"
    assert "iconUrl" not in made and "erdUrl" not in made
    assert None not in made.values()
    assert list(made) == sorted(made)


def test_breaking_changes_get_default_migration_urls() -> None:
    made = entry(metadata(releases={"breakingChanges": {
        "2.0.0": {"upgradeDeadline": "2024-05-01", "message": "renamed a stream"},
        "3.0.0": {"upgradeDeadline": "2025-01-01", "message": "m", "migrationDocumentationUrl": "https://own"},
    }}))
    assert made is not None
    releases = made["releases"]
    docs = BASE["data"]["documentationUrl"]
    assert releases["migrationDocumentationUrl"] == f"{docs}-migrations"
    assert releases["breakingChanges"]["2.0.0"]["migrationDocumentationUrl"] == f"{docs}-migrations#2.0.0"
    assert releases["breakingChanges"]["2.0.0"]["upgradeDeadline"] == "2024-05-01"
    assert releases["breakingChanges"]["3.0.0"]["migrationDocumentationUrl"] == "https://own"


def test_releases_is_an_empty_object_when_there_is_nothing_to_say() -> None:
    assert entry(metadata())["releases"] == {}  # type: ignore[index]
    assert entry(metadata(releases={"breakingChanges": {}}))["releases"] == {}  # type: ignore[index]
    assert entry(metadata(releases={"migrationDocumentationUrl": "https://x"}))["releases"] == {}  # type: ignore[index]
    rollout = entry(metadata(releases={"rolloutConfiguration": {"enableProgressiveRollout": True}}))
    assert rollout is not None
    assert rollout["releases"] == {"rolloutConfiguration": {
        "enableProgressiveRollout": True, "initialPercentage": 0, "maxPercentage": 50, "advanceDelayMinutes": 10}}


def test_external_documentation_urls_keep_only_what_the_metadata_sets() -> None:
    links = [{"title": "API", "url": "https://api.example.com", "type": "api_reference"},
             {"title": "Status", "url": "https://status.example.com", "requiresLogin": True}]
    made = entry(metadata(externalDocumentationUrls=links))
    assert made is not None and made["externalDocumentationUrls"] == [
        {"title": "API", "type": "api_reference", "url": "https://api.example.com"},
        {"requiresLogin": True, "title": "Status", "url": "https://status.example.com"}]


def test_a_release_candidate_keeps_its_own_tag_over_a_pinned_one() -> None:
    pinned = {"oss": {"enabled": True, "dockerImageTag": "1.0.0"}, "cloud": {"enabled": True}}
    released = metadata(registryOverrides=pinned)
    candidate = metadata(registryOverrides=pinned, dockerImageTag="1.3.0-rc.1")
    assert entry(released, "oss")["dockerImageTag"] == "1.0.0"  # type: ignore[index]
    assert entry(candidate, "oss")["dockerImageTag"] == "1.3.0-rc.1"  # type: ignore[index]
    assert registry_coordinates(candidate.data, "oss") == ("airbyte/source-example", "1.3.0-rc.1")
    assert registry_coordinates(released.data, "oss") == ("airbyte/source-example", "1.0.0")


def test_what_the_platform_would_reject_is_an_error() -> None:
    with pytest.raises(RegistryEntryError, match="sourceType"):
        entry(metadata(connectorSubtype="vectorstore"))
    with pytest.raises(RegistryEntryError, match="dockerImageTag.*semantic"):
        entry(metadata(registryOverrides={"oss": {"enabled": True, "dockerImageTag": "latest"}}))


def test_cloud_spec_falls_back_to_spec_json(tmp_path) -> None:
    store = Store.open(tmp_path)
    store.write_bytes_atomic("specs/airbyte/a/1.0.0/spec.json", b'{"mode": "oss"}')
    store.write_bytes_atomic("specs/airbyte/b/1.0.0/spec.json", b'{"mode": "oss"}')
    store.write_bytes_atomic("specs/airbyte/b/1.0.0/spec.cloud.json", b'{"mode": "cloud"}')
    cache = SpecCache(store)
    assert cache.spec_for("airbyte/a", "1.0.0", "cloud") == {"mode": "oss"}
    assert cache.spec_for("airbyte/b", "1.0.0", "cloud") == {"mode": "cloud"}
    assert cache.spec_for("airbyte/b", "1.0.0", "oss") == {"mode": "oss"}
    assert cache.spec_for("airbyte/c", "1.0.0", "oss") is None


def test_newest_release_below_a_candidate(tmp_path) -> None:
    store = Store.open(tmp_path)
    for tag in ("0.9.0", "1.0.0", "1.1.0-rc.1", "1.2.0", "1.0.1-dev.abcdef1234"):
        store.write_bytes_atomic(f"specs/airbyte/a/{tag}/spec.json", b"{}")
    assert SpecCache(store).latest_release_below("airbyte/a", "1.1.0-rc.1") == "1.0.0"
    assert SpecCache(store).latest_release_below("airbyte/a", "0.1.0-rc.1") is None


def test_write_registry_entries_is_idempotent_and_drops_stale_files(tmp_path) -> None:
    store = Store.open(tmp_path)
    folder = "metadata/airbyte/source-example/1.2.3"
    store.write_bytes_atomic(f"{folder}/metadata.yaml", b"data: {}\n")
    store.write_bytes_atomic(f"{folder}/cloud.json", b"{}")  # left by an earlier run, when cloud listed it
    meta = metadata(registryOverrides={"oss": {"enabled": True}, "cloud": {"enabled": False}})
    written = write_registry_entries(store, meta, spec=SPEC, icon_url=None, generated={"git": {"commit_sha": "a"}})
    assert written["cloud"] is None and not store.exists(f"{folder}/cloud.json")
    first = store.read_bytes(f"{folder}/oss.json")
    assert first is not None and first.endswith(b"}\n")
    file_info = written["oss"]["generated"]["source_file_info"]  # type: ignore[index]
    assert file_info["metadata_last_modified"] == file_info["registry_entry_generated_at"]
    before = (tmp_path / folder / "oss.json").stat().st_mtime_ns
    write_registry_entries(store, meta, spec=SPEC, icon_url=None, generated={"git": {"commit_sha": "a"}})
    assert store.read_bytes(f"{folder}/oss.json") == first
    assert (tmp_path / folder / "oss.json").stat().st_mtime_ns == before
