"""Signed publish against the real daemon and a real registry, then verify, then tamper.

One publish (the example source, amd64 only) with a cosign-format encrypted key, into a scratch
registry of this module's own; every test verifies it with the CLI as a user would, and each
tamper test puts back what it changed. Nothing may pass by accident: every failing run must
name the check and the place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from pipelines.local_registry import HTPASSWD_PATH
from registry import layout
from registry.auth import RegistryAuth
from registry.image_signatures import SIGNATURE_ANNOTATION, sign_image, signature_tag
from registry.oci import RegistryClient
from registry.referrers import SPDX_JSON, Descriptor, attach, referrers_tag
from registry.scratch_registry import ScratchRegistry
from registry.signing import SigningKey, encrypt_cosign_key, generate_signing_key
from tests.conftest import EXAMPLES
from tests.integration.conftest import LocalRegistry
from tests.integration.test_registry_browser import free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

WEATHER = "source-tiny-weather"
REPOSITORY = "airbyte/source-tiny-weather"
VERSION = "0.2.0"


@dataclass
class Published:
    repo: Path
    registry: ScratchRegistry
    store: Path
    key: SigningKey
    key_file: Path
    public_key: Path
    password: str
    publish_run: subprocess.CompletedProcess[str]

    def client(self) -> RegistryClient:
        return RegistryClient.for_registry(self.registry.address, RegistryAuth(self.registry.address,
                                                                               *self.registry.auth))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                          timeout=1200, env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb",
                                             **(env or {})})


def registry_env(registry: ScratchRegistry) -> dict[str, str]:
    return {"DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": registry.auth[1]}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, local_registry: LocalRegistry) -> Iterator[Published]:
    folder = tmp_path_factory.mktemp("cp-i17-signed")
    repo = folder / "monorepo"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".connector-pipelines", "__pycache__"))
    registry = ScratchRegistry.create(folder, HTPASSWD_PATH, (local_registry.username, local_registry.password))
    registry.start()
    key, password = generate_signing_key(), f"pw-{uuid.uuid4().hex}"
    key_file, public_key = folder / "cosign.key", folder / "cosign.pub"
    key_file.write_bytes(encrypt_cosign_key(key, password))
    public_key.write_bytes(key.public_key.pem())
    store = folder / "store"
    run = cli("--repo", str(repo), "publish", WEATHER, "--registry", registry.address, "--store", str(store),
              "--platform", "linux/amd64", "--signing-key", str(key_file),
              env={**registry_env(registry), "COSIGN_PASSWORD": password})
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        yield Published(repo, registry, store, key, key_file, public_key, password, run)
    finally:
        registry.stop()


def verify(published: Published, *extra: str, key: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cli("verify", WEATHER, *extra, "--key", str(key or published.public_key), "--registry",
               published.registry.address, "--store", str(published.store), env=registry_env(published.registry))


def registry_verify(published: Published, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("registry", "verify", "--key", str(published.public_key), "--store", str(published.store),
               "--registry", published.registry.address, *extra, env=registry_env(published.registry))


def failed_lines(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("FAIL")]


def test_publish_signs_the_image_and_the_registry_files_and_never_shows_the_password(published) -> None:
    output = published.publish_run.stdout + published.publish_run.stderr
    assert published.password not in output
    assert "no signing key" not in output
    assert "registries regenerated" in output and "signed" in output
    digest = published.registry.digest(REPOSITORY, VERSION)
    assert digest is not None

    async def signature_manifest() -> dict | None:
        async with published.client() as client:
            manifest = await client.get_manifest(REPOSITORY, signature_tag(digest))
            return manifest.json() if manifest else None

    manifest = anyio.run(signature_manifest)
    assert manifest is not None
    assert [layer["mediaType"] for layer in manifest["layers"]] == ["application/vnd.dev.cosign.simplesigning.v1+json"]
    for registry in ("oss", "cloud"):
        assert (published.store / layout.registry_signature_file(registry)).is_file()


def test_verify_passes_one_line_per_check(published) -> None:
    run = verify(published, VERSION)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["ok", "tag"], ["ok", "signature"], ["ok", "provenance"],
                                                    ["ok", "sbom"], ["ok", "oss"], ["ok", "cloud"], ["ok", "record"]]
    assert f"{published.registry.address}/{REPOSITORY}:{VERSION}" in lines[1]
    assert "(linux/amd64)" in lines[3]
    default = verify(published)  # no VERSION: the one the registries list
    assert default.returncode == 0 and default.stdout == run.stdout


def test_registry_verify_deep_and_over_http_from_registry_serve(published) -> None:
    deep = registry_verify(published, "--deep")
    assert deep.returncode == 0, deep.stdout + deep.stderr
    lines = deep.stdout.splitlines()
    assert lines and all(line.startswith("ok") for line in lines)
    assert sum(line.split()[1] == "signature" for line in lines) == len(
        {(e["dockerRepository"], e["dockerImageTag"]) for e in _entries(published.store)})
    with running_server(published.store, free_port()) as url:
        assert httpx.get(f"{url}/files/{layout.registry_signature_file('oss')}").status_code == 200
        served = cli("registry", "verify", f"{url}/files/", "--key", str(published.public_key))
    assert served.returncode == 0, served.stdout + served.stderr
    assert [line.split()[:3] for line in served.stdout.splitlines()] == [["ok", "oss", "registry"],
                                                                          ["ok", "cloud", "registry"]]


def test_publish_without_a_key_says_so_once_and_a_dry_run_with_one_plans_the_signature(published) -> None:
    store = published.store.parent / "dry-store"
    unsigned = cli("--repo", str(published.repo), "publish", "--registry", published.registry.address, "--store",
                   str(store), "--dry-run", env={**registry_env(published.registry), "COSIGN_PRIVATE_KEY": ""})
    assert unsigned.returncode == 0, unsigned.stdout + unsigned.stderr
    assert (unsigned.stdout + unsigned.stderr).count("no signing key") == 1
    assert "would sign" not in unsigned.stdout
    signed = cli("--repo", str(published.repo), "publish", "--registry", published.registry.address, "--store",
                 str(store), "--dry-run", "--signing-key", str(published.key_file),
                 env={**registry_env(published.registry), "COSIGN_PASSWORD": published.password})
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert "would sign" in signed.stdout and "no signing key" not in signed.stderr
    wrong = cli("--repo", str(published.repo), "publish", "--registry", published.registry.address, "--store",
                str(store), "--dry-run", "--signing-key", str(published.key_file),
                env={**registry_env(published.registry), "COSIGN_PASSWORD": "not-the-password"})
    assert wrong.returncode == 2 and "wrong password in COSIGN_PASSWORD" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "not-the-password" not in wrong.stderr


# -- tampering --------------------------------------------------------------------------------


def test_tag_moved_to_another_signed_image_fails_the_record_check(published) -> None:
    """Even an image this key signed is refused under a tag the store recorded for another digest."""
    index_digest = published.registry.digest(REPOSITORY, VERSION)
    assert index_digest is not None

    async def move(to_digest: str, sign: bool) -> None:
        async with published.client() as client:
            target = await client.get_manifest(REPOSITORY, to_digest)
            assert target is not None
            if sign:
                await sign_image(client, REPOSITORY, to_digest, f"{published.registry.address}/{REPOSITORY}",
                                 published.key)
            await client.put_manifest(REPOSITORY, VERSION, target.body, target.media_type)

    platform_digest = published.registry.index(REPOSITORY, VERSION)["manifests"][0]["digest"]
    assert platform_digest is not None and platform_digest != index_digest
    anyio.run(move, platform_digest, True)
    try:
        run = verify(published, VERSION)
    finally:
        anyio.run(move, index_digest, False)
    assert run.returncode == 1
    failed = {line.split()[1] for line in failed_lines(run)}
    assert "signature" not in failed  # this key signed that image too: the records catch the move
    assert {"provenance", "oss", "cloud", "record"} <= failed
    assert f"records {index_digest}, the registry serves {platform_digest}" in run.stdout
    assert f"generated.imageDigest is {index_digest}, the registry serves {platform_digest}" in run.stdout
    assert verify(published, VERSION).returncode == 0  # put back


def test_signature_by_another_key_fails_and_names_the_signature_tag(published) -> None:
    digest = published.registry.digest(REPOSITORY, VERSION)
    assert digest is not None
    other = generate_signing_key()

    async def swap(forged: bool) -> bytes:
        async with published.client() as client:
            manifest = await client.get_manifest(REPOSITORY, signature_tag(digest))
            assert manifest is not None
            body = manifest.json()
            if forged:  # the same payload, signed by another key
                for layer in body["layers"]:
                    payload = await client.get_blob(REPOSITORY, layer["digest"])
                    layer["annotations"][SIGNATURE_ANNOTATION] = other.sign(payload)
                await client.put_manifest(REPOSITORY, signature_tag(digest), json.dumps(body).encode(),
                                          manifest.media_type)
            return manifest.body

    async def restore(body: bytes) -> None:
        async with published.client() as client:
            await client.put_manifest(REPOSITORY, signature_tag(digest), body,
                                      "application/vnd.oci.image.manifest.v1+json")

    original = anyio.run(swap, True)
    try:
        run = verify(published, VERSION)
    finally:
        anyio.run(restore, original)
    assert run.returncode == 1
    assert [line.split()[1] for line in failed_lines(run)] == ["signature"]
    assert f"{REPOSITORY}:{signature_tag(digest)}: 1 signature(s), none made by key" in run.stdout
    other_pub = published.store.parent / "other.pub"
    other_pub.write_bytes(other.public_key.pem())
    assert verify(published, VERSION, key=other_pub).returncode == 1  # the real signature, the wrong key
    assert verify(published, VERSION).returncode == 0


def test_edited_registry_file_entry_and_record_each_fail_naming_the_file(published) -> None:
    def edited(path: Path, change) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
        saved = path.read_bytes()
        document = json.loads(saved)
        change(document)
        path.write_text(json.dumps(document))
        try:
            return registry_verify(published), verify(published, VERSION)
        finally:
            path.write_bytes(saved)

    def retag(document: dict) -> None:
        for entry in document["sources"]:
            if entry["dockerRepository"] == REPOSITORY:
                entry["dockerImageTag"] = "0.1.0"

    files, _ = edited(published.store / layout.registry_file("oss"), retag)
    assert files.returncode == 1
    assert [line.split()[1] for line in failed_lines(files)] == ["oss"]
    assert f"{layout.registry_signature_file('oss')} does not verify" in files.stdout

    zero = "sha256:" + "0" * 64
    entry_path = layout.version_file(REPOSITORY, VERSION, "oss.json")
    _, image = edited(published.store / entry_path, lambda entry: entry["generated"].update(imageDigest=zero))
    assert image.returncode == 1
    assert [line.split()[1] for line in failed_lines(image)] == ["oss"]
    assert f"{entry_path}: generated.imageDigest is {zero}, the registry serves" in image.stdout

    _, image = edited(published.store / layout.marker(REPOSITORY, VERSION), lambda marker: marker.update(digest=zero))
    assert image.returncode == 1
    assert [line.split()[1] for line in failed_lines(image)] == ["record"]
    assert f"{layout.marker(REPOSITORY, VERSION)}: records {zero}" in image.stdout
    assert registry_verify(published).returncode == 0 and verify(published, VERSION).returncode == 0


def test_replaced_sbom_fails_in_the_store_and_on_the_registry(published) -> None:
    digest = published.registry.digest(REPOSITORY, VERSION)
    assert digest is not None
    platform_digest = published.registry.index(REPOSITORY, VERSION)["manifests"][0]["digest"]
    sbom_path = published.store / layout.sbom_file(REPOSITORY, VERSION, "linux/amd64")
    saved = sbom_path.read_bytes()
    forged = json.loads(saved)
    forged["packages"] = forged["packages"][:1]  # every package but the image itself gone
    forged_bytes = (json.dumps(forged, indent=2, sort_keys=True) + "\n").encode()

    sbom_path.write_bytes(forged_bytes)
    try:
        stored = verify(published, VERSION)
    finally:
        sbom_path.write_bytes(saved)
    assert stored.returncode == 1
    assert [line.split()[1] for line in failed_lines(stored)] == ["sbom"]
    assert f"{layout.sbom_file(REPOSITORY, VERSION, 'linux/amd64')}: differs from the SBOM attached" in stored.stdout

    async def replace_attached() -> bytes:
        async with published.client() as client:
            fallback = await client.get_manifest(REPOSITORY, referrers_tag(platform_digest))
            assert fallback is not None  # Debian's registry has no referrers API: the fallback tag
            subject = Descriptor.of(await client.get_manifest(REPOSITORY, platform_digest))  # type: ignore[arg-type]
            new = await attach(client, REPOSITORY, subject, SPDX_JSON, forged_bytes)
            with_new = await client.get_manifest(REPOSITORY, referrers_tag(platform_digest))
            assert with_new is not None
            index = with_new.json()
            index["manifests"] = [m for m in index["manifests"] if m.get("artifactType") != SPDX_JSON or
                                  m["digest"] == new]
            await client.put_manifest(REPOSITORY, referrers_tag(platform_digest), json.dumps(index).encode(),
                                      fallback.media_type)
            return fallback.body

    async def restore(body: bytes) -> None:
        async with published.client() as client:
            await client.put_manifest(REPOSITORY, referrers_tag(platform_digest), body,
                                      "application/vnd.oci.image.index.v1+json")

    original = anyio.run(replace_attached)
    try:
        attached = verify(published, VERSION)
    finally:
        anyio.run(restore, original)
    assert attached.returncode == 1
    assert [line.split()[1] for line in failed_lines(attached)] == ["sbom"]
    assert f"differs from the SBOM attached to the linux/amd64 image {platform_digest}" in attached.stdout, \
        failed_lines(attached)
    assert verify(published, VERSION).returncode == 0


def _entries(store: Path) -> list[dict]:
    entries = []
    for registry in ("oss", "cloud"):
        document = json.loads((store / layout.registry_file(registry)).read_text())
        entries += document["sources"] + document["destinations"]
    return entries
