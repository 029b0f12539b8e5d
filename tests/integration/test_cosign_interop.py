"""The real cosign (built by scripts/build-cosign.sh from the Go module proxy) and this tool read
each other's signatures, keys and detached blob signatures, on a real registry, with no
transparency log: ``--insecure-ignore-tlog`` to verify, ``--tlog-upload=false`` to sign.

Registry credentials reach cosign as docker does: a temporary DOCKER_CONFIG holding the local
registry's credentials (the scratch registry shares its htpasswd).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from pipelines.local_registry import HTPASSWD_PATH
from registry import layout
from registry.auth import RegistryAuth
from registry.compile import generate_registries
from registry.image_signatures import image_signatures, sign_image, signature_tag, verify_image
from registry.oci import RegistryClient
from registry.scratch_registry import ScratchRegistry
from registry.signing import SigningKey, generate_signing_key, load_public_key, load_signing_key
from registry.store import Store
from tests.integration.conftest import LocalRegistry
from tests.integration.tiny_images import push_tiny_image

pytestmark = pytest.mark.integration

REPOSITORY = "cp-i17/interop"


def cosign_binary() -> Path:
    """The cosign setup built, or a skip saying how to build it (a failure in CI, where setup built it)."""
    home = Path(os.environ.get("CONNECTOR_PIPELINES_HOME", Path.home() / ".local/share/connector-pipelines"))
    current = home / "cosign" / "current.env"
    values = dict(line.split("=", 1) for line in current.read_text().splitlines() if "=" in line) \
        if current.is_file() else {}
    binary = Path(values.get("COSIGN_BIN", "/nonexistent"))
    if not binary.is_file():
        reason = f"cosign is not built (no {current}): run `bash scripts/build-cosign.sh`"
        if os.environ.get("CI") == "true" and os.environ.get("CP_SKIP_COSIGN") != "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


@dataclass
class Cosign:
    binary: Path
    env: dict[str, str]
    registry: ScratchRegistry

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.binary), *args], capture_output=True, text=True, timeout=300,
                              env=self.env, cwd=cwd, stdin=subprocess.DEVNULL)

    def client(self) -> RegistryClient:
        return RegistryClient.for_registry(self.registry.address, RegistryAuth(self.registry.address,
                                                                               *self.registry.auth))

    def reference(self, digest: str) -> str:
        return f"{self.registry.address}/{REPOSITORY}@{digest}"


@pytest.fixture
def cosign(tmp_path: Path, local_registry: LocalRegistry) -> Iterator[Cosign]:
    binary = cosign_binary()
    registry = ScratchRegistry.create(tmp_path, HTPASSWD_PATH, (local_registry.username, local_registry.password))
    registry.start()
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    token = base64.b64encode(f"{local_registry.username}:{local_registry.password}".encode()).decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {registry.address: {"auth": token}}}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "DOCKER_CONFIG": str(docker_config),
           "TUF_ROOT": str(tmp_path / "tuf"), "COSIGN_YES": "true"}
    try:
        yield Cosign(binary, env, registry)
    finally:
        registry.stop()


def push_image(cosign: Cosign) -> str:
    async def main() -> str:
        async with cosign.client() as client:
            return await push_tiny_image(client, REPOSITORY, "1.0.0", uuid.uuid4().bytes)

    return anyio.run(main)


def test_cosign_verifies_our_image_signature_without_a_transparency_log(cosign: Cosign, tmp_path: Path) -> None:
    digest = push_image(cosign)
    key = generate_signing_key()

    async def sign() -> None:
        async with cosign.client() as client:
            await sign_image(client, REPOSITORY, digest, f"{cosign.registry.address}/{REPOSITORY}", key)

    anyio.run(sign)
    (tmp_path / "ours.pub").write_bytes(key.public_key.pem())
    (tmp_path / "other.pub").write_bytes(generate_signing_key().public_key.pem())
    flags = ["--insecure-ignore-tlog=true", "--allow-http-registry=true", "--allow-insecure-registry=true"]
    run = cosign.run("verify", "--key", str(tmp_path / "ours.pub"), *flags, cosign.reference(digest))
    assert run.returncode == 0, run.stdout + run.stderr
    verified = json.loads(run.stdout)
    assert [claim["critical"]["image"]["docker-manifest-digest"] for claim in verified] == [digest]
    by_tag = cosign.run("verify", "--key", str(tmp_path / "ours.pub"), *flags,
                        f"{cosign.registry.address}/{REPOSITORY}:1.0.0")
    assert by_tag.returncode == 0, by_tag.stdout + by_tag.stderr
    refused = cosign.run("verify", "--key", str(tmp_path / "other.pub"), *flags, cosign.reference(digest))
    assert refused.returncode != 0  # nothing passes by accident: another key is refused


def test_we_verify_a_signature_cosign_made_and_read_cosigns_encrypted_key(cosign: Cosign, tmp_path: Path) -> None:
    digest = push_image(cosign)
    password = f"pw-{uuid.uuid4().hex}"
    cosign.env["COSIGN_PASSWORD"] = password
    generated = cosign.run("generate-key-pair", cwd=tmp_path)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    signed = cosign.run("sign", "--key", str(tmp_path / "cosign.key"), "--tlog-upload=false",
                        "--allow-http-registry=true", "--allow-insecure-registry=true", cosign.reference(digest))
    assert signed.returncode == 0, signed.stdout + signed.stderr
    public_key = load_public_key((tmp_path / "cosign.pub").read_bytes())
    ours = load_signing_key((tmp_path / "cosign.key").read_bytes(), password)
    assert ours.public_key.pem() == public_key.pem()  # cosign's scrypt + secretbox key file, decrypted

    async def check() -> tuple[bool, str, bool, int]:
        async with cosign.client() as client:
            result = await verify_image(client, REPOSITORY, digest, public_key)
            # signing with cosign's key through us adds nothing: that key's signature is there already
            again = await sign_image(client, REPOSITORY, digest, f"{cosign.registry.address}/{REPOSITORY}", ours)
            return result.ok, result.message, again.created, len(await image_signatures(client, REPOSITORY, digest))

    ok, message, created, count = anyio.run(check)
    assert ok, message
    assert not created and count == 1
    other = generate_signing_key().public_key

    async def refused() -> bool:
        async with cosign.client() as client:
            return (await verify_image(client, REPOSITORY, digest, other)).ok

    assert not anyio.run(refused)
    assert signature_tag(digest) in message


def test_cosign_verify_blob_accepts_our_registry_file_signatures(cosign: Cosign, tmp_path: Path) -> None:
    key: SigningKey = generate_signing_key()
    store = Store.open(tmp_path / "store")
    entry = {"sourceDefinitionId": str(uuid.uuid4()), "name": "Interop", "dockerRepository": "airbyte/source-interop",
             "dockerImageTag": "1.0.0", "documentationUrl": "https://docs.example", "sourceType": "api",
             "spec": {"connectionSpecification": {}}, "supportLevel": "community", "releaseStage": "alpha",
             "license": "MIT", "public": True, "custom": False, "tombstone": False}
    store.write_bytes_atomic(layout.channel_file("airbyte/source-interop", layout.LATEST, "oss.json"),
                             json.dumps(entry).encode())
    generate_registries(store, base_url="http://files.example/", signing_key=key)
    (tmp_path / "ours.pub").write_bytes(key.public_key.pem())
    registry_file = tmp_path / "store" / layout.registry_file("oss")
    run = cosign.run("verify-blob", "--key", str(tmp_path / "ours.pub"), "--insecure-ignore-tlog=true",
                     "--signature", str(tmp_path / "store" / layout.registry_signature_file("oss")), str(registry_file))
    assert run.returncode == 0, run.stdout + run.stderr
    registry_file.write_bytes(registry_file.read_bytes().replace(b"Interop", b"Intercept"))
    tampered = cosign.run("verify-blob", "--key", str(tmp_path / "ours.pub"), "--insecure-ignore-tlog=true",
                          "--signature", str(tmp_path / "store" / layout.registry_signature_file("oss")),
                          str(registry_file))
    assert tampered.returncode != 0
