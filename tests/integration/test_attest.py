"""Publish attaches an SBOM per platform and a SLSA provenance (#17): real daemon, real registry.

Debian's distribution 2.8 has no referrers API, so what is attached must be found through the
fallback tag ``sha256-<hex>``, and the same bytes must be in the store beside the entry.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import anyio
import pytest

from registry import referrers
from registry.attestations import load_attestations
from registry.auth import RegistryAuth
from registry.oci import RegistryClient
from registry.provenance import SLSA_PROVENANCE_V1, subject_digests
from registry.scratch_registry import ScratchRegistry
from tests.integration.test_publish import WEATHER, publish, report, scratch_registry  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

REPO = "airbyte/source-tiny-weather"
BASE_URL = "http://registry.example/files/"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


async def attached(registry: ScratchRegistry, index_digest: str) -> dict:
    """Everything a verifier would read back from the registry alone."""
    auth = RegistryAuth(registry.address, registry.auth[0], registry.auth[1])
    async with RegistryClient.for_registry(registry.address, auth) as client:
        assert await client.referrers_api(REPO, index_digest) is None  # distribution 2.8: the fallback
        manifest = await client.get_manifest(REPO, index_digest)
        assert manifest is not None
        index = manifest.json()
        platforms = {f"linux/{m['platform']['architecture']}": m["digest"] for m in index["manifests"]}
        provenances = await referrers.list_referrers(client, REPO, index_digest, referrers.IN_TOTO_JSON)
        statement = json.loads(await referrers.load_artifact(client, REPO, provenances[0]))
        sboms = {}
        for platform, digest in platforms.items():
            found = await referrers.list_referrers(client, REPO, digest, referrers.SPDX_JSON)
            assert len(found) == 1 and found[0].annotations[referrers.PLATFORM_ANNOTATION] == platform
            assert await referrers.subject_of(client, REPO, found[0]) == digest
            sboms[platform] = await referrers.load_artifact(client, REPO, found[0])
        loaded = await load_attestations(client, REPO, index_digest)  # the verify side's reader agrees
        assert loaded.platforms == platforms and loaded.provenance == (provenances[0].digest, statement)
        assert {p: json.loads(doc) for p, doc in sboms.items()} == {p: doc for p, (_, doc) in loaded.sboms.items()}
        return {"platforms": platforms, "provenances": provenances, "statement": statement, "sboms": sboms}


def test_publish_attaches_and_stores_sbom_and_provenance_then_a_rerun_reuses_them(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    git(examples_repo, "init", "-q")
    git(examples_repo, "add", ".")
    git(examples_repo, "commit", "-qm", "examples")
    commit = git(examples_repo, "rev-parse", "HEAD")
    store = tmp_path / "store"
    first = publish(examples_repo, scratch_registry, store, WEATHER, "--platform", "linux/amd64,linux/arm64")
    assert first.returncode == 0, first.stdout + first.stderr
    assert report(first)[WEATHER]["attest"]["status"] == "success"
    index_digest = scratch_registry.digest(REPO, "0.2.0")
    assert index_digest is not None
    assert scratch_registry.digest(REPO, "sha256-" + index_digest.removeprefix("sha256:")) is not None

    found = anyio.run(attached, scratch_registry, index_digest)
    platforms = found["platforms"]
    assert sorted(platforms) == ["linux/amd64", "linux/arm64"]
    statement = found["statement"]
    assert statement["predicateType"] == SLSA_PROVENANCE_V1
    assert subject_digests(statement) == [index_digest, *platforms.values()]
    dependencies = {d["name"]: d for d in statement["predicate"]["buildDefinition"]["resolvedDependencies"]}
    assert dependencies["source"]["digest"] == {"gitCommit": commit}
    assert dependencies["base-image"]["digest"]["sha256"]
    assert len(dependencies["connector-folder"]["digest"]["sha256"]) == 64

    folder = store / "metadata" / REPO / "0.2.0"
    dependencies_json = store / "connector_dependencies" / "source-tiny-weather" / "0.2.0" / "dependencies.json"
    assert (folder / "provenance.json").read_bytes() == json.dumps(statement, indent=2, sort_keys=True).encode() + b"\n"
    for platform, document in found["sboms"].items():
        stored = folder / "sbom" / f"{platform.replace('/', '-')}.spdx.json"
        assert stored.read_bytes() == document
        sbom = json.loads(document)
        assert sbom["spdxVersion"] == "SPDX-2.3"
        purls = [ref["referenceLocator"] for p in sbom["packages"] for ref in p.get("externalRefs", [])]
        assert any(p.startswith("pkg:deb/debian/libc6@") for p in purls), purls[:20]
        # Every distribution pip lists in the image (verify ran it there) is in the SBOM.
        for package in json.loads(dependencies_json.read_text())["dependencies"]:
            name = re.sub(r"[-_.]+", "-", package["package_name"]).lower()
            assert f"pkg:pypi/{name}@{package['version']}" in purls, package
        image = next(p for p in sbom["packages"] if p["SPDXID"] == "SPDXRef-Image")
        assert image["checksums"][0]["checksumValue"] == platforms[platform].removeprefix("sha256:")

    entry = json.loads((folder / "oss.json").read_text())
    generated = entry["generated"]
    assert generated["sbomUrl"] == f"{BASE_URL}metadata/{REPO}/0.2.0/sbom/linux-amd64.spdx.json"
    assert generated["provenanceUrl"] == f"{BASE_URL}metadata/{REPO}/0.2.0/provenance.json"
    assert generated["imageDigest"] == index_digest and generated["platformDigests"] == platforms
    registry_entry = next(s for s in json.loads((store / "registries/v0/oss_registry.json").read_text())["sources"]
                          if s["dockerRepository"] == REPO)
    assert registry_entry["generated"]["imageDigest"] == index_digest

    # A new store, the image already out: verify and record again; the referrers are reused, not doubled.
    again = publish(examples_repo, scratch_registry, tmp_path / "new-store", WEATHER)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "attached already" in report(again)[WEATHER]["attest"]["summary"]
    refound = anyio.run(attached, scratch_registry, index_digest)
    assert refound["provenances"] == found["provenances"] and refound["sboms"] == found["sboms"]
    assert (tmp_path / "new-store" / "metadata" / REPO / "0.2.0" / "provenance.json").read_bytes() == \
        (folder / "provenance.json").read_bytes()


def test_dry_run_plans_the_attestations_and_attaches_nothing(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    result = publish(examples_repo, scratch_registry, tmp_path / "store", WEATHER, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would attach an SPDX SBOM per platform" in result.stdout
    assert f"would write metadata/{REPO}/0.2.0/provenance.json" in result.stdout
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.json"))
