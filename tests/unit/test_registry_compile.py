"""Compiling the registry files from a store, and previewing them from a monorepo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connector_build.monorepo import Monorepo
from registry.compile import generate_registries
from registry.diff import diff_registries
from registry.preview import preview_registries
from registry.spec_cache import SpecCache
from registry.store import Store
from tests.conftest import write_connector

BASE_URL = "http://registry.test:8080/files/"
ENABLED = "  registryOverrides:\n    oss:\n      enabled: true\n    cloud:\n      enabled: true\n"
PROGRESSIVE = "  releases:\n    rolloutConfiguration:\n      enableProgressiveRollout: true\n"


def source(name: str, tag: str, ident: str, **extra: Any) -> dict[str, Any]:
    return {"sourceDefinitionId": ident, "name": name, "dockerRepository": f"airbyte/{name.lower()}",
            "dockerImageTag": tag, "documentationUrl": "https://docs", "spec": {}, "sourceType": "api",
            "iconUrl": "file:///old/place/icon.svg", **extra}


def publish(store: Store, channel: str, entry: dict[str, Any], *, registry: str = "oss", icon: bool = True) -> None:
    folder = f"metadata/{entry['dockerRepository']}/{channel}"
    store.write_bytes_atomic(f"{folder}/{registry}.json", json.dumps(entry).encode())
    if icon:
        store.write_bytes_atomic(f"{folder}/icon.svg", b"<svg/>")


def registry_file(store: Store, name: str = "oss") -> dict[str, Any]:
    return json.loads(store.read_bytes(f"registries/v0/{name}_registry.json") or b"null")


def test_sorted_by_name_then_repository_with_icons_into_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    publish(store, "latest", source("beta", "1.0.0", "00000000-0000-0000-0000-000000000002"))
    publish(store, "latest", source("Alpha", "2.0.0", "00000000-0000-0000-0000-000000000001"), icon=False)
    publish(store, "latest", {**source("alpha", "0.1.0", "00000000-0000-0000-0000-000000000003"),
                              "dockerRepository": "airbyte/alpha-b"})
    oss, cloud = generate_registries(store, base_url=BASE_URL)
    written = registry_file(store)
    assert [(e["name"], e["dockerRepository"]) for e in written["sources"]] == [
        ("Alpha", "airbyte/alpha"), ("alpha", "airbyte/alpha-b"), ("beta", "airbyte/beta")]
    assert "iconUrl" not in written["sources"][0]  # no icon in the store: no URL pointing nowhere
    assert written["sources"][2]["iconUrl"] == f"{BASE_URL}metadata/airbyte/beta/latest/icon.svg"
    assert written["sources"][2]["public"] is False and written["sources"][2]["supportsFileTransfer"] is False
    assert written["destinations"] == [] and registry_file(store, "cloud") == {"destinations": [], "sources": []}
    assert len(oss) == 3 and len(cloud) == 0


def test_a_rerun_rewrites_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    publish(store, "latest", source("beta", "1.0.0", "00000000-0000-0000-0000-000000000002"))
    generate_registries(store, base_url=BASE_URL)
    path = tmp_path / "registries" / "v0" / "oss_registry.json"
    before = path.stat().st_mtime_ns, path.stat().st_ino
    generate_registries(store, base_url=BASE_URL)
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["cloud_registry.json", "oss_registry.json"]


def test_progressive_release_candidate_rides_on_the_latest_release(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ident = "00000000-0000-0000-0000-000000000009"
    rollout = {"rolloutConfiguration": {"enableProgressiveRollout": True}}
    publish(store, "latest", source("beta", "1.0.0", ident))
    publish(store, "release_candidate", source("beta", "1.1.0-rc.1", ident, releases=rollout))
    publish(store, "latest", source("gamma", "2.0.0", "00000000-0000-0000-0000-00000000000a"))
    publish(store, "release_candidate", source("gamma", "2.1.0-rc.1", "00000000-0000-0000-0000-00000000000a"))
    generate_registries(store, base_url=BASE_URL)
    beta, gamma = registry_file(store)["sources"]
    assert beta["dockerImageTag"] == "1.0.0"
    assert list(beta["releases"]["releaseCandidates"]) == ["1.1.0-rc.1"]
    assert beta["releases"]["releaseCandidates"]["1.1.0-rc.1"]["dockerImageTag"] == "1.1.0-rc.1"
    assert "releases" not in gamma  # no progressive rollout: the candidate is published, not listed


def test_what_the_platform_rejects_is_left_out_and_reported(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    ident = "00000000-0000-0000-0000-000000000001"
    publish(store, "latest", source("Good", "1.0.0", ident))
    publish(store, "latest", {**source("Twin", "1.0.0", ident), "dockerRepository": "airbyte/twin"})
    publish(store, "latest", source("Tagless", "latest", "00000000-0000-0000-0000-000000000002"))
    publish(store, "latest", source("Vector", "1.0.0", "00000000-0000-0000-0000-000000000003",
                                    sourceType="vectorstore"))
    destination = {**source("Dest", "1.0.0", ""), "destinationDefinitionId": "00000000-0000-0000-0000-000000000004",
                   "sourceType": "vectorstore"}
    del destination["sourceDefinitionId"]
    publish(store, "latest", destination)
    store.write_bytes_atomic("metadata/airbyte/broken/latest/oss.json", b"{not json")
    oss, _ = generate_registries(store, base_url=BASE_URL)
    written = registry_file(store)
    assert [e["name"] for e in written["sources"]] == ["Good"]
    assert [e["name"] for e in written["destinations"]] == ["Dest"]
    text = "\n".join(oss.problems)
    assert "already used by airbyte/good" in text and "airbyte/twin" in text
    assert "dockerImageTag" in text and "sourceType 'vectorstore'" in text and "broken/latest/oss.json" in text
    assert any("destination sourceType 'vectorstore'" in w for w in oss.warnings)


def test_preview_from_a_monorepo(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_connector(repo, "source-alpha", version="1.0.0", extra=ENABLED)
    write_connector(repo, "source-nospec", version="1.0.0", extra=ENABLED)
    write_connector(repo, "source-candidate", version="1.10.0-rc.1", extra=ENABLED + PROGRESSIVE)
    write_connector(repo, "destination-off", version="1.0.0")  # no overrides: in neither registry
    (repo / "airbyte-integrations/connectors/source-alpha/icon.svg").write_text("<svg/>")
    cache = Store.open(tmp_path / "cache")
    for repository, tag in (("source-alpha", "1.0.0"), ("source-candidate", "1.9.0"),
                            ("source-candidate", "1.10.0-rc.1")):
        cache.write_bytes_atomic(f"specs/airbyte/{repository}/{tag}/spec.json", b'{"connectionSpecification": {}}')
    connectors = list(Monorepo.open(repo).discover().connectors.values())

    result = preview_registries(connectors, SpecCache(cache), base_url=BASE_URL)

    assert result.skipped == ["source-nospec: no spec at specs/airbyte/source-nospec/1.0.0/spec.json; "
                              "left out of oss and cloud"]
    for compiled in (result.oss, result.cloud):
        by_repo = {e["dockerRepository"]: e for e in compiled.to_dict()["sources"]}
        assert sorted(by_repo) == ["airbyte/source-alpha", "airbyte/source-candidate"]
        assert by_repo["airbyte/source-alpha"]["iconUrl"] == f"{BASE_URL}metadata/airbyte/source-alpha/latest/icon.svg"
        candidate = by_repo["airbyte/source-candidate"]
        assert candidate["dockerImageTag"] == "1.9.0"
        assert list(candidate["releases"]["releaseCandidates"]) == ["1.10.0-rc.1"]
        assert compiled.to_dict()["destinations"] == []


def test_diff_by_definition_id() -> None:
    old = {"sources": [source("A", "1.0.0", "1"), source("B", "1.0.0", "2"), source("C", "1.0.0", "3")],
           "destinations": []}
    new = {"sources": [source("A", "1.1.0", "1"), {**source("C", "1.0.0", "3"), "name": "C2"},
                       source("D", "0.1.0", "4")], "destinations": []}
    changes = diff_registries(old, new)
    assert [r.name for r in changes.added] == ["D"]
    assert [r.name for r in changes.removed] == ["B"]
    assert [(r.name, was, now) for r, was, now in changes.version_changes] == [("A", "1.0.0", "1.1.0")]
    assert [(r.name, fields) for r, fields in changes.changed_fields] == [("C2", ["name"])]
    assert diff_registries(new, new).is_empty


def test_diff_reports_shape_only_differences_apart() -> None:
    link = {"title": "API", "url": "https://api.example.com"}
    old = {"sources": [{**source("A", "1.0.0", "1"), "supportsRefreshes": False,
                        "externalDocumentationUrls": [{**link, "requiresLogin": False}]},
                       source("B", "1.0.0", "2")], "destinations": []}
    new = {"sources": [{**source("A", "1.0.0", "1"), "releases": {}, "externalDocumentationUrls": [link]},
                       {**source("B", "1.0.0", "2"), "releases": {}, "name": "B2"}], "destinations": []}
    changes = diff_registries(old, new)
    assert changes.is_empty is False
    assert [(r.name, fields) for r, fields in changes.changed_fields] == [("B2", ["name"])]
    assert [(r.name, fields) for r, fields in changes.shape_only] == [
        ("A", ["externalDocumentationUrls", "releases", "supportsRefreshes"]), ("B2", ["releases"])]
    only_shape = {"sources": [new["sources"][0], old["sources"][1]], "destinations": []}
    assert diff_registries(old, only_shape).is_empty
    assert diff_registries(old, new).as_dict()["shapeOnly"][1]["fields"] == ["releases"]
