"""SBOM from layers built here, referrers by the fallback tag, provenance in the standard shape (#17)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import anyio
import httpx

from registry import referrers
from registry.attestations import Attestations, load_attestations
from registry.image_files import LayerCache, image_files
from registry.provenance import (
    SLSA_PROVENANCE_V1,
    STATEMENT_TYPE,
    BuildInputs,
    Subject,
    folder_digest,
    provenance_statement,
    subject_digests,
)
from registry.referrers import SPDX_JSON, Descriptor
from registry.sbom import ImageSubject, image_packages, is_wanted, packages_from_files, spdx_document, spdx_time
from tests.unit.fakes import IMAGE_MANIFEST, FakeRegistry, digest_of

REPO = "airbyte/source-x"
STATUS = b"""Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy.

Package: removed-tool
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
"""
DISTROLESS = b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"


def metadata(name: str, version: str, *extra: str) -> bytes:
    return "\n".join(["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *extra, "", "Body"]).encode()


def layer(entries: dict[str, bytes | None], *, compress: bool = True) -> bytes:
    """A layer tarball: ``None`` makes an empty whiteout marker file (as ``.wh.`` names need)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data or b"")
            tar.addfile(info, io.BytesIO(data or b""))
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def image_with_layers(registry: FakeRegistry, layers: list[bytes], *, created: str = "2024-03-01T10:00:00.123Z") -> str:
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": created}).encode()
    registry.blobs[(REPO, digest_of(config))] = config
    descriptors = []
    for blob in layers:
        registry.blobs[(REPO, digest_of(blob))] = blob
        kind = "tar+gzip" if blob[:2] == b"\x1f\x8b" else "tar"
        descriptors.append({"mediaType": f"application/vnd.oci.image.layer.v1.{kind}", "digest": digest_of(blob),
                            "size": len(blob)})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": IMAGE_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": digest_of(config), "size": len(config)},
                           "layers": descriptors}).encode()
    return registry.put(REPO, "1.0.0-linux-amd64", manifest, IMAGE_MANIFEST)


SITE = "usr/local/lib/python3.11/site-packages"
LAYERS = [
    layer({"var/lib/dpkg/status": STATUS, "usr/lib/os-release": b'ID=debian\nVERSION_ID="12"\n',
           f"{SITE}/pip-24.0.dist-info/METADATA": metadata("pip", "24.0", "License: MIT © Zoë Ünal"),
           f"{SITE}/setuptools-65.5.0.dist-info/METADATA": metadata("setuptools", "65.5.0"),
           f"{SITE}/gone/old-1.0.dist-info/METADATA": metadata("old", "1.0"),
           f"{SITE}/README.txt": b"not wanted",
           "usr/lib/python3/dist-packages/setuptools-66.1.1.egg-info/PKG-INFO": metadata("setuptools", "66.1.1"),
           "usr/lib/python3/dist-packages/wheel-0.38.4.egg-info": metadata("wheel", "0.38.4")}),
    layer({f"{SITE}/.wh.setuptools-65.5.0.dist-info": None,          # pip uninstall setuptools
           f"{SITE}/gone/.wh..wh..opq": None,                        # the folder replaced whole
           f"{SITE}/gone/new-2.0.dist-info/METADATA": metadata("new", "2.0")}, compress=False),
    layer({"./var/lib/dpkg/status.d/tzdata": DISTROLESS,
           f"/airbyte/deps/{SITE}/Airbyte_CDK-6.1.0.dist-info/METADATA": metadata(
               "airbyte-cdk", "6.1.0", "License-Expression: MIT",
               "Classifier: License :: OSI Approved :: MIT License")}),
]


def test_packages_come_from_the_layers_in_order_with_whiteouts_honoured(tmp_path) -> None:
    registry = FakeRegistry()
    digest = image_with_layers(registry, LAYERS)
    cache = LayerCache(tmp_path / "layers")

    async def main() -> None:
        async with registry.client() as client:
            files = await image_files(client, REPO, digest, is_wanted)
            assert f"{SITE}/README.txt" not in files
            found = await image_packages(client, REPO, digest, cache)
            registry.requests.clear()
            assert await image_packages(client, REPO, digest, cache) == found  # layers cached by digest
            assert not [r for r in registry.requests for blob in LAYERS if digest_of(blob) in r], registry.requests
        names = {(p.kind, p.name, p.version) for p in found.packages}
        assert names == {("deb", "base-files", "12.4+deb12u5"), ("deb", "libc6", "2.36-9+deb12u4"),
                         ("deb", "tzdata", "2024a-0+deb12u1"), ("pypi", "pip", "24.0"), ("pypi", "new", "2.0"),
                         ("pypi", "airbyte-cdk", "6.1.0"), ("pypi", "setuptools", "66.1.1"),
                         ("pypi", "wheel", "0.38.4")}
        assert found.distro == "debian-12"
        cdk = next(p for p in found.packages if p.name == "airbyte-cdk")
        assert cdk.license == "MIT" and cdk.location == f"airbyte/deps/{SITE}"
        assert next(p for p in found.packages if p.name == "pip").license_text == "License: MIT © Zoë Ünal"
        libc = next(p for p in found.packages if p.name == "libc6")
        assert libc.purl(found.distro) == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"

    anyio.run(main)


def test_a_layer_that_does_not_match_its_digest_is_refused() -> None:
    registry = FakeRegistry()
    digest = image_with_layers(registry, LAYERS[:1])
    key = next(k for k in registry.blobs if registry.blobs[k] == LAYERS[0])
    registry.blobs[key] = layer({"var/lib/dpkg/status": b"Package: evil\nVersion: 1\nStatus: install ok installed\n"})

    async def main() -> None:
        async with registry.client() as client:
            try:
                await image_files(client, REPO, digest, is_wanted)
            except referrers.RegistryError as exc:
                assert "do not match the digest" in str(exc)
            else:
                raise AssertionError("a tampered layer was read")

    anyio.run(main)


def test_spdx_document_lists_every_package_with_purls_and_is_deterministic() -> None:
    contents = packages_from_files({
        "var/lib/dpkg/status": STATUS,
        f"{SITE}/pip-24.0.dist-info/METADATA": metadata("pip", "24.0", "License: MIT"),
    })
    subject = ImageSubject(REPO, "1.0.0", "linux/amd64", "sha256:" + "a" * 64)
    document = spdx_document(contents, subject=subject, namespace="http://h/files/sbom.json",
                             created="2024-03-01T10:00:00.123456789Z", tool_version="0.1.0")
    assert document == spdx_document(contents, subject=subject, namespace="http://h/files/sbom.json",
                                     created="2024-03-01T10:00:00.123456789Z", tool_version="0.1.0")
    assert document["spdxVersion"] == "SPDX-2.3" and document["dataLicense"] == "CC0-1.0"
    assert document["creationInfo"]["created"] == "2024-03-01T10:00:00Z"
    by_name = {p["name"]: p for p in document["packages"]}
    assert set(by_name) == {REPO, "base-files", "libc6", "pip"}
    assert by_name[REPO]["checksums"][0]["checksumValue"] == "a" * 64
    assert by_name["pip"]["externalRefs"][0]["referenceLocator"] == "pkg:pypi/pip@24.0"
    assert by_name["pip"]["licenseDeclared"] == "NOASSERTION" and by_name["pip"]["licenseComments"] == "License: MIT"
    ids = [p["SPDXID"] for p in document["packages"]]
    assert len(set(ids)) == len(ids)
    contained = {r["relatedSpdxElement"] for r in document["relationships"] if r["relationshipType"] == "CONTAINS"}
    assert contained == set(ids) - {"SPDXRef-Image"}
    assert spdx_time(None) == "1970-01-01T00:00:00Z"


def test_referrers_without_the_api_go_to_the_fallback_tag_once_per_artifact() -> None:
    registry = FakeRegistry()
    subject_digest = registry.put_image(REPO, "1.0.0", {})
    media_type, body = registry.manifests[(REPO, subject_digest)]
    subject = Descriptor(media_type, subject_digest, len(body))

    async def main() -> None:
        async with registry.client() as client:
            first = await referrers.attach(client, REPO, subject, SPDX_JSON, b'{"spdxVersion": "SPDX-2.3"}',
                                           {referrers.PLATFORM_ANNOTATION: "linux/amd64"})
            again = await referrers.attach(client, REPO, subject, SPDX_JSON, b'{"spdxVersion": "SPDX-2.3"}',
                                           {referrers.PLATFORM_ANNOTATION: "linux/amd64"})
            other = await referrers.attach(client, REPO, subject, referrers.IN_TOTO_JSON, b"{}")
            assert first == again
            listed = await referrers.list_referrers(client, REPO, subject_digest)
            assert [r.digest for r in listed] == [first, other]
            sboms = await referrers.list_referrers(client, REPO, subject_digest, artifact_type=SPDX_JSON)
            assert [r.annotations for r in sboms] == [{referrers.PLATFORM_ANNOTATION: "linux/amd64"}]
            assert await referrers.load_artifact(client, REPO, sboms[0]) == b'{"spdxVersion": "SPDX-2.3"}'
            assert await referrers.subject_of(client, REPO, first) == subject_digest

    anyio.run(main)
    tag = "sha256-" + subject_digest.removeprefix("sha256:")
    index = json.loads(registry.manifests[(REPO, tag)][1])
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json" and len(index["manifests"]) == 2
    artifact = json.loads(registry.manifests[(REPO, index["manifests"][0]["digest"])][1])
    assert artifact["subject"]["digest"] == subject_digest and artifact["artifactType"] == SPDX_JSON
    assert artifact["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"


def test_provenance_is_an_in_toto_statement_with_a_slsa_v1_predicate() -> None:
    inputs = BuildInputs(
        connector="source-x", connector_path="airbyte-integrations/connectors/source-x", docker_repository=REPO,
        version="1.0.0", platforms=("linux/amd64", "linux/arm64"), language="python",
        source_digest=folder_digest([("main.py", b"print()"), ("metadata.yaml", b"data: {}")]), source_files=2,
        tool_version="0.1.0", git_commit="c" * 40, git_remote="https://example.com/org/repo.git",
        base_image="docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "b" * 64, recipe="python",
        recipe_digest="d" * 64,
    )
    subjects = [Subject(REPO, "1.0.0", "sha256:" + "1" * 64),
                Subject(REPO, "1.0.0", "sha256:" + "2" * 64, "linux/amd64"),
                Subject(REPO, "1.0.0", "sha256:" + "3" * 64, "linux/arm64")]
    statement = provenance_statement(inputs, subjects, invocation_id="run-1", finished_on="2026-12-02T00:00:00Z")
    assert statement["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == SLSA_PROVENANCE_V1 == "https://slsa.dev/provenance/v1"
    assert statement["subject"][0] == {"name": "pkg:docker/airbyte/source-x@1.0.0", "digest": {"sha256": "1" * 64}}
    assert statement["subject"][1]["name"] == "pkg:docker/airbyte/source-x@1.0.0?platform=linux%2Famd64"
    assert subject_digests(statement) == [s.digest for s in subjects]
    build = statement["predicate"]["buildDefinition"]
    assert set(build) >= {"buildType", "externalParameters", "resolvedDependencies"}
    dependencies = {d["name"]: d for d in build["resolvedDependencies"]}
    assert dependencies["source"]["digest"] == {"gitCommit": "c" * 40}
    assert dependencies["source"]["uri"] == f"git+https://example.com/org/repo.git@{'c' * 40}"
    assert dependencies["connector-folder"]["digest"] == {"sha256": inputs.source_digest}
    assert dependencies["base-image"] == {"name": "base-image", "uri": "docker://docker.io/airbyte/python-connector-base:4.0.2",
                                          "digest": {"sha256": "b" * 64}}
    assert dependencies["recipe"]["digest"] == {"sha256": "d" * 64}
    assert dependencies["connector-pipelines"]["uri"] == "pkg:pypi/connector-pipelines@0.1.0"
    run = statement["predicate"]["runDetails"]
    assert run["builder"]["version"] == {"connector-pipelines": "0.1.0"} and run["metadata"]["invocationId"] == "run-1"


def test_folder_digest_changes_with_any_file_and_not_with_order() -> None:
    files = [("a.py", b"1"), ("b/c.py", b"2")]
    assert folder_digest(files) == folder_digest(list(reversed(files)))
    assert folder_digest(files) != folder_digest([("a.py", b"1"), ("b/c.py", b"3")])
    assert folder_digest(files) != folder_digest([("a.py", b"1"), ("b/d.py", b"2")])


def test_the_publish_pipeline_attaches_and_records_before_the_marker(tmp_path) -> None:
    from registry import layout
    from tests.conftest import EXAMPLES
    from tests.unit.fakes import FakeEngine
    from tests.unit.test_publish_steps import WEATHER, Monorepo, Store, publish, statuses

    registry, store = FakeRegistry(), Store.open(tmp_path / "store")
    state, report = publish(Monorepo.open(EXAMPLES), store, registry, FakeEngine(registry), tmp_path)
    names = [step.name for step in report.steps]
    assert names.index("verify") < names.index("attest") < names.index("store")
    assert statuses(report)["attest"][0].value == "success", statuses(report)
    index = registry.digest(WEATHER, "0.2.0")
    platforms = {f"linux/{m['platform']['architecture']}": m["digest"]
                 for m in json.loads(registry.manifests[(WEATHER, "0.2.0")][1])["manifests"]}
    statement = json.loads(store.read_bytes(layout.provenance_file(WEATHER, "0.2.0")) or b"")
    assert subject_digests(statement) == [index, *platforms.values()]
    for platform, digest in platforms.items():
        sbom = json.loads(store.read_bytes(layout.sbom_file(WEATHER, "0.2.0", platform)) or b"")
        assert sbom["packages"][0]["checksums"][0]["checksumValue"] == digest.removeprefix("sha256:")
        assert (WEATHER, "sha256-" + digest.removeprefix("sha256:")) in registry.manifests  # the fallback tag
    generated = json.loads(store.read_bytes(layout.version_file(WEATHER, "0.2.0", "oss.json")) or b"")["generated"]
    assert generated["sbomUrl"] == "http://files.example/" + layout.sbom_file(WEATHER, "0.2.0", "linux/amd64")
    assert generated["imageDigest"] == index and generated["platformDigests"] == platforms
    assert generated["git"]  # the attest fields join, never replace, what RecordInStore already wrote

    async def read_back() -> Attestations:
        async with registry.client() as client:
            return await load_attestations(client, WEATHER, index or "")

    found = anyio.run(read_back)
    assert found.platforms == platforms and found.provenance is not None
    assert found.provenance[1] == statement
    assert {p: json.dumps(doc, indent=2, sort_keys=True) + "\n" for p, (_, doc) in found.sboms.items()} == \
        {p: (store.read_bytes(layout.sbom_file(WEATHER, "0.2.0", p)) or b"").decode() for p in platforms}


class RegistryWithReferrersApi(FakeRegistry):
    """A registry of OCI distribution 1.1: indexes referrers itself and says so with ``OCI-Subject``."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/referrers/" in path:
            subject = path.rsplit("/", 1)[1]
            manifests = []
            for (_, reference), (media_type, body) in self.manifests.items():
                document = json.loads(body)
                if reference.startswith("sha256:") and (document.get("subject") or {}).get("digest") == subject:
                    manifests.append({"mediaType": media_type, "digest": reference, "size": len(body),
                                      "artifactType": document.get("artifactType"),
                                      "annotations": document.get("annotations", {})})
            return httpx.Response(200, json={"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                             "manifests": manifests})
        response = super().handle(request)
        if request.method == "PUT" and "/manifests/" in path and b'"subject"' in request.content:
            response.headers["OCI-Subject"] = json.loads(request.content)["subject"]["digest"]
        return response


def test_a_registry_with_the_referrers_api_is_used_and_gets_no_fallback_tag() -> None:
    registry = RegistryWithReferrersApi()
    subject_digest = registry.put_image(REPO, "1.0.0", {})
    media_type, body = registry.manifests[(REPO, subject_digest)]

    async def main() -> None:
        async with registry.client() as client:
            digest = await referrers.attach(client, REPO, Descriptor(media_type, subject_digest, len(body)),
                                            SPDX_JSON, b"{}", {referrers.PLATFORM_ANNOTATION: "linux/amd64"})
            listed = await referrers.list_referrers(client, REPO, subject_digest, artifact_type=SPDX_JSON)
            assert [r.digest for r in listed] == [digest]
            assert listed[0].annotations == {referrers.PLATFORM_ANNOTATION: "linux/amd64"}

    anyio.run(main)
    assert (REPO, referrers.referrers_tag(subject_digest)) not in registry.manifests
