"""Our entries against Airbyte's own registry fixtures (oss and cloud, 2024-08), field by field.

The fixtures are older than the metadata format we read, and carry fewer fields. For each fixture
entry we look for the metadata.yaml that produced it: same definition id, listed in that registry,
and giving the same repository and tag once the registry's overrides apply. We look in
metadata-historical/2024-07-15 first, then 2023-07-15 (the fixture entries are mostly older
versions). The spec comes from the fixture entry itself, through a spec cache laid out as publish
writes it (the Cloud spec as spec.cloud.json when it differs), so the Cloud fallback is exercised.

Run with ``-s`` to see the match-rate table.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from connector_build.metadata import ConnectorMetadata
from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata
from registry.entries import build_registry_entry, is_listed, registry_coordinates
from registry.models import REGISTRIES, RegistryName
from registry.spec_cache import SpecCache
from registry.store import Store

SHARED = (Path(__file__).parents[2] / ".." / "shared").resolve()
FIXTURES = SHARED / "fixtures" / "airbyte"
SNAPSHOTS = ("2024-07-15", "2023-07-15")
# Filled by Airbyte's infrastructure (or pointing into a store): never comparable.
INFRASTRUCTURE_FIELDS = {"generated", "iconUrl", "sbomUrl"}
MUST_MATCH = ("sourceDefinitionId", "destinationDefinitionId", "name", "dockerRepository", "dockerImageTag",
              "sourceType", "tombstone", "public", "custom", "releaseStage", "spec")
IDENTITY_FIELDS = ("sourceDefinitionId", "destinationDefinitionId", "dockerRepository", "name", "sourceType",
                   "tombstone", "public", "custom")
EXPLAINED = {
    "protocolVersion": "the Cloud fixture has protocolVersion 0.2.0 (the platform's default protocol version) on "
                       "every entry, from the older catalog tooling; no metadata file declares it and Airbyte's "
                       "generator does not add it (the platform falls back to that default itself)",
    "icon": "the metadata's icon file name; a few files renamed their icon after the fixture was made",
    "documentationUrl": "docs moved after some fixture entries were made (same tag, newer metadata file)",
    "allowedHosts": "allowedHosts added to metadata files after the fixture's tag was released",
}


def _fixture(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the real Airbyte fixtures live in ../shared)")
    return path


def _load_snapshot(snapshot: str) -> list[ConnectorMetadata]:
    found = []
    for path in sorted(_fixture("metadata-historical", snapshot).glob("*/metadata.yaml")):
        try:
            found.append(load_metadata(path).metadata)
        except InvalidMetadata:
            continue
    return found


def _spec_cache(registries: Mapping[RegistryName, dict[str, Any]], tmp_path: Path) -> SpecCache:
    store = Store.open(tmp_path / "specs")
    oss_specs = {(e["dockerRepository"], e["dockerImageTag"]): e["spec"] for e in _entries(registries["oss"])}
    for (repository, tag), spec in oss_specs.items():
        store.write_bytes_atomic(f"specs/{repository}/{tag}/spec.json", json.dumps(spec).encode())
    for entry in _entries(registries["cloud"]):
        key = (entry["dockerRepository"], entry["dockerImageTag"])
        name = "spec.cloud.json" if key in oss_specs and oss_specs[key] != entry["spec"] else "spec.json"
        if name == "spec.cloud.json" or key not in oss_specs:
            store.write_bytes_atomic(f"specs/{key[0]}/{key[1]}/{name}", json.dumps(entry["spec"]).encode())
    return SpecCache(store)


def _entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [*document["sources"], *document["destinations"]]


def _producer(entry: dict[str, Any], registry: RegistryName, snapshots: dict[str, list[ConnectorMetadata]]):
    ident = entry.get("sourceDefinitionId") or entry.get("destinationDefinitionId")
    for snapshot, metadata_files in snapshots.items():
        for metadata in metadata_files:
            data = metadata.data
            if data.definitionId == ident and is_listed(data, registry) and \
                    registry_coordinates(data, registry) == (entry["dockerRepository"], entry["dockerImageTag"]):
                return snapshot, metadata
    return None, None


def _compare_identity(fixture_entry: dict[str, Any], registry: RegistryName, metadata_files: list[ConnectorMetadata],
                      identity: dict[str, Counter[str]]) -> None:
    ident = fixture_entry.get("sourceDefinitionId") or fixture_entry.get("destinationDefinitionId")
    metadata = next((m for m in metadata_files if m.data.definitionId == ident and is_listed(m.data, registry)), None)
    if metadata is None:
        return
    ours = build_registry_entry(metadata, registry, spec={}, icon_url=None)
    assert ours is not None
    identity["compared"]["entries"] += 1
    for field in IDENTITY_FIELDS:
        if field in fixture_entry:
            identity["compared"][field] += 1
            identity["equal"][field] += ours.get(field) == fixture_entry[field]


def test_entries_match_airbyte_registry_fixtures(tmp_path: Path) -> None:
    registries = {r: json.loads(_fixture("registries", f"{r}_registry.fixture-2024-08.json").read_text())
                  for r in REGISTRIES}
    snapshots = {s: _load_snapshot(s) for s in SNAPSHOTS}
    cache = _spec_cache(registries, tmp_path)

    present: Counter[str] = Counter()
    ours_too: Counter[str] = Counter()
    equal: Counter[str] = Counter()
    mismatches: dict[str, list[str]] = {}
    sources_of_metadata: Counter[str] = Counter()
    not_comparable: list[dict[str, Any]] = []
    identity: dict[str, Counter[str]] = {"compared": Counter(), "equal": Counter()}
    for registry in REGISTRIES:
        for fixture_entry in _entries(registries[registry]):
            snapshot, metadata = _producer(fixture_entry, registry, snapshots)
            if metadata is None:
                not_comparable.append(fixture_entry)
                _compare_identity(fixture_entry, registry, snapshots["2024-07-15"], identity)
                continue
            sources_of_metadata[f"{registry} from {snapshot}"] += 1
            repository, tag = registry_coordinates(metadata.data, registry)
            spec = cache.spec_for(repository, tag, registry)
            assert spec is not None, f"{repository}:{tag}: the spec cache is filled from these entries"
            ours = build_registry_entry(metadata, registry, spec=spec, icon_url=None)
            assert ours is not None
            for field, expected in fixture_entry.items():
                if field in INFRASTRUCTURE_FIELDS:
                    continue
                present[field] += 1
                if field in ours:
                    ours_too[field] += 1
                    if ours[field] == expected:
                        equal[field] += 1
                    else:
                        mismatches.setdefault(field, []).append(
                            f"{registry}:{fixture_entry['dockerRepository']}: fixture {str(expected)[:60]!r}, "
                            f"ours {str(ours[field])[:60]!r}")

    total = sum(len(_entries(d)) for d in registries.values())
    compared = sum(sources_of_metadata.values())
    lines = [f"fixture entries: {total}; comparable (metadata with the same definition id, repository and tag): "
             f"{compared} ({', '.join(f'{k}: {v}' for k, v in sorted(sources_of_metadata.items()))}); "
             f"not comparable (no metadata file at that tag in either snapshot): {len(not_comparable)}",
             "",
             f"| {'field':<24} | fixture has | we have | equal | match rate (where both have it)",
             f"|{'-' * 26}|------------:|--------:|------:|-------"]
    for field in sorted(present, key=lambda f: (-present[f], f)):
        both = ours_too[field]
        rate = equal[field] / both if both else 0.0
        lines.append(f"| {field:<24} | {present[field]:>11} | {both:>7} | {equal[field]:>5} | {rate:6.1%}")
    for field in sorted(present):
        missing, examples = present[field] - ours_too[field], mismatches.get(field, [])
        if not missing and not examples:
            continue
        counts = ", ".join(part for part in (f"{missing} absent from ours" if missing else "",
                                             f"{len(examples)} differ" if examples else "") if part)
        lines.append(f"\n{field}: {counts} — {EXPLAINED.get(field, 'not explained')}")
        lines.extend(f"    {example}" for example in examples[:4])
    lines += ["", f"Entries with no metadata file at their tag, against the 2024-07-15 file of the same definition id "
                  f"(a later version; only fields that do not change with versions): "
                  f"{identity['compared']['entries']} of {len(not_comparable)}",
              f"| {'field':<24} | compared | equal | match rate", f"|{'-' * 26}|---------:|------:|-------"]
    for field in IDENTITY_FIELDS:
        if identity["compared"][field]:
            lines.append(f"| {field:<24} | {identity['compared'][field]:>8} | {identity['equal'][field]:>5} | "
                         f"{identity['equal'][field] / identity['compared'][field]:6.1%}")
    lines.append("(name and dockerRepository may differ here: connectors renamed, and Cloud's separate "
                 "strict-encrypt connectors folded into their base connector's overrides, after the fixture)")
    print("\n" + "\n".join(lines))

    assert compared >= 250, "too few fixture entries had a producing metadata file to compare"
    for field in ("sourceDefinitionId", "destinationDefinitionId", "tombstone", "public", "custom"):
        assert identity["equal"][field] == identity["compared"][field], field
    for field in MUST_MATCH:
        if ours_too[field]:
            assert equal[field] == ours_too[field], f"{field}: {mismatches.get(field, [])[:5]}"
    for field in MUST_MATCH:
        assert ours_too[field] == present[field], f"{field}: we lack it on some entries"


def test_entries_have_today_s_shape_and_differ_from_2024_only_by_shape_defaults(tmp_path: Path) -> None:
    """Registry 2.0 writes ``releases: {}`` and leaves out unset ``supportsRefreshes``: against the
    2024 fixtures (which have neither), ``registry diff`` calls those shape-only, never changes."""
    from registry.diff import SHAPE_DEFAULTS, diff_registries

    registries = {r: json.loads(_fixture("registries", f"{r}_registry.fixture-2024-08.json").read_text())
                  for r in REGISTRIES}
    snapshots = {s: _load_snapshot(s) for s in SNAPSHOTS}
    cache = _spec_cache(registries, tmp_path)
    compared = 0
    for registry in REGISTRIES:
        old: dict[str, list[dict[str, Any]]] = {"sources": [], "destinations": []}
        new: dict[str, list[dict[str, Any]]] = {"sources": [], "destinations": []}
        for fixture_entry in _entries(registries[registry]):
            _, metadata = _producer(fixture_entry, registry, snapshots)
            if metadata is None:
                continue
            spec = cache.spec_for(*registry_coordinates(metadata.data, registry), registry)
            assert spec is not None
            ours = build_registry_entry(metadata, registry, spec=spec, icon_url=None)
            assert ours is not None
            releases = metadata.data.releases
            assert ours["releases"] == {} or (releases and (releases.breakingChanges or releases.rolloutConfiguration))
            assert ("supportsRefreshes" in ours) is (metadata.data.supportsRefreshes is not None)
            for link in ours.get("externalDocumentationUrls", []):
                assert "requiresLogin" not in link or link["requiresLogin"] is True
            kind = f"{metadata.data.connectorType.value}s"
            old[kind].append(fixture_entry)
            new[kind].append(ours)
            compared += 1
        changes = diff_registries(old, new)
        assert not changes.added and not changes.removed and not changes.version_changes
        shape_fields = {f for _, fields in changes.shape_only for f in fields}
        assert "releases" in shape_fields and shape_fields <= set(SHAPE_DEFAULTS), shape_fields
        for _, fields in changes.changed_fields:
            assert not set(fields) & {"releases", "supportsRefreshes"}, fields
    assert compared >= 250
