"""The offline verify's store side and the publish step list with a key, in process.

The registry side (tags, signatures, referrers) runs against a real registry in
tests/integration/test_signing.py, with each tampering it must catch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector_build.problems import UserError
from pipelines.engines.base import BuildOptions
from pipelines.publish_steps import PublishTarget, publish_steps
from registry import layout
from registry.signing import generate_signing_key
from registry.store import Store
from registry.verify import StoreSource, _described_digest, entry_checks, resolve_repository, resolve_version
from registry.verify_checks import Check, all_ok
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeEngine, FakeRegistry

DIGEST = "sha256:" + "1" * 64
AMD64 = "sha256:" + "2" * 64



def step_names(signing: bool, tmp_path: Path) -> list[str]:
    target = PublishTarget(registry="registry.example", registry_client=FakeRegistry().client(), auth=None,
                           store=Store.open(tmp_path / "store"), base_url="http://files.example/",
                           repo_root=EXAMPLES, signing_key=generate_signing_key() if signing else None)
    return [step.name for step in publish_steps(FakeEngine(), target, BuildOptions())]


def test_publish_signs_after_verify_and_attest_and_before_the_store_only_with_a_key(tmp_path) -> None:
    with_key = step_names(True, tmp_path)
    assert with_key.index("verify") < with_key.index("attest") < with_key.index("sign") < with_key.index("store")
    assert "sign" not in step_names(False, tmp_path)


def write_entry(store: Store, registry: str, generated: dict) -> None:
    entry = {"dockerRepository": "airbyte/source-x", "dockerImageTag": "1.0.0", "generated": generated}
    store.write_bytes_atomic(layout.version_file("airbyte/source-x", "1.0.0", f"{registry}.json"),
                             json.dumps(entry).encode())


def test_entry_checks_compare_generated_digests_per_registry(store) -> None:
    source = StoreSource(store.url, store.read_bytes, store)
    platforms = {"linux/amd64": AMD64}
    write_entry(store, "oss", {"imageDigest": DIGEST, "platformDigests": platforms})
    write_entry(store, "cloud", {"imageDigest": DIGEST, "platformDigests": {"linux/amd64": DIGEST}})
    checks = {c.name: c for c in entry_checks(source, "airbyte/source-x", "1.0.0", DIGEST, platforms)}
    assert checks["oss entry"].ok
    assert not checks["cloud entry"].ok and "generated.platformDigests" in checks["cloud entry"].detail
    assert checks["cloud entry"].where.endswith("metadata/airbyte/source-x/1.0.0/cloud.json")
    moved = entry_checks(source, "airbyte/source-x", "1.0.0", AMD64, platforms)
    assert not any(c.ok for c in moved) and f"the registry serves {AMD64}" in moved[0].detail
    none = entry_checks(source, "airbyte/source-x", "2.0.0", DIGEST, platforms)
    assert [(c.name, c.ok) for c in none] == [("entry", False)]


def test_sbom_describes_the_image_by_its_checksum() -> None:
    spdx = {"packages": [{"SPDXID": "SPDXRef-Image", "checksums": [{"algorithm": "SHA256",
                                                                     "checksumValue": "2" * 64}]},
                         {"SPDXID": "SPDXRef-Other", "checksums": [{"algorithm": "SHA256",
                                                                     "checksumValue": "3" * 64}]}],
            "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                               "relatedSpdxElement": "SPDXRef-Image"}]}
    assert _described_digest(json.dumps(spdx).encode()) == AMD64
    assert _described_digest(b"not json") is None


def test_connector_and_version_resolve_from_the_registries_or_the_markers(store) -> None:
    source = StoreSource(store.url, store.read_bytes, store)
    with pytest.raises(UserError, match="no connector of that name"):
        resolve_repository(source, "source-x")
    for version in ("1.0.0", "1.10.0", "1.2.0"):
        store.write_bytes_atomic(layout.marker("airbyte/source-x", version), b"{}")
    assert resolve_repository(source, "source-x") == "airbyte/source-x"
    assert resolve_version(source, "airbyte/source-x") == "1.10.0"
    document = {"sources": [{"dockerRepository": "airbyte/source-x", "dockerImageTag": "1.2.0"}], "destinations": []}
    store.write_bytes_atomic(layout.registry_file("oss"), json.dumps(document).encode())
    assert resolve_version(source, "airbyte/source-x") == "1.2.0"  # the version the registries list


def test_no_checks_is_not_a_pass() -> None:
    assert not all_ok([])
    assert all_ok([Check("tag", True, "r/x:1", "served")])
    assert Check("sbom", False, "r/x@d (linux/amd64)", "no SPDX SBOM attached").line().startswith("FAIL  sbom")
